import type { ReleaseListing } from '../../app/contract/catalog';
import type { BuildCheck, Finding } from '../../app/contract/build';
import type { FlashTarget, SafetyFinding } from '../../app/contract/drives';
import type { DriveListing, WriteSource } from '../../app/contract/api';
import type { ProgressEvent } from '../../app/contract/jobs';
import { STEPS, type Step } from './wizard-slice';
import type { AppState } from './store-types';

/** Plain functions of the state, tested on literal states; components pick them with narrow hooks. */

export function selectedRelease(s: Pick<AppState, 'releases' | 'releaseId'>): ReleaseListing | undefined {
  return s.releases?.releases.find((r) => r.id === s.releaseId);
}

/**
 * Bootkit releases as the picker lists them: those usable offline first (in the field the network
 * may be gone), then the newest build first.
 */
export function bootkitReleases(releases: readonly ReleaseListing[]): ReleaseListing[] {
  const date = (r: ReleaseListing) => r.release?.buildDate ?? '';
  return releases
    .filter((r) => r.kind === 'bootkit')
    .sort((a, b) => Number(b.isAvailableOffline) - Number(a.isAvailableOffline) || date(b).localeCompare(date(a)) || a.id.localeCompare(b.id));
}

/**
 * The releases a filter leaves: every word must appear in the name, the id, the release line or
 * the build date (as 20260526 or 2026-05-26), ignoring case.
 */
