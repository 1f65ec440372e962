import { describe, expect, it } from 'vitest';
import type { AppState } from './store-types';
import { bootkitReleases, buildBlock, driveRows, filterReleases, findingsFor, hiddenDriveCount, releaseGroups, reviewFindings, reviewKeyOf, selectedTargets, stepBlock, visibleDriveRows, writeBlock, writeProgressRows } from './selectors';
import { buildCheck, buildResult, drive, finding, listing, preview, release } from '../testing/fixtures';
import type { BuildCheck } from '../../app/contract/build';
import { newProfile } from './profile-edit';

/** A literal state: only what a selector reads matters, the rest is filler of the right type. */
function state(over: Partial<AppState> = {}): AppState {
  return {
    step: 'release',
    tool: null,
    releases: { sources: [], releases: [release(), release({ id: 'emb-20260413', cache: 'none', health: undefined, verification: undefined, isAvailableOffline: false })] },
    releaseId: null,
    releaseJob: null,
    profile: null,
    preview: null,
    loadFindings: [],
    isChecking: false,
    buildOutput: null,
    password: '',
    buildResult: null,
    writeResult: null,
    writeSourceFile: null,
    drives: [],
    selectedDevices: [],
    typedNames: {},
    isShowingHiddenDrives: false,
    hasAcceptedWarnings: false,
    writeJob: null,
    writeTargets: [],
    progress: {},
    settings: null,
    reviewKey: null,
    reviewJob: null,
    reviewCheck: null,
    ...over,
  } as AppState;
}

/** A state whose Review check of exactly what it holds is done, with `check`'s answer. */
function reviewed(over: Partial<AppState> = {}, check: BuildCheck = buildCheck()): AppState {
  return state({ ...over, reviewKey: reviewKeyOf(state(over)), reviewJob: { jobId: 'review', status: 'done', error: null }, reviewCheck: check });
}

describe('stepBlock', () => {
  it('walks the wizard in order, naming what is missing', () => {
    expect(stepBlock(state(), 'release')).toBeNull();
    expect(stepBlock(state(), 'mode')).toBe('no-release');
    expect(stepBlock(state({ releaseId: 'emb-20260526' }), 'mode')).toBeNull();
    expect(stepBlock(state({ releaseId: 'emb-20260526' }), 'customize')).toBe('no-mode');
    const ready = { releaseId: 'emb-20260526', profile: newProfile('emf', 'Site A') };
    expect(stepBlock(state(ready), 'review')).toBeNull();
    expect(stepBlock(state(ready), 'build')).toBe('profile-unchecked');
    expect(stepBlock(state({ ...ready, preview: preview(), isChecking: true }), 'build')).toBe('profile-unchecked');
    expect(stepBlock(state({ ...ready, preview: preview() }), 'build')).toBe('review-unchecked');
    expect(stepBlock(reviewed({ ...ready, preview: preview() }), 'build')).toBeNull();
    expect(stepBlock(reviewed({ ...ready, preview: preview() }), 'write')).toBe('not-built');
    expect(stepBlock(reviewed({ ...ready, preview: preview(), buildResult: buildResult() }), 'done')).toBe('not-written');
  });

  it('keeps Build closed while the release is not downloaded, or the profile has an error', () => {
    const base = { profile: newProfile('emf', 'A'), preview: preview() };
    expect(stepBlock(state({ ...base, releaseId: 'emb-20260413' }), 'build')).toBe('release-not-ready');
    const bad = preview([{ severity: 'error', code: 'E_CERT_MISSING', message: 'm', hint: 'h', field: 'emf.certificates.orchestratorCa' }]);
    expect(stepBlock(state({ ...base, releaseId: 'emb-20260526', preview: bad }), 'build')).toBe('profile-errors');
    const warnOnly = preview([{ severity: 'warning', code: 'W_X', message: 'm', hint: 'h' }]);
    expect(stepBlock(reviewed({ ...base, releaseId: 'emb-20260526', preview: warnOnly }), 'build')).toBeNull();
  });

  it('keeps Build closed until Review checked exactly this against the release, and while that check found an error', () => {
    const ready = { releaseId: 'emb-20260526', profile: newProfile('standalone', 'A'), preview: preview() };
    const missing = { severity: 'error' as const, code: 'E_RELEASE_TOOL_MISSING', message: 'The release lacks parted.', hint: 'Choose another release.' };
    const bad = reviewed(ready, buildCheck([missing]));
    expect(stepBlock(bad, 'build')).toBe('review-errors');
    expect(reviewFindings(bad)).toEqual([missing]);
    // The profile changed since: that check says nothing about it any more.
    const edited = { ...bad, profile: { ...bad.profile!, name: 'B' } };
    expect(stepBlock(edited, 'build')).toBe('review-unchecked');
    expect(reviewFindings(edited)).toEqual(preview().findings);
    // So does another boot chain.
    const chained = { ...reviewed(ready), settings: { settings: { bootChainDir: '/srv/chain' } } } as AppState;
    expect(stepBlock(chained, 'build')).toBe('review-unchecked');
    expect(stepBlock(state({ ...ready, reviewKey: reviewKeyOf(state(ready)), reviewJob: { jobId: 'r', status: 'running', error: null } }), 'build')).toBe('review-unchecked');
    expect(stepBlock(state({ ...ready, reviewKey: reviewKeyOf(state(ready)), reviewJob: { jobId: 'r', status: 'failed', error: { code: 'E_KIT_MISSING', message: 'm', hint: 'h' } } }), 'build')).toBe('review-failed');
  });

  it('asks for the output and, in standalone mode, the password before a build', () => {
    const base = { releaseId: 'emb-20260526', preview: preview() };
    expect(buildBlock(reviewed({ ...base, profile: newProfile('emf', 'A') }))).toBe('no-output');
    expect(buildBlock(reviewed({ ...base, profile: newProfile('standalone', 'A'), buildOutput: '/x.iso' }))).toBe('no-password');
    expect(buildBlock(reviewed({ ...base, profile: newProfile('standalone', 'A'), buildOutput: '/x.iso', password: 'pw' }))).toBeNull();
  });
});

