import { t } from '../i18n';
import { formatBuildDate, formatBytes } from '../i18n/format';
import { useApp, useAppShallow } from '../state/hooks';
import { countBySeverity, reviewFindings, selectedRelease } from '../state/selectors';

/** The choices so far, always visible beside the wizard: nothing the user chose is out of sight. */
export function SummaryPanel() {
  const release = useApp(selectedRelease);
  const mode = useApp((s) => s.profile?.mode ?? null);
  const profileName = useApp((s) => s.profile?.name ?? null);
  const isDirty = useApp((s) => s.isProfileDirty);
  // After Review, what the release itself said counts too.
  const counts = useAppShallow((s) => countBySeverity(reviewFindings(s)));
  const hasPreview = useApp((s) => s.preview !== null);
  const output = useApp((s) => s.buildResult?.output ?? s.buildOutput);
  const size = useApp((s) => s.buildResult?.size ?? null);
  const sticks = useAppShallow((s) => s.selectedDevices.map((d) => s.drives.find((x) => x.drive.device === d)?.drive.name ?? d));
  const none = <span className="summary-none">{t.summary.none}</span>;
  return (
    <aside className="summary" aria-labelledby="summary-title">
      <h2 id="summary-title">{t.summary.title}</h2>
      <dl>
        <dt>{t.summary.release}</dt>
        <dd data-testid="summary-release">{release ? `${release.name}${release.release ? ` (${formatBuildDate(release.release.buildDate)})` : ''}` : none}</dd>
        <dt>{t.summary.mode}</dt>
        <dd data-testid="summary-mode">{mode ? t.mode[mode].label : none}</dd>
        <dt>{t.summary.profile}</dt>
        <dd>{profileName ? `${profileName}${isDirty ? ` (${t.summary.unsaved})` : ''}` : none}</dd>
        {hasPreview && (
          <>
            <dt>{t.summary.problems}</dt>
            <dd data-testid="summary-problems">{counts.errors + counts.warnings === 0 ? t.summary.noProblems : t.summary.problemsCount(counts.errors, counts.warnings)}</dd>
          </>
        )}
        <dt>{t.summary.output}</dt>
        <dd className="summary-path">{output ?? none}</dd>
        {size !== null && (
          <>
            <dt>{t.summary.image}</dt>
            <dd>{formatBytes(size)}</dd>
          </>
        )}
        <dt>{t.summary.sticks}</dt>
        <dd>{sticks.length ? sticks.join(', ') : none}</dd>
      </dl>
    </aside>
  );
}
