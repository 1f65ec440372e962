import { useEffect } from 'react';
import { t } from '../i18n';
import { DrivePicker } from '../components/DrivePicker';
import { ErrorNotice } from '../components/ErrorNotice';
import { ProgressBar } from '../components/ProgressBar';
import { ScreenHeading } from '../components/ScreenHeading';
import { useApp, useAppDerived, useAppShallow, useAppStore } from '../state/hooks';
import { driveRows, writeBlock, writeProgressRows, writeSource } from '../state/selectors';

/** How often the drive list is read while the picker is on screen (a stick plugged in shows up by itself). */
export const DRIVE_POLL_MS = 2000;

function useDrivePolling(isPaused: boolean): void {
  const store = useAppStore();
  const source = useAppShallow(writeSource);
  const key = source ? JSON.stringify(source) : '';
  useEffect(() => {
    if (isPaused) return;
    const refresh = (): void => void store.getState().refreshDrives(writeSource(store.getState()));
    refresh();
    const timer = setInterval(refresh, DRIVE_POLL_MS);
    return () => clearInterval(timer);
  }, [store, isPaused, key]);
}

export function WriteScreen() {
  const job = useApp((s) => s.writeJob);
  const isRunning = job?.status === 'running';
  useDrivePolling(isRunning);
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
  const w = t.write;
  return (
    <section className="screen" aria-labelledby="screen-title">
      <ScreenHeading title={w.title} />
      <p>{w.intro}</p>
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