describe('bootkitReleases', () => {
  it('lists what works offline first, then the newest build, and leaves OS images out', () => {
    const old = release({ id: 'emb-20250710', cache: 'none', isAvailableOffline: false });
    const newer = release({ id: 'emb-20260526', cache: 'none', isAvailableOffline: false });
    const cached = release({ id: 'emb-20251023' });
    const image = release({ id: 'img-20260601', kind: 'os-image' });
    expect(bootkitReleases([old, image, newer, cached]).map((r) => r.id)).toEqual(['emb-20251023', 'emb-20260526', 'emb-20250710']);
  });

  it('groups them into on this computer and to download, each newest first', () => {
    const old = release({ id: 'emb-20250710', cache: 'none', isAvailableOffline: false });
    const newer = release({ id: 'emb-20260526', cache: 'none', isAvailableOffline: false });
    const cachedOld = release({ id: 'emb-20251023' });
    const cachedNew = release({ id: 'emb-20260413' });
    const corrupt = release({ id: 'emb-20260101', health: 'corrupt', isAvailableOffline: false });
    const g = releaseGroups([old, cachedOld, newer, corrupt, cachedNew]);
    expect(g.local.map((r) => r.id)).toEqual(['emb-20260413', 'emb-20251023', 'emb-20260101']);
    expect(g.remote.map((r) => r.id)).toEqual(['emb-20260526', 'emb-20250710']);
  });

  it('filters by every word typed, in the name, the line or the build date written either way', () => {
    const list = [release({ id: 'emb-20260526' }), release({ id: 'emb-20260413' }), release({ id: 'emb-20250710', release: { ...release().release!, line: 'next', buildDate: '20250710' } })];
    expect(filterReleases(list, '').length).toBe(3);
    expect(filterReleases(list, '2026-05').map((r) => r.id)).toEqual(['emb-20260526']);
    expect(filterReleases(list, '202604').map((r) => r.id)).toEqual(['emb-20260413']);
    expect(filterReleases(list, 'NEXT 2025').map((r) => r.id)).toEqual(['emb-20250710']);
    expect(filterReleases(list, 'next 2026')).toEqual([]);
  });
});

describe('findingsFor', () => {
  const fs = [
    { severity: 'error' as const, code: 'A', message: '', hint: '', field: 'emf.services' },
    { severity: 'error' as const, code: 'B', message: '', hint: '', field: 'emf.services.OBM_PORT' },
    { severity: 'error' as const, code: 'C', message: '', hint: '', field: 'emf.servicesExtra' },
    { severity: 'error' as const, code: 'D', message: '', hint: '', field: 'kernel.extraArgs[2]' },
    { severity: 'error' as const, code: 'E', message: '', hint: '' },
  ];
  it('matches the field and what is inside it, not a field that merely starts alike', () => {
    expect(findingsFor(fs, 'emf.services').map((f) => f.code)).toEqual(['A', 'B']);
    expect(findingsFor(fs, 'kernel.extraArgs').map((f) => f.code)).toEqual(['D']);
  });
});

