import { t } from '../i18n';
import { formatDuration } from '../i18n/format';
import { TextField } from '../components/Field';
import { ErrorNotice } from '../components/ErrorNotice';
import { ProgressBar } from '../components/ProgressBar';
import { ScreenHeading } from '../components/ScreenHeading';
import { useApp } from '../state/hooks';
import { buildBlock, jobEvent } from '../state/selectors';

export function BuildScreen() {
  const output = useApp((s) => s.buildOutput);
  const choose = useApp((s) => s.chooseBuildOutput);
  const isStandalone = useApp((s) => s.profile?.mode === 'standalone');
  const password = useApp((s) => s.password);
  const setPassword = useApp((s) => s.setPassword);
  const job = useApp((s) => s.buildJob);
  const event = useApp((s) => jobEvent(s, s.buildJob?.status === 'running' ? s.buildJob.jobId : undefined));
  const result = useApp((s) => s.buildResult);
  const block = useApp(buildBlock);
  const start = useApp((s) => s.startBuild);
  const cancel = useApp((s) => s.cancelJob);
  const dialogError = useApp((s) => s.buildDialogError);
  const b = t.build;
  const isRunning = job?.status === 'running';
  const blockText = block ? (block in b.blocked ? b.blocked[block as keyof typeof b.blocked] : t.steps.blocked[block as keyof typeof t.steps.blocked]) : null;
  return (
    <section className="screen" aria-labelledby="screen-title">
      <ScreenHeading title={b.title} />
      <div className="field">
        <span className="file-drop-label">{b.output}</span>
        <div className="file-drop-body">
          <span className="file-drop-name" data-testid="build-output">
            {output ?? t.files.none}
          </span>
          <button type="button" onClick={() => void choose()} disabled={isRunning}>
            {b.chooseOutput}
          </button>
        </div>
      </div>
      {dialogError && <ErrorNotice error={dialogError} />}
      {isStandalone && (
        <>
          <TextField label={b.password} hint={b.passwordHint} value={password} onChange={setPassword} type="password" autoComplete="new-password" />
          <p className="notice notice-warning">{b.passwordWarning}</p>
        </>
      )}
      <div className="toolbar">
        {!isRunning && (
          <button type="button" className="primary" onClick={() => void start()} disabled={block !== null} aria-describedby={blockText ? 'build-block' : undefined}>
            {b.start}
          </button>
        )}
        {isRunning && (
          <button type="button" onClick={() => void cancel(job.jobId)}>
            {b.cancel}
          </button>
        )}
        {blockText && !isRunning && (
          <p className="footer-reason" id="build-block">
            {blockText}
          </p>
        )}
      </div>
      {isRunning && <ProgressBar label={b.running} event={event} />}
      <div role="status">
        {job?.status === 'cancelled' && <p>{b.cancelled}</p>}
        {job?.status === 'done' && result && <p>{b.done(formatDuration(result.seconds) ?? '')}</p>}
      </div>
      {job?.status === 'failed' && job.error && <ErrorNotice error={job.error} />}
    </section>
  );
}
