import { t } from '../i18n';
import { FindingSummary } from '../components/FindingSummary';
import { ScreenHeading } from '../components/ScreenHeading';
import { ErrorNotice } from '../components/ErrorNotice';
import { useApp, useAppShallow } from '../state/hooks';
import { countBySeverity } from '../state/selectors';
import { CommonFields } from './CommonFields';
import { EmfForm } from './EmfForm';
import { ProfileBar } from './ProfileBar';
import { StandaloneForm } from './StandaloneForm';

const NONE: never[] = [];

export function CustomizeScreen() {
  const mode = useApp((s) => s.profile?.mode ?? null);
  const isChecking = useApp((s) => s.isChecking);
  const counts = useAppShallow((s) => countBySeverity(s.preview?.findings ?? []));
  const hasPreview = useApp((s) => s.preview !== null);
  const checkError = useApp((s) => s.profileError);
  const findings = useApp((s) => s.preview?.findings ?? NONE);
  return (
    <section className="screen" aria-labelledby="screen-title">
      <ScreenHeading title={`${t.customize.title}: ${mode ? t.mode[mode].label : ''}`} />
      <ProfileBar />
      <p className="check-status" role="status">
        {isChecking ? t.customize.checking : hasPreview ? (counts.errors ? t.customize.problems(counts.errors) : t.customize.allGood) : ''}
      </p>
      {checkError && !hasPreview && <ErrorNotice error={checkError} />}
      <FindingSummary findings={findings} />
      <form className="profile-form" onSubmit={(e) => e.preventDefault()}>
        {mode === 'emf' && <EmfForm />}
        {mode === 'standalone' && <StandaloneForm />}
        <CommonFields />
      </form>
    </section>
  );
}
