import { t } from '../i18n';
import { ScreenHeading } from '../components/ScreenHeading';
import { useApp } from '../state/hooks';
import type { ProfileMode } from '../state/profile-edit';

const MODES: ProfileMode[] = ['emf', 'standalone'];

/** EMF or standalone: one sentence each on what the stick does and what it needs. */
export function ModeScreen() {
  const mode = useApp((s) => s.profile?.mode ?? null);
  const setMode = useApp((s) => s.setMode);
  return (
    <section className="screen" aria-labelledby="screen-title">
      <ScreenHeading title={t.mode.title} />
      <fieldset className="mode-choice">
        <legend>{t.mode.legend}</legend>
        {MODES.map((m) => (
          <div key={m} className={`mode-card${mode === m ? ' mode-card-selected' : ''}`}>
            <input type="radio" id={`mode-${m}`} name="mode" value={m} checked={mode === m} onChange={() => setMode(m)} aria-describedby={`mode-${m}-text mode-${m}-needs`} />
            <label htmlFor={`mode-${m}`}>{t.mode[m].label}</label>
            <p id={`mode-${m}-text`}>{t.mode[m].sentence}</p>
            <p id={`mode-${m}-needs`} className="mode-needs">
              {t.mode[m].needs}
            </p>
          </div>
        ))}
      </fieldset>
    </section>
  );
}
