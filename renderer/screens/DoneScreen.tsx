import { t } from '../i18n';
import { formatBytes, formatSpeed } from '../i18n/format';
import { ErrorNotice } from '../components/ErrorNotice';
import { ScreenHeading } from '../components/ScreenHeading';
import { useApp } from '../state/hooks';
import type { EjectTargetResult, TargetResult } from '../../app/contract/drives';

function speed(bytes: number, seconds: number): string {
  return seconds > 0 ? (formatSpeed(bytes / seconds) ?? '') : '—';
}

/** Whether the stick is still attached: written fine, not ejected by the write, not ejected since. */
const isPendingEject = (r: TargetResult, e: EjectTargetResult | undefined) => r.ok && !r.isEjected && !e?.isEjected;

function EjectState({ r }: { r: TargetResult }) {
  const e = useApp((s) => s.ejected[r.device]);
  const isEjecting = useApp((s) => s.ejectJob?.status === 'running');
  const eject = useApp((s) => s.ejectSticks);
  const d = t.done;
  if (r.isEjected || e?.isEjected) return <p>{d.ejected}</p>;
  return (
    <>
      <p>{e?.error ? d.ejectFailed : d.notEjected}</p>
      {e?.error && <ErrorNotice error={e.error} />}
      <button type="button" onClick={() => void eject([r.device])} disabled={isEjecting}>
        {d.eject(r.name)}
      </button>
    </>
  );
}

function TargetLine({ r }: { r: TargetResult }) {
  const d = t.done;
  return (
    <tr data-device={r.device} data-ok={r.ok}>
      <th scope="row">
        {r.name}
        <br />
        <code>{r.device}</code>
      </th>
      <td>
        {r.ok ? (
          <>
            <p>{r.isVerified ? `${d.verified} (${formatBytes(r.bytesVerified)})` : d.notVerified}</p>
            <EjectState r={r} />
            <p className="field-hint">{d.speed(speed(r.bytesWritten, r.writeSeconds), r.isVerified ? speed(r.bytesVerified, r.verifySeconds) : '—')}</p>
          </>
        ) : (
          <>
            <p className="finding finding-error">{d.failed}</p>
            {r.error && <ErrorNotice error={r.error} />}
            {r.isWiped && <p>{d.wiped}</p>}
          </>
        )}
      </td>
    </tr>
  );
}

/** What was written and verified, per stick; a report to save; what to do next. */
export function DoneScreen() {
  const result = useApp((s) => s.writeResult);
  const output = useApp((s) => s.buildResult?.output ?? null);
  const saveReport = useApp((s) => s.saveReport);
  const reportPath = useApp((s) => s.reportPath);
  const writeAgain = useApp((s) => s.writeAgain);
  const makeAnother = useApp((s) => s.makeAnother);
  const showInFolder = useApp((s) => s.showInFolder);
  const ejected = useApp((s) => s.ejected);
  const ejectJob = useApp((s) => s.ejectJob);
  const eject = useApp((s) => s.ejectSticks);
  const d = t.done;
  if (!result) return null;
  const okCount = result.targets.filter((r) => r.ok).length;
  const pending = result.targets.filter((r) => isPendingEject(r, ejected[r.device])).map((r) => r.device);
  return (
    <section className="screen" aria-labelledby="screen-title">
      <ScreenHeading title={d.title} />
      <p className={result.ok ? 'notice notice-success' : 'notice notice-error'} role="status">
        {result.ok ? d.allGood(result.targets.length) : d.someFailed(okCount, result.targets.length)}
      </p>
      <table className="results">
        <thead>
          <tr>
            <th scope="col">{d.stick}</th>
            <th scope="col">{d.result}</th>
          </tr>
        </thead>
        <tbody>
          {result.targets.map((r) => (
            <TargetLine key={r.device} r={r} />
          ))}
        </tbody>
      </table>
      {pending.length > 0 && <p className="field-hint">{d.ejectHint}</p>}
      {pending.length > 1 && (
        <div className="toolbar">
          <button type="button" onClick={() => void eject(pending)} disabled={ejectJob?.status === 'running'}>
            {d.ejectAll}
          </button>
        </div>
      )}
      <div role="status">{ejectJob?.status === 'running' && <p>{d.ejecting}</p>}</div>
      {ejectJob?.status === 'failed' && ejectJob.error && <ErrorNotice error={ejectJob.error} />}
      <p className="field-hint">{d.windowsNote}</p>
      <div className="toolbar">
        <button type="button" onClick={() => void saveReport()}>
          {d.saveReport}
        </button>
        {output && (
          <button type="button" onClick={() => void showInFolder(output)}>
            {d.showIso}
          </button>
        )}
        <button type="button" onClick={writeAgain}>
          {d.writeMore}
        </button>
        <button type="button" className="primary" onClick={makeAnother}>
          {d.makeAnother}
        </button>
      </div>
      <div role="status">{reportPath && <p>{d.reportSaved(reportPath)}</p>}</div>
    </section>
  );
}
