import { describe, expect, it } from 'vitest';
import { buildResult, drive, listing, preview, release } from '../testing/fixtures';
import { testStore } from '../testing/scripted-api';
import { PERSIST_KEY } from './store';

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 50 && !check(); i++) await new Promise((r) => setTimeout(r, 0));
  expect(check()).toBe(true);
};

describe('store with a scripted API (the real engine runs in e2e/ui)', () => {
  it('loads the release list, and keeps the error with its fix when it fails', async () => {
    const ok = testStore({ 'releases.list': () => ({ sources: [], releases: [release()] }) });
    await ok.store.getState().loadReleases();
    expect(ok.store.getState().releases?.releases).toHaveLength(1);
    const bad = testStore({ 'releases.list': () => Promise.reject({ code: 'E_CATALOG_OFFLINE', message: 'No network.', hint: 'Check the cable.' }) });
    await bad.store.getState().loadReleases();
    expect(bad.store.getState().releasesError).toEqual({ code: 'E_CATALOG_OFFLINE', message: 'No network.', hint: 'Check the cable.' });
    expect(bad.store.getState().isLoadingReleases).toBe(false);
  });

  it('routes job progress to the download and tells a cancel from a failure', async () => {
    let finish!: (v: unknown) => void;
    const t = testStore({ 'releases.download': () => new Promise((_r, reject) => (finish = reject)), 'releases.list': () => ({ sources: [], releases: [] }) });
    const off = (await import('./store')).connectEvents(t.store, t.api);
    const running = t.store.getState().downloadRelease('emb-1');
    expect(t.store.getState().releaseJob).toMatchObject({ kind: 'download', releaseId: 'emb-1', status: 'running', jobId: 'job-1' });
    t.emitProgress({ jobId: 'job-1', event: { phase: 'download', done: 5, total: 10, bytesPerSecond: 1, etaSeconds: 5 } });
    expect(t.store.getState().progress['job-1']?.['']?.done).toBe(5);
    expect(t.fns['releases.download']!.mock.calls[0]).toEqual(['job-1', { id: 'emb-1', acceptNewHash: false, refresh: false }]);
    finish({ code: 'E_CANCELLED', message: 'The operation was cancelled.', hint: 'Start it again when you are ready.' });
    await running;
    expect(t.store.getState().releaseJob?.status).toBe('cancelled');
    expect(t.store.getState().progress['job-1']).toBeUndefined();
    off();
  });

  it('checks the profile after each edit and ignores a slower answer to an older edit', async () => {
    const answers: Array<(v: unknown) => void> = [];
    const t = testStore({ 'profiles.check': () => new Promise((r) => answers.push(r)) });
    t.store.getState().setMode('emf');
    await until(() => answers.length === 1);
    t.store.getState().setProfileField(['emf', 'orchestratorDomain'], 'orch.example.com');
    await until(() => answers.length === 2);
    expect(t.fns['profiles.check']!.mock.calls[1]![0]).toMatchObject({ emf: { orchestratorDomain: 'orch.example.com' } });
    const newer = preview();
    answers[1]!(newer);
    await until(() => t.store.getState().preview === newer);
    answers[0]!(preview([{ severity: 'error', code: 'E_OLD', message: 'old', hint: 'h' }]));
    await new Promise((r) => setTimeout(r, 0));
    expect(t.store.getState().preview).toBe(newer);
    expect(t.store.getState().isProfileDirty).toBe(true);
  });

  it('saves to a path chosen in the dialog, then to the same file without asking', async () => {
    const t = testStore({ 'dialogs.saveFile': () => '/home/tech/site-a.yaml', 'profiles.save': () => undefined, 'profiles.check': () => preview() });
    t.store.getState().setMode('emf');
    t.store.getState().setProfileField(['name'], 'Site A');
    await t.store.getState().saveProfile();
    await t.store.getState().saveProfile();
    expect(t.fns['dialogs.saveFile']!.mock.calls).toEqual([['profile', 'Site-A.yaml']]);
    expect(t.fns['profiles.save']!.mock.calls.map((c) => c[0])).toEqual(['/home/tech/site-a.yaml', '/home/tech/site-a.yaml']);
    expect(t.store.getState().isProfileDirty).toBe(false);
  });

  it('builds, then moves on to Write; sends the password only in standalone mode', async () => {
    const t = testStore({ 'build.run': () => buildResult(), 'profiles.check': () => preview() });
    t.store.setState({ releaseId: 'emb-20260526', buildOutput: '/o.iso', password: 'secret' });
    t.store.getState().setMode('emf');
    await t.store.getState().startBuild();
    expect(t.fns['build.run']!.mock.calls[0]![1]).not.toHaveProperty('password');
    expect(t.store.getState().step).toBe('write');
    t.store.getState().setMode('standalone');
    await t.store.getState().startBuild();
    expect(t.fns['build.run']!.mock.calls[1]![1]).toMatchObject({ password: 'secret', output: '/o.iso', releaseId: 'emb-20260526' });
  });

  it('writes the chosen sticks with the typed name, then shows Done; "make another" keeps the profile', async () => {
    const system = listing(drive({ device: '/dev/nvme0n1', name: 'Disk', isSystem: true }), [{ code: 'E_SYSTEM_DRIVE', severity: 'confirm', message: 'm', hint: 'h' }]);
    const result = { ok: true, size: 1, targets: [], writerMaxRssBytes: 0 };
    const t = testStore({ 'flash.write': () => result, 'drives.list': () => [listing(drive()), system] });
    t.store.setState({ buildResult: buildResult(), profile: null });
    await t.store.getState().refreshDrives({ kind: 'build', output: '/home/tech/site-a.iso' });
    t.store.getState().toggleDrive('/dev/sdb');
    t.store.getState().toggleDrive('/dev/nvme0n1');
    t.store.getState().setTypedName('/dev/nvme0n1', 'Disk');
    await t.store.getState().startWrite();
    expect(t.fns['flash.write']!.mock.calls[0]).toEqual([
      'job-1',
      { source: { kind: 'build', output: '/home/tech/site-a.iso' }, targets: [{ device: '/dev/sdb' }, { device: '/dev/nvme0n1', typedName: 'Disk' }], verify: true, eject: true, acceptWarnings: false },
    ]);
    expect(t.store.getState().step).toBe('done');
    t.store.getState().setMode('emf');
    t.store.getState().makeAnother();
    expect(t.store.getState()).toMatchObject({ step: 'customize', buildResult: null, selectedDevices: [], writeResult: null, password: '' });
    expect(t.store.getState().profile?.mode).toBe('emf');
  });

  it('stays on Write and says "cancelled" when the writer reports every stick cancelled', async () => {
    const cancelled = { code: 'E_CANCELLED', message: 'The operation was cancelled.', hint: 'Start it again when you are ready.' };
    const target = { device: '/dev/sdb', name: 'S', ok: false, phase: 'write' as const, bytesWritten: 5, bytesVerified: 0, bytesSkipped: 0, isVerified: false, isCacheBypassed: true, isEjected: false, isWiped: true, writeSeconds: 1, verifySeconds: 0, findings: [], error: cancelled };
    const t = testStore({ 'drives.list': () => [listing(drive())], 'flash.write': () => ({ ok: false, size: 10, targets: [target], writerMaxRssBytes: 0 }) });
    t.store.setState({ buildResult: buildResult(), step: 'write' });
    await t.store.getState().refreshDrives(null);
    t.store.getState().toggleDrive('/dev/sdb');
    await t.store.getState().startWrite();
    expect(t.store.getState()).toMatchObject({ step: 'write', writeResult: null, writeJob: { status: 'cancelled' } });
  });

  it('does not write when a chosen stick is refused, and drops sticks that were pulled out', async () => {
    let drives = [listing(drive()), listing(drive({ device: '/dev/sdc' }), [{ code: 'E_DRIVE_READ_ONLY', severity: 'error', message: 'm', hint: 'h' }])];
    const t = testStore({ 'drives.list': () => drives, 'flash.write': () => ({ ok: true, size: 0, targets: [], writerMaxRssBytes: 0 }) });
    t.store.setState({ buildResult: buildResult() });
    await t.store.getState().refreshDrives(null);
    t.store.getState().toggleDrive('/dev/sdc');
    await t.store.getState().startWrite();
    expect(t.fns['flash.write']).not.toHaveBeenCalled();
    t.store.getState().toggleDrive('/dev/sdb');
    drives = [listing(drive({ device: '/dev/sdc' }))];
    await t.store.getState().refreshDrives(null);
    expect(t.store.getState().selectedDevices).toEqual(['/dev/sdc']);
  });

  it('persists the work in progress but never the password, and survives a stored profile it cannot read', async () => {
    const t = testStore({ 'profiles.check': () => preview() });
    t.store.getState().setMode('emf');
    t.store.setState({ releaseId: 'emb-20260526', password: 'hunter2' });
    const stored = t.saved.get(PERSIST_KEY)!;
    expect(stored).toContain('emb-20260526');
    expect(stored).not.toContain('hunter2');
    const { createAppStore } = await import('./store');
    const broken = new Map([[PERSIST_KEY, JSON.stringify({ state: { profile: { mode: 'martian' }, releaseId: 'emb-1' }, version: 1 })]]);
    const again = createAppStore({ api: t.api, newJobId: () => 'j', checkDelayMs: 0 }, { getItem: (k) => broken.get(k) ?? null, setItem: () => {}, removeItem: () => {} });
    expect(again.getState()).toMatchObject({ profile: null, releaseId: 'emb-1', isVerifying: true });
  });

  it('opens the tool the application menu asks for', async () => {
    const t = testStore();
    const { connectEvents } = await import('./store');
    const off = connectEvents(t.store, t.api);
    t.emitMenu('settings');
    expect(t.store.getState().tool).toBe('settings');
    off();
    t.emitMenu('restore');
    expect(t.store.getState().tool).toBe('settings');
  });
});
