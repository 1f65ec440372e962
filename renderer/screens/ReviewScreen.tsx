import { t } from '../i18n';
import { formatBuildDate, formatBytes } from '../i18n/format';
import { FindingList } from '../components/FindingList';
import { ScreenHeading } from '../components/ScreenHeading';
import { useApp, useAppDerived } from '../state/hooks';
import { countBySeverity, profileFindings, selectedRelease } from '../state/selectors';

const NONE: never[] = [];
const reviewFindings = (s: Parameters<typeof profileFindings>[0]) => (s.preview ? profileFindings(s) : NONE);

/** Everything the build will put on the media, every warning, Secure Boot, the space needed. */
export function ReviewScreen() {
  const release = useApp(selectedRelease);
  const mode = useApp((s) => s.profile?.mode ?? null);
  const preview = useApp((s) => s.preview);
  const findings = useAppDerived(['preview', 'loadFindings'], reviewFindings);
  const goTo = useApp((s) => s.goTo);
  const r = t.review;
  const { errors } = countBySeverity(findings);
  return (
    <section className="screen" aria-labelledby="screen-title">
      <ScreenHeading title={r.title} />
      <p>{r.intro}</p>
      <dl className="facts">
        <dt>{r.release}</dt>
        <dd>{release ? `${release.name}${release.release ? `, ${formatBuildDate(release.release.buildDate)}` : ''}` : '—'}</dd>
        <dt>{r.mode}</dt>
        <dd>{mode ? t.mode[mode].label : '—'}</dd>
        <dt>{r.secureBoot}</dt>
        <dd>{r.secureBootOff}</dd>
        <dt>{r.size}</dt>
        <dd>{release?.release?.size ? r.sizeEstimate(formatBytes(release.release.size)) : t.release.sizeUnknown}</dd>
      </dl>
      {mode === 'standalone' && <p className="notice notice-warning">{t.standalone.wipeWarning}</p>}
      <h2>{r.findings}</h2>
      {errors > 0 && (
        <div className="notice notice-error" role="alert">
          <p>{r.toFix}</p>
          <button type="button" onClick={() => goTo('customize')}>
            {r.editInCustomize}
          </button>
        </div>
      )}
      {findings.length === 0 ? <p>{r.noFindings}</p> : <FindingList findings={findings} />}
      {preview && (
        <>
          <h2>{r.whatHappens}</h2>
          <ul className="summary-items">
            {preview.summary.map((item, i) => (
              <li key={i} data-topic={item.topic}>
                {item.text}
              </li>
            ))}
          </ul>
          <h2>{r.kernel}</h2>
          <p>
            <code className="cmdline">{preview.kernelArgs.join(' ')}</code>
          </p>
          <h2>{r.files}</h2>
          <table className="overlay-table">
            <thead>
              <tr>
                <th scope="col">Path</th>
                <th scope="col">Mode</th>
                <th scope="col">Size</th>
              </tr>
            </thead>
            <tbody>
              {preview.overlay
                .filter((n) => n.kind !== 'dir')
                .map((n) => (
                  <tr key={n.path}>
                    <td>
                      <code>{n.kind === 'symlink' ? `${n.path} → ${n.target ?? ''}` : n.path}</code>
                    </td>
                    <td>{n.mode}</td>
                    <td>{n.size !== undefined ? formatBytes(n.size) : ''}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
