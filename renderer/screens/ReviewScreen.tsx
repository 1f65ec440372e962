import { useEffect } from 'react';
import { t } from '../i18n';
import { formatBytes } from '../i18n/format';
import { ErrorNotice } from '../components/ErrorNotice';
import { FindingList } from '../components/FindingList';
import { ProgressBar } from '../components/ProgressBar';
import { ScreenHeading } from '../components/ScreenHeading';
import { useApp, useAppDerived } from '../state/hooks';
import { countBySeverity, currentCheck, isReleaseReady, jobEvent, reviewFindings, reviewKeyOf, selectedRelease } from '../state/selectors';
import { ReviewFacts } from './ReviewFacts';
import { StandaloneWarnings } from './StandaloneWarnings';

const KEYS = ['releaseId', 'profile', 'profilePath', 'settings', 'reviewKey', 'reviewJob', 'reviewCheck', 'preview', 'loadFindings'] as const;

/** The check against the release: running (with progress), done (against what), or failed (why, and try again). */
function CheckStatus() {
  const job = useApp((s) => (s.reviewKey === reviewKeyOf(s) ? s.reviewJob : null));
  const event = useApp((s) => jobEvent(s, s.reviewJob?.status === 'running' ? s.reviewJob.jobId : undefined));
  const check = useApp(currentCheck);
  const releaseName = useApp((s) => selectedRelease(s)?.name ?? '');
  const isReady = useApp((s) => isReleaseReady(selectedRelease(s)));
  const checkReview = useApp((s) => s.checkReview);
  const r = t.review;
  return (
    <>
      <div role="status" className="review-check">
        {!isReady && <p>{r.waitingForRelease}</p>}
        {job?.status === 'running' && <ProgressBar label={r.checking(releaseName)} event={event} />}
        {check && <p>{r.checked(check.release.name, r.layouts[check.release.layout])}</p>}
        {job?.status === 'failed' && <p>{r.checkFailed}</p>}
      </div>
      {job?.status === 'failed' && job.error && <ErrorNotice error={job.error} onRetry={() => void checkReview({ force: true })} />}
    </>
  );
}

/** Everything the build will put on the media, checked against the release, with Secure Boot and the space needed. */
export function ReviewScreen() {
  const mode = useApp((s) => s.profile?.mode ?? null);
  const preview = useApp((s) => s.preview);
  const findings = useAppDerived(KEYS, reviewFindings);
  const goTo = useApp((s) => s.goTo);
  const key = useApp(reviewKeyOf);
  const isProfileChecking = useApp((s) => s.isChecking);
  const isReady = useApp((s) => isReleaseReady(selectedRelease(s)));
  const checkReview = useApp((s) => s.checkReview);
  const loadBootChain = useApp((s) => s.loadBootChain);
  useEffect(() => {
    void loadBootChain();
  }, [loadBootChain]);
  // On arrival, and again whenever what is checked changes (the boot chain, a profile just
  // re-checked) or the release becomes usable (its download ended).
  useEffect(() => {
    if (!isProfileChecking && isReady) void checkReview();
  }, [key, isProfileChecking, isReady, preview, checkReview]);
  const r = t.review;
  const { errors } = countBySeverity(findings);
  // What the release lacks is fixed by choosing another release, the rest in Customize.
  const errorCodes = findings.filter((f) => f.severity === 'error').map((f) => f.code);
  const isReleaseFix = errorCodes.some((c) => c.startsWith('E_RELEASE_'));
  const isProfileFix = errorCodes.some((c) => !c.startsWith('E_RELEASE_'));
  return (
    <section className="screen" aria-labelledby="screen-title">
      <ScreenHeading title={r.title} />
      <p>{r.intro}</p>
      <ReviewFacts />
      {mode === 'standalone' && <StandaloneWarnings />}
      <CheckStatus />
      <h2>{r.findings}</h2>
      {errors > 0 && (
        <div className="notice notice-error" role="alert">
          <p>{r.toFix}</p>
          <div className="toolbar">
            {isProfileFix && (
              <button type="button" onClick={() => goTo('customize')}>
                {r.editInCustomize}
              </button>
            )}
            {isReleaseFix && (
              <button type="button" onClick={() => goTo('release')}>
                {r.chooseRelease}
              </button>
            )}
          </div>
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
