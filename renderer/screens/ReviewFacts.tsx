import { t } from '../i18n';
import { formatBuildDate, formatBytes } from '../i18n/format';
import { BootChainDetails } from '../components/BootChainDetails';
import { ErrorNotice } from '../components/ErrorNotice';
import { useApp } from '../state/hooks';
import { currentCheck, selectedRelease } from '../state/selectors';

/** A stick size as sold: decimal gigabytes, rounded up. */
const stickGb = (bytes: number) => Math.max(1, Math.ceil(bytes / 1e9));

/** The facts of the media: release, mode, Secure Boot and the boot loader behind it, the space it needs. */
export function ReviewFacts() {
  const release = useApp(selectedRelease);
  const mode = useApp((s) => s.profile?.mode ?? null);
  const check = useApp(currentCheck);
  const isRunning = useApp((s) => s.reviewJob?.status === 'running');
  const bootChain = useApp((s) => s.bootChain);
  const bootChainError = useApp((s) => s.bootChainError);
  const chooseBootChain = useApp((s) => s.chooseBootChain);
  const clearBootChain = useApp((s) => s.clearBootChain);
  const r = t.review;
  const pending = isRunning ? r.checking(release?.name ?? '') : '—';
  return (
    <dl className="facts">
      <dt>{r.release}</dt>
      <dd>{release ? `${release.name}${release.release ? `, ${formatBuildDate(release.release.buildDate)}` : ''}` : '—'}</dd>
      <dt>{r.mode}</dt>
      <dd>{mode ? t.mode[mode].label : '—'}</dd>
      <dt>{r.secureBoot}</dt>
      <dd data-testid="secure-boot" data-state={check?.secureBoot.state}>
        {check ? (
          <>
            <strong>{r.secureBootStates[check.secureBoot.state]}.</strong> {check.secureBoot.explanation}
          </>
        ) : (
          pending
        )}
      </dd>
      <dt>{r.bootChain}</dt>
      <dd>
        {bootChain ? <BootChainDetails chain={bootChain} /> : <p>{r.bootChainKit}</p>}
        <div className="toolbar">
          <button type="button" onClick={() => void chooseBootChain()} disabled={isRunning}>
            {r.chooseBootChain}
          </button>
          {bootChain && (
            <button type="button" onClick={() => void clearBootChain()} disabled={isRunning}>
              {r.useKit}
            </button>
          )}
        </div>
        {bootChainError && <ErrorNotice error={bootChainError} />}
      </dd>
      <dt>{r.size}</dt>
      <dd data-testid="media-size">
        {!check ? (
          pending
        ) : check.media.isoBytes === null ? (
          r.sizeUnknown
        ) : (
          <>
            <span>{r.isoSize(formatBytes(check.media.isoBytes))}</span>
            {check.media.stickMinBytes !== null && (
              <>
                <br />
                <span>{r.stickSize(formatBytes(check.media.stickMinBytes), stickGb(check.media.stickMinBytes))}</span>
              </>
            )}
          </>
        )}
      </dd>
    </dl>
  );
}
