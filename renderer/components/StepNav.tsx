import { t } from '../i18n';
import { useApp, useAppShallow } from '../state/hooks';
import { stepBlock } from '../state/selectors';
import { STEPS } from '../state/wizard-slice';

/**
 * The wizard's steps as an ordered list of buttons. The current one is marked aria-current; a
 * step that cannot be entered yet is disabled, and its title says why.
 */
export function StepNav() {
  const current = useApp((s) => s.step);
  const goTo = useApp((s) => s.goTo);
  const blocks = useAppShallow((s) => STEPS.map((step) => stepBlock(s, step)));
  return (
    <nav className="steps" aria-label={t.steps.label}>
      <ol>
        {STEPS.map((step, i) => {
          const block = blocks[i];
          const isCurrent = step === current;
          return (
            <li key={step} className={isCurrent ? 'step step-current' : 'step'}>
              <button type="button" onClick={() => goTo(step)} disabled={block !== null && !isCurrent} aria-current={isCurrent ? 'step' : undefined} title={block ? t.steps.blocked[block] : undefined}>
                <span className="step-number" aria-hidden="true">
                  {i + 1}
                </span>
                <span className="step-name">{t.steps[step]}</span>
              </button>
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
