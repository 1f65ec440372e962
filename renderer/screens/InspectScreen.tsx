import type { MediaInspection } from '../../app/contract/inspect';
import { t } from '../i18n';
import { DrivePicker } from '../components/DrivePicker';
import { ErrorNotice } from '../components/ErrorNotice';
import { FindingList } from '../components/FindingList';
import { ProgressBar } from '../components/ProgressBar';
import { ScreenHeading } from '../components/ScreenHeading';
import { useDrivePolling, useOwnDriveSelection } from '../components/use-drive-polling';
import { useApp } from '../state/hooks';
import { jobEvent } from '../state/selectors';

function MediaReport({ m }: { m: MediaInspection }) {
  const i = t.inspect;
  return (
    <>
      <p className={m.isVerified ? 'notice notice-success' : 'notice notice-error'} data-testid="inspect-verdict">
        {m.manifest ? (m.isVerified ? i.intact : i.notIntact) : i.noManifest}
      </p>
      {m.manifest && (
        <dl className="facts">
          <dt>{t.review.release}</dt>
          <dd>{m.manifest.release.id ?? m.manifest.release.source}</dd>
          <dt>{t.review.mode}</dt>
          <dd>{m.manifest.mode}</dd>
          <dt>{i.built}</dt>
          <dd>{m.manifest.builtAt}</dd>
          <dt>{t.review.secureBoot}</dt>
          <dd>{m.manifest.secureBoot.explanation}</dd>
          <dt>{t.review.kernel}</dt>
          <dd>
            <code>{m.manifest.kernelCommandLine}</code>
          </dd>
        </dl>
      )}
      <p>{i.checked(m.checks.length)}</p>
      {m.overlay.length > 0 && (
        <>
          <h2>{i.customization}</h2>
          <ul className="file-list">
            {m.overlay
              .filter((o) => o.kind !== 'dir')
              .map((o) => (
                <li key={o.path}>
                  <code>{o.path}</code>
                </li>
              ))}
          </ul>
        </>
      )}
    </>
  );
}

/** Reads an ISO, or a written stick, back and checks it against the manifest it carries. */
export function InspectScreen() {
  const pickFile = useApp((s) => s.pickFile);
  const inspect = useApp((s) => s.inspect);
  const job = useApp((s) => s.inspectJob);
  const event = useApp((s) => jobEvent(s, s.inspectJob?.status === 'running' ? s.inspectJob.jobId : undefined));
  const result = useApp((s) => s.inspection);
  const cancel = useApp((s) => s.cancelJob);
  const chosen = useApp((s) => (s.selectedDevices.length === 1 ? s.selectedDevices[0]! : null));
  const isRunning = job?.status === 'running';
  useDrivePolling(isRunning);
  useOwnDriveSelection();
  const i = t.inspect;
  return (
    <section className="screen" aria-labelledby="screen-title">
      <ScreenHeading title={i.title} />
      <p>{i.intro}</p>
      <div className="toolbar">
        <button
          type="button"
          disabled={isRunning}
          onClick={() =>
            void pickFile('inspect').then((f) => {
              if (f) void inspect(f.path);
            })
          }
        >
          {i.chooseIso}
        </button>
      </div>
      <DrivePicker isLocked={isRunning} />
      <div className="toolbar">
        {!isRunning ? (
          <button type="button" disabled={!chosen} onClick={() => chosen && void inspect(chosen)}>
            {i.inspectStick}
          </button>
        ) : (
          <button type="button" onClick={() => void cancel(job.jobId)}>
            {t.app.cancel}
          </button>
        )}
      </div>
      {isRunning && <ProgressBar label={i.reading} event={event} />}
      {job?.status === 'failed' && job.error && <ErrorNotice error={job.error} />}
      {result && (
        <div role="status">
          {result.kind === 'media' ? <MediaReport m={result} /> : <p className="notice notice-info">{i.notMedia}</p>}
          <FindingList findings={result.findings} />
        </div>
      )}
    </section>
  );
}
