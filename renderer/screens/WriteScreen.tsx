import { t } from '../i18n';
import { DrivePicker } from '../components/DrivePicker';
import { ErrorNotice } from '../components/ErrorNotice';
import { FindingList } from '../components/FindingList';
import { formatBytes } from '../i18n/format';
import { ProgressBar } from '../components/ProgressBar';
import { ScreenHeading } from '../components/ScreenHeading';
import { useApp, useAppDerived } from '../state/hooks';
import { useDrivePolling } from '../components/use-drive-polling';
import { driveRows, writeBlock, writeProgressRows, writeSource } from '../state/selectors';

export function WriteScreen() {
  const job = useApp((s) => s.writeJob);
  const isRunning = job?.status === 'running';
  useDrivePolling(isRunning, writeSource);
  const block = useApp(writeBlock);
  const chosen = useApp((s) => s.selectedDevices.length);
  const hasWarnings = useApp((s) => driveRows(s).some((r) => r.isSelected && r.warnings.length > 0));
  const accepted = useApp((s) => s.hasAcceptedWarnings);
  const setAccepted = useApp((s) => s.setAcceptedWarnings);
  const isVerifying = useApp((s) => s.isVerifying);
  const isEjecting = useApp((s) => s.isEjecting);
  const setVerifying = useApp((s) => s.setVerifying);
  const setEjecting = useApp((s) => s.setEjecting);
  const start = useApp((s) => s.startWrite);
  const cancel = useApp((s) => s.cancelJob);
  const progress = useAppDerived(['writeJob', 'progress', 'drives', 'writeTargets'], writeProgressRows);
  const drivesError = useApp((s) => s.drivesError);
  const isStandalone = useApp((s) => s.profile?.mode === 'standalone' && s.buildResult !== null);
  const built = useApp((s) => s.buildResult);
  const w = t.write;
  return (
    <section className="screen" aria-labelledby="screen-title">
      <ScreenHeading title={w.title} />
      <p>{w.intro}</p>
      {built && (
        <div className="build-summary">
          <p>{w.built(formatBytes(built.size), built.sha256.slice(0, 16))}</p>
          <p>
            <strong>{t.review.secureBoot}:</strong> {built.manifest.secureBoot.explanation}
          </p>
          <FindingList findings={built.findings} />
        </div>
      )}
      {isStandalone && <p className="notice notice-warning">{w.standaloneWarning}</p>}
      {drivesError && <ErrorNotice error={drivesError} />}
      <DrivePicker isLocked={isRunning} />
      {hasWarnings && (
        <div className="field field-inline">
          <input type="checkbox" id="accept-warnings" checked={accepted} onChange={(e) => setAccepted(e.target.checked)} disabled={isRunning} />
          <label htmlFor="accept-warnings">{w.acceptWarnings}</label>
        </div>
      )}
      <div className="field field-inline">
        <input type="checkbox" id="write-verify" checked={isVerifying} onChange={(e) => setVerifying(e.target.checked)} disabled={isRunning} />
        <label htmlFor="write-verify">{w.verify}</label>
      </div>
      <div className="field field-inline">
        <input type="checkbox" id="write-eject" checked={isEjecting} onChange={(e) => setEjecting(e.target.checked)} disabled={isRunning} />
        <label htmlFor="write-eject">{w.eject}</label>
      </div>
      <div className="toolbar">
        {!isRunning ? (
          <button type="button" className="primary" onClick={() => void start()} disabled={block !== null} aria-describedby={block ? 'write-block' : undefined}>
            {w.start(chosen)}
          </button>
        ) : (
          <button type="button" onClick={() => void cancel(job.jobId)}>
            {w.cancel}
          </button>
        )}
        {block && !isRunning && (
          <p className="footer-reason" id="write-block">
            {w.blocked[block]}
          </p>
        )}
      </div>
      {isRunning && (
        <ul className="write-progress" aria-label={w.drives}>
          {progress.map((p) => (
            <li key={p.device}>
              <ProgressBar label={p.name} event={p.event} />
            </li>
          ))}
        </ul>
      )}
      <div role="status">{job?.status === 'cancelled' && <p>{w.cancelled}</p>}</div>
      {job?.status === 'failed' && job.error && <ErrorNotice error={job.error} />}
    </section>
  );
}