export function filterReleases(releases: readonly ReleaseListing[], text: string): ReleaseListing[] {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...releases];
  return releases.filter((r) => {
    const date = r.release?.buildDate ?? '';
    const hay = [r.name, r.id, r.release?.line ?? '', date, date.replace(/^(\d{4})(\d{2})(\d{2})$/, '$1-$2-$3')].join(' ').toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

/** Releases split as the picker shows them: on this computer (usable offline), and to download; each newest first. */
export function releaseGroups(releases: readonly ReleaseListing[]): { local: ReleaseListing[]; remote: ReleaseListing[] } {
  const sorted = bootkitReleases(releases);
  return { local: sorted.filter((r) => r.cache === 'cached'), remote: sorted.filter((r) => r.cache !== 'cached') };
}

/** Downloaded (or imported), whole and checked: the build can use it. */
export function isReleaseReady(r: ReleaseListing | undefined): boolean {
  return !!r && r.cache === 'cached' && (r.health === undefined || r.health === 'ok');
}

/** Findings of the profile as it stands, the engine's check first, then what loading the file said. */
export function profileFindings(s: Pick<AppState, 'preview' | 'loadFindings'>): Finding[] {
  return [...(s.preview?.findings ?? []), ...s.loadFindings];
}

/** The signed boot chain folder the settings name; null: the kit's unsigned GRUB. */
export function bootChainDirOf(s: Pick<AppState, 'settings'>): string | null {
  return s.settings?.settings.bootChainDir ?? null;
}

/** What Review's check is of: the release, the profile and its folder, the boot chain. Any change makes a check stale. */
export function reviewKeyOf(s: Pick<AppState, 'releaseId' | 'profile' | 'profilePath' | 'settings'>): string {
  return JSON.stringify([s.releaseId, s.profile, s.profilePath, bootChainDirOf(s)]);
}

/** Review's check against the release, when it is of what is chosen now. */
export function currentCheck(s: Pick<AppState, 'releaseId' | 'profile' | 'profilePath' | 'settings' | 'reviewKey' | 'reviewJob' | 'reviewCheck'>): BuildCheck | null {
  return s.reviewCheck && s.reviewJob?.status === 'done' && s.reviewKey === reviewKeyOf(s) ? s.reviewCheck : null;
}

/**
 * The findings to show from Review on: the check against the release when it is current (it
 * holds every finding of the profile's own check, and what only the release tells), else the
 * profile's own; what loading the file said comes last either way.
 */
export function reviewFindings(s: Parameters<typeof currentCheck>[0] & Pick<AppState, 'preview' | 'loadFindings'>): Finding[] {
  const check = currentCheck(s);
  return check ? [...check.findings, ...s.loadFindings] : profileFindings(s);
}

/** Findings about one form field, or about something inside it (`emf.services` covers `emf.services.OBM_PORT`). */
export function findingsFor(findings: readonly Finding[], field: string): Finding[] {
  return findings.filter((f) => f.field !== undefined && (f.field === field || f.field.startsWith(`${field}.`) || f.field.startsWith(`${field}[`)));
}

export function countBySeverity(findings: readonly { severity: string }[]): { errors: number; warnings: number } {
  return { errors: findings.filter((f) => f.severity === 'error').length, warnings: findings.filter((f) => f.severity === 'warning').length };
}

/** Why a step cannot be entered yet (a key into the string catalog), or null when it can. */
export type StepBlock =
  | 'no-release'
  | 'no-mode'
  | 'release-not-ready'
  | 'profile-unchecked'
  | 'profile-errors'
  | 'review-unchecked'
  | 'review-failed'
  | 'review-errors'
  | 'not-built'
  | 'not-written';

export function stepBlock(s: AppState, step: Step): StepBlock | null {
  const order = STEPS.indexOf(step);
  if (order >= STEPS.indexOf('mode') && !s.releaseId) return 'no-release';
  if (order >= STEPS.indexOf('customize') && !s.profile) return 'no-mode';
  if (order >= STEPS.indexOf('build')) {
    if (!isReleaseReady(selectedRelease(s))) return 'release-not-ready';
    if (!s.preview || s.isChecking) return 'profile-unchecked';
    if (countBySeverity(profileFindings(s)).errors > 0) return 'profile-errors';
    // Nothing surprising after Review: the build starts only once the release itself said yes.
    const isCurrent = s.reviewKey === reviewKeyOf(s);
    if (isCurrent && (s.reviewJob?.status === 'failed' || s.reviewJob?.status === 'cancelled')) return 'review-failed';
    const check = currentCheck(s);
    if (!check) return 'review-unchecked';
    if (countBySeverity(check.findings).errors > 0) return 'review-errors';
  }
  if (order >= STEPS.indexOf('write') && !s.buildResult) return 'not-built';
  if (order >= STEPS.indexOf('done') && !s.writeResult) return 'not-written';
  return null;
}

export function nextStep(step: Step): Step | null {
  return STEPS[STEPS.indexOf(step) + 1] ?? null;
}

export function previousStep(step: Step): Step | null {
  return STEPS[STEPS.indexOf(step) - 1] ?? null;
}

/** Why a build cannot start, or null. */
export type BuildBlock = 'no-output' | 'no-password' | StepBlock;

export function buildBlock(s: AppState): BuildBlock | null {
  const block = stepBlock(s, 'build');
  if (block) return block;
  if (!s.buildOutput) return 'no-output';
  if (s.profile?.mode === 'standalone' && s.password.length === 0) return 'no-password';
  return null;
}

export interface DriveRow {
  listing: DriveListing;
  isHidden: boolean;
  isSelected: boolean;
  /** Errors: the drive cannot be chosen; the first one says why. */
  blockers: SafetyFinding[];
  /** Set when the user must type the drive's name to choose it. */
  confirm: SafetyFinding | null;
  isNameTyped: boolean;
  warnings: SafetyFinding[];
  infos: SafetyFinding[];
}

export function driveRows(s: Pick<AppState, 'drives' | 'selectedDevices' | 'typedNames'>): DriveRow[] {
  return s.drives.map((listing) => {
    const { drive, findings } = listing;
    const confirm = findings.find((f) => f.severity === 'confirm') ?? null;
    return {
      listing,
      isHidden: drive.isSystem,
      isSelected: s.selectedDevices.includes(drive.device),
      blockers: findings.filter((f) => f.severity === 'error'),
      confirm,
      isNameTyped: confirm !== null && (s.typedNames[drive.device] ?? '') === drive.name,
      warnings: findings.filter((f) => f.severity === 'warning'),
      infos: findings.filter((f) => f.severity === 'info'),
    };
  });
}

/** The rows the picker shows: hidden drives only when asked, or when already selected. */
export function visibleDriveRows(s: Pick<AppState, 'drives' | 'selectedDevices' | 'typedNames' | 'isShowingHiddenDrives'>): DriveRow[] {
  return driveRows(s).filter((r) => !r.isHidden || s.isShowingHiddenDrives || r.isSelected);
}

export function hiddenDriveCount(s: Pick<AppState, 'drives'>): number {
  return s.drives.filter((d) => d.drive.isSystem).length;
}

/** What a write would write: this session's build, or an image file chosen in Tools. */
export function writeSource(s: Pick<AppState, 'buildResult' | 'writeSourceFile'>): WriteSource | null {
  if (s.buildResult) return { kind: 'build', output: s.buildResult.output };
  return s.writeSourceFile ? { kind: 'file', path: s.writeSourceFile } : null;
}

export type WriteBlock = 'no-image' | 'no-targets' | 'target-blocked' | 'name-not-typed' | 'warnings-not-accepted';

export function writeBlock(s: AppState): WriteBlock | null {
  if (!writeSource(s)) return 'no-image';
  const chosen = driveRows(s).filter((r) => r.isSelected);
  if (chosen.length === 0) return 'no-targets';
  if (chosen.some((r) => r.blockers.length > 0)) return 'target-blocked';
  if (chosen.some((r) => r.confirm && !r.isNameTyped)) return 'name-not-typed';
  if (chosen.some((r) => r.warnings.length > 0) && !s.hasAcceptedWarnings) return 'warnings-not-accepted';
  return null;
}

export function selectedTargets(s: Pick<AppState, 'drives' | 'selectedDevices' | 'typedNames'>): FlashTarget[] {
  return driveRows(s)
    .filter((r) => r.isSelected)
    .map((r) => (r.confirm ? { device: r.listing.drive.device, typedName: s.typedNames[r.listing.drive.device] ?? '' } : { device: r.listing.drive.device }));
}

/** Latest progress of each stick of the running write, in the order they were chosen. */
export function writeProgressRows(s: Pick<AppState, 'writeJob' | 'progress' | 'drives' | 'writeTargets'>): Array<{ device: string; name: string; event: ProgressEvent | null }> {
  const events = s.writeJob ? (s.progress[s.writeJob.jobId] ?? {}) : {};
  return s.writeTargets.map((device) => ({
    device,
    name: s.drives.find((d) => d.drive.device === device)?.drive.name ?? device,
    event: events[device] ?? null,
  }));
}

/** Progress of a single-target job (download, build, inspect): the latest event, or null. */
export function jobEvent(s: Pick<AppState, 'progress'>, jobId: string | undefined): ProgressEvent | null {
  if (!jobId) return null;
  const events = Object.values(s.progress[jobId] ?? {});
  return events[events.length - 1] ?? null;
}
