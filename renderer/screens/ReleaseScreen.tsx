import { useEffect, useId, useState } from 'react';
import type { ReleaseListing } from '../../app/contract/catalog';
import { t } from '../i18n';
import { formatBuildDate, formatBytes } from '../i18n/format';
import { ErrorNotice } from '../components/ErrorNotice';
import { ProgressBar } from '../components/ProgressBar';
import { ScreenHeading } from '../components/ScreenHeading';
import { useApp } from '../state/hooks';
import { bootkitReleases, filterReleases, jobEvent, releaseGroups } from '../state/selectors';

/** The badges of a release: where it is, how it was checked. Words, not colour only. */
export function releaseBadges(r: ReleaseListing): string[] {
  const b = t.release.badges;
  const out: string[] = [];
  if (r.cache === 'cached') out.push(b.cached);
  else if (r.cache === 'partial') out.push(b.partial);
  else out.push(b.remote);
  if (r.isAvailableOffline) out.push(b.offline);
  if (r.verification) out.push(b[r.verification]);
  if (r.health && r.health !== 'ok') out.push(b[r.health]);
  // Before a download: how the file will be trusted when it comes.
  if (r.cache !== 'cached') {
    if (r.pin) out.push(b.pinnedBefore(r.pin.pinnedAt.slice(0, 10)));
    else if (r.release && !r.release.sha256) out.push(b.noCatalogHash);
  }
  return out;
}

/** Lists longer than this get a filter. */
const FILTER_FROM = 6;

function ReleaseGroup({ title, releases }: { title: string; releases: readonly ReleaseListing[] }) {
  const id = useId();
  if (releases.length === 0) return null;
  return (
    <>
      <h3 id={id} className="release-group">
        {title}
      </h3>
      <ul aria-labelledby={id}>
        {releases.map((r) => (
          <ReleaseRow key={r.id} r={r} />
        ))}
      </ul>
    </>
  );
}

function ReleaseRow({ r }: { r: ReleaseListing }) {
  const releaseId = useApp((s) => s.releaseId);
  const select = useApp((s) => s.selectRelease);
  const download = useApp((s) => s.downloadRelease);
  const cancelJob = useApp((s) => s.cancelJob);
  const job = useApp((s) => (s.releaseJob?.releaseId === r.id ? s.releaseJob : null));
  const event = useApp((s) => jobEvent(s, job?.status === 'running' ? job.jobId : undefined));
  const isSelected = releaseId === r.id;
  const isRunning = job?.status === 'running';
  const info = r.release;
  const facts = [
    info?.line ? t.release.line(info.line) : t.release.noLine,
    info ? t.release.built(formatBuildDate(info.buildDate)) : null,
    info?.size ? formatBytes(info.size) : t.release.sizeUnknown,
  ].filter(Boolean);
  const radioId = `release-${r.id}`;
  return (
    <li className={`release${isSelected ? ' release-selected' : ''}`} data-release={r.id}>
      <div className="release-main">
        <input type="radio" name="release" id={radioId} checked={isSelected} onChange={() => select(r.id)} />
        <label htmlFor={radioId}>
          <span className="release-name">{r.name}</span>
          <span className="release-facts">{facts.join(' · ')}</span>
        </label>
        <ul className="badges" aria-label={r.name}>
          {releaseBadges(r).map((b) => (
            <li key={b} className="badge">
              {b}
            </li>
          ))}
        </ul>
        <div className="release-actions">
          {r.cache !== 'cached' && !isRunning && info && (
            <button type="button" onClick={() => void download(r.id)}>
              {t.release.download}
            </button>
          )}
          {isRunning && (
            <button type="button" onClick={() => void cancelJob(job.jobId)}>
              {t.app.cancel}
            </button>
          )}
        </div>
      </div>
      {r.warnings.map((w) => (
        <p key={w} className="finding finding-warning">
          {w}
        </p>
      ))}
      {isRunning && <ProgressBar label={t.release.downloading(r.name)} event={event} />}
      {job?.status === 'failed' && job.error && (
        <>
          <ErrorNotice error={job.error} />
          {job.error.code === 'E_RELEASE_PIN_MISMATCH' && (
            <button type="button" onClick={() => void download(r.id, { acceptNewHash: true })}>
              {t.release.acceptNewHash}
            </button>
          )}
        </>
      )}
    </li>
  );
}

export function ReleaseScreen() {
  const releases = useApp((s) => s.releases);
  const error = useApp((s) => s.releasesError);
  const isLoading = useApp((s) => s.isLoadingReleases);
  const load = useApp((s) => s.loadReleases);
  const importRelease = useApp((s) => s.importRelease);
  const importJob = useApp((s) => (s.releaseJob?.kind === 'import' ? s.releaseJob : null));
  const importEvent = useApp((s) => jobEvent(s, importJob?.status === 'running' ? importJob.jobId : undefined));
  const hasList = releases !== null;
  const [filter, setFilter] = useState('');
  const filterId = useId();

  useEffect(() => {
    if (!hasList) void load();
  }, [hasList, load]);

  const bootkits = releases ? bootkitReleases(releases.releases) : [];
  const shown = filterReleases(bootkits, bootkits.length >= FILTER_FROM ? filter : '');
  const groups = releaseGroups(shown);
  return (
    <section className="screen" aria-labelledby="screen-title">
      <ScreenHeading title={t.release.title} />
      <p>{t.release.intro}</p>
      <div className="toolbar">
        <button type="button" onClick={() => void load()} disabled={isLoading}>
          {isLoading ? t.app.loading : t.release.refresh}
        </button>
        <button type="button" onClick={() => void importRelease()} disabled={importJob?.status === 'running'}>
          {t.release.importFile}
        </button>
      </div>
      {error && <ErrorNotice error={error} onRetry={() => void load()} />}
      {importJob?.status === 'running' && <ProgressBar label={t.release.importing} event={importEvent} />}
      {importJob?.status === 'failed' && importJob.error && <ErrorNotice error={importJob.error} />}
      {hasList && bootkits.length === 0 && <p className="empty">{t.release.empty}</p>}
      {bootkits.length >= FILTER_FROM && (
        <div className="field release-filter">
          <label htmlFor={filterId}>{t.release.filter}</label>
          <input id={filterId} type="search" value={filter} onChange={(e) => setFilter(e.target.value)} aria-describedby={`${filterId}-hint ${filterId}-count`} autoComplete="off" spellCheck={false} />
          <p className="field-hint" id={`${filterId}-hint`}>
            {t.release.filterHint}
          </p>
          <p className="field-hint" id={`${filterId}-count`} aria-live="polite">
            {t.release.filterCount(shown.length, bootkits.length)}
          </p>
        </div>
      )}
      {bootkits.length > 0 && (
        <fieldset className="release-list">
          <legend>{t.release.listLabel}</legend>
          {shown.length === 0 && <p className="empty">{t.release.noMatch}</p>}
          <ReleaseGroup title={t.release.groupLocal} releases={groups.local} />
          <ReleaseGroup title={t.release.groupRemote} releases={groups.remote} />
        </fieldset>
      )}
      {releases && releases.sources.length > 0 && (
        <details className="sources">
          <summary>{t.release.sources}</summary>
          <ul>
            {releases.sources.map((src) => (
              <li key={src.location}>
                {src.name} — {t.release.sourceState[src.signature]}
                {src.isFromCache ? ` (${t.release.fromCache})` : ''}
                {src.error && <ErrorNotice error={src.error} />}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