describe('drives', () => {
  const usb = listing(drive());
  const system = listing(drive({ device: '/dev/nvme0n1', name: 'Samsung 980 (nvme0n1)', isSystem: true, systemReason: 'fixed', isRemovable: false }), [finding('confirm', 'E_SYSTEM_DRIVE')]);
  const small = listing(drive({ device: '/dev/sdc', size: 1e8 }), [finding('error', 'E_DRIVE_TOO_SMALL', 'The stick is too small.')]);
  const big = listing(drive({ device: '/dev/sdd', size: 2e12 }), [finding('warning', 'W_LARGE_DRIVE')]);

  it('hides system drives unless asked, or unless already chosen', () => {
    const s = state({ drives: [usb, system, small] });
    expect(visibleDriveRows(s).map((r) => r.listing.drive.device)).toEqual(['/dev/sdb', '/dev/sdc']);
    expect(hiddenDriveCount(s)).toBe(1);
    expect(visibleDriveRows({ ...s, isShowingHiddenDrives: true })).toHaveLength(3);
    expect(visibleDriveRows({ ...s, selectedDevices: ['/dev/nvme0n1'] })).toHaveLength(3);
  });

  it('sorts findings into blockers, the typed-name confirmation and warnings', () => {
    const rows = driveRows(state({ drives: [usb, system, small, big], typedNames: { '/dev/nvme0n1': 'Samsung 980 (nvme0n1)' } }));
    expect(rows.map((r) => [r.blockers.length, r.confirm?.code ?? null, r.isNameTyped, r.warnings.length])).toEqual([
      [0, null, false, 0],
      [0, 'E_SYSTEM_DRIVE', true, 0],
      [1, null, false, 0],
      [0, null, false, 1],
    ]);
  });

  it('names why a write cannot start, in the order the user meets the problems', () => {
    const s = state({ drives: [usb, system, small, big], buildResult: buildResult() });
    expect(writeBlock(state())).toBe('no-image');
    expect(writeBlock(s)).toBe('no-targets');
    expect(writeBlock({ ...s, selectedDevices: ['/dev/sdc'] })).toBe('target-blocked');
    expect(writeBlock({ ...s, selectedDevices: ['/dev/nvme0n1'], typedNames: { '/dev/nvme0n1': 'samsung' } })).toBe('name-not-typed');
    expect(writeBlock({ ...s, selectedDevices: ['/dev/sdd'] })).toBe('warnings-not-accepted');
    expect(writeBlock({ ...s, selectedDevices: ['/dev/sdd'], hasAcceptedWarnings: true })).toBeNull();
    expect(writeBlock({ ...s, selectedDevices: ['/dev/sdb', '/dev/nvme0n1'], typedNames: { '/dev/nvme0n1': 'Samsung 980 (nvme0n1)' } })).toBeNull();
  });

  it('sends the typed name only for drives that need it', () => {
    const s = state({ drives: [usb, system], selectedDevices: ['/dev/sdb', '/dev/nvme0n1'], typedNames: { '/dev/nvme0n1': 'Samsung 980 (nvme0n1)', '/dev/sdb': 'ignored' } });
    expect(selectedTargets(s)).toEqual([{ device: '/dev/sdb' }, { device: '/dev/nvme0n1', typedName: 'Samsung 980 (nvme0n1)' }]);
  });

  it('gives each stick of a write its own latest progress', () => {
    const e = (target: string, done: number) => ({ phase: 'write', done, total: 100, bytesPerSecond: 10, etaSeconds: 1, target });
    const s = state({ drives: [usb], writeTargets: ['/dev/sdb', '/dev/sdc'], writeJob: { jobId: 'w', status: 'running', error: null }, progress: { w: { '/dev/sdb': e('/dev/sdb', 40) } } });
    expect(writeProgressRows(s)).toEqual([
      { device: '/dev/sdb', name: 'SanDisk Ultra (sdb)', event: e('/dev/sdb', 40) },
      { device: '/dev/sdc', name: '/dev/sdc', event: null },
    ]);
  });
});
