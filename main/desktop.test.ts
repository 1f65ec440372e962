import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createJobEffects, type JobEffectsDeps } from './job-effects';
import { buildMenuTemplate, type MenuItemSpec } from './menu';
import { createFileLogger, redact } from './log';
import { shouldKeepOpen, type AskSync } from './quit-guard';
import { createDialogHandlers, MAX_TEXT_BYTES, pemArmor, type DialogLike } from './dialogs';

const dir = mkdtempSync(join(tmpdir(), 'emt-desktop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Fake powerSaveBlocker, window and notifier (no Electron binary here). */
function fakeDesktop(isFocused = false) {
  const bar: Array<[number, string | undefined]> = [];
  const notes: Array<[string, string]> = [];
  const blocker = { start: vi.fn(() => 42), stop: vi.fn() };
  const win = { setProgressBar: (p: number, o?: { mode: string }) => void bar.push([p, o?.mode]), isFocused: () => isFocused, flashFrame: vi.fn() };
  const deps: JobEffectsDeps = { powerSaveBlocker: blocker, window: () => win, notify: (t, b) => void notes.push([t, b]) };
  return { deps, bar, notes, blocker, win };
}
const ev = (done: number, total: number, target?: string) => ({ phase: 'writing', done, total, bytesPerSecond: null, etaSeconds: null, ...(target ? { target } : {}) });

describe('job effects on a fake desktop', () => {
  it('keeps the system awake from the first job start to the last job end', () => {
    const d = fakeDesktop();
    const fx = createJobEffects(d.deps);
    fx.onStart!('flash.write', 'a');
    fx.onStart!('build.run', 'b');
    expect(d.blocker.start).toHaveBeenCalledTimes(1);
    expect(fx.runningWrites()).toBe(1);
    fx.onEnd!('flash.write', 'a', null);
    expect(d.blocker.stop).not.toHaveBeenCalled();
    fx.onEnd!('build.run', 'b', null);
    expect(d.blocker.stop).toHaveBeenCalledWith(42);
    expect(fx.runningWrites()).toBe(0);
  });

  it('shows overall progress of several sticks on the taskbar and clears it at the end', () => {
    const d = fakeDesktop();
    const fx = createJobEffects(d.deps);
    fx.onStart!('flash.write', 'w');
    fx.onProgress!('flash.write', 'w', ev(50, 100, '/dev/sdb'));
    fx.onProgress!('flash.write', 'w', ev(0, 100, '/dev/sdc'));
    fx.onEnd!('flash.write', 'w', null);
    expect(d.bar).toEqual([
      [2, 'normal'],
      [0.5, 'normal'],
      [0.25, 'normal'],
      [-1, 'none'],
    ]);
  });

  it('notifies when a job ends in the background, with the error and its fix when it failed', () => {
    const d = fakeDesktop(false);
    const fx = createJobEffects(d.deps);
    fx.onStart!('flash.write', 'w');
    fx.onEnd!('flash.write', 'w', { code: 'E_IO', message: 'The stick stopped answering.', hint: 'Try another port.' });
    fx.onStart!('build.run', 'b');
    fx.onEnd!('build.run', 'b', null);
    expect(d.notes).toEqual([
      ['Write failed', 'The stick stopped answering. Try another port.'],
      ['Build finished', ''],
    ]);
    expect(d.win.flashFrame).toHaveBeenCalledWith(true);
  });

  it('stays quiet when the window is in front or the user cancelled', () => {
    const front = fakeDesktop(true);
    const fx = createJobEffects(front.deps);
    fx.onStart!('build.run', 'b');
    fx.onEnd!('build.run', 'b', null);
    const back = fakeDesktop(false);
    const fx2 = createJobEffects(back.deps);
    fx2.onStart!('flash.write', 'w');
    fx2.onEnd!('flash.write', 'w', { code: 'E_CANCELLED', message: 'x', hint: 'y' });
    expect([...front.notes, ...back.notes]).toEqual([]);
  });
});

describe('closing the window mid-write, with a fake message box', () => {
  it('asks only while sticks are being written, and keeps the window open unless the user insists', () => {
    const ask = vi.fn((_options: Parameters<AskSync>[0]) => 0);
    expect(shouldKeepOpen(0, ask)).toBe(false);
    expect(ask).not.toHaveBeenCalled();
    expect(shouldKeepOpen(2, ask)).toBe(true);
    expect(ask.mock.calls[0]![0]).toMatchObject({ buttons: ['Keep writing', 'Quit anyway'], defaultId: 0, cancelId: 0 });
    expect(shouldKeepOpen(1, () => 1)).toBe(false);
  });
});

describe('application menu', () => {
  const labels = (items: MenuItemSpec[]): string[] => items.flatMap((i) => [i.label ?? i.role ?? '-', ...labels(i.submenu ?? [])]);

  it('offers Open logs, settings and the tools, and runs their actions', () => {
    const actions = { openSettings: vi.fn(), openTool: vi.fn(), openLogs: vi.fn(), openDocs: vi.fn(), about: vi.fn() };
    const menu = buildMenuTemplate(actions, 'linux', false);
    expect(labels(menu)).toEqual(expect.arrayContaining(['Open logs', 'Settings…', 'Inspect a stick or ISO…', 'Restore a stick…', 'Quit']));
    expect(labels(menu)).not.toContain('toggleDevTools');
    const find = (label: string) => menu.flatMap((m) => m.submenu ?? []).find((i) => i.label === label)!;
    find('Open logs').click!();
    find('Restore a stick…').click!();
    expect(actions.openLogs).toHaveBeenCalled();
    expect(actions.openTool).toHaveBeenCalledWith('restore');
  });

  it('follows macOS conventions (app menu, no Quit in File) and shows dev tools only when allowed', () => {
    const menu = buildMenuTemplate({ openSettings() {}, openTool() {}, openLogs() {}, openDocs() {}, about() {} }, 'darwin', true);
    expect(menu[0]!.role).toBe('appMenu');
    expect(labels(menu)).not.toContain('Quit');
    expect(labels(menu)).toContain('toggleDevTools');
  });
});

describe('persistent log file', () => {
  it('appends JSON lines, redacts secrets and rotates past the size limit', () => {
    const file = join(dir, 'logs', 'main.log');
    const log = createFileLogger(file, { maxBytes: 400, now: () => new Date('2026-07-01T00:00:00Z') });
    log.info('profile saved', { name: 'site-a', password: 'hunter2', nested: { apiToken: 'abc', host: 'orch.example' } });
    const first = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(first).toEqual([{ t: '2026-07-01T00:00:00.000Z', level: 'info', message: 'profile saved', data: { name: 'site-a', password: '[redacted]', nested: { apiToken: '[redacted]', host: 'orch.example' } } }]);
    expect(readFileSync(file, 'utf8')).not.toContain('hunter2');
    for (let i = 0; i < 10; i++) log.warn(`line ${i}`);
    expect(existsSync(`${file}.1`)).toBe(true);
    expect(readFileSync(file, 'utf8').length).toBeLessThanOrEqual(400);
    expect(readFileSync(file, 'utf8')).toContain('line 9');
  });

  it('leaves empty secrets visible (so support sees that none was set)', () => {
    expect(redact({ password: '', key: null })).toEqual({ password: '', key: null });
  });
});

describe('dialog handlers on a fake native dialog', () => {
  function fakeDialog(answer: string | null): DialogLike & { seen: unknown[] } {
    const seen: unknown[] = [];
    return {
      seen,
      showOpenDialog: async (o) => (seen.push(o), answer ? { canceled: false, filePaths: [answer] } : { canceled: true, filePaths: [] }),
      showSaveDialog: async (o) => (seen.push(o), answer ? { canceled: false, filePath: answer } : { canceled: true }),
    };
  }

  it('returns a picked certificate with its text, and the release tarball by path only', async () => {
    const pem = join(dir, 'ca.pem');
    writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const d = fakeDialog(pem);
    expect(await createDialogHandlers(d).openFile({}, 'certificate')).toEqual({ path: pem, name: 'ca.pem', size: 59, text: readFileSync(pem, 'utf8') });
    expect(await createDialogHandlers(d).openFile({}, 'release')).toEqual({ path: pem, name: 'ca.pem', size: 59 });
    expect(d.seen[0]).toMatchObject({ properties: ['openFile'], filters: expect.arrayContaining([expect.objectContaining({ extensions: expect.arrayContaining(['pem']) })]) });
  });

  it('armours a binary (DER) certificate as PEM, refuses an oversized one, and returns null on cancel', async () => {
    const der = join(dir, 'db.der');
    writeFileSync(der, Buffer.from([0x30, 0x82, 0xff, 0xfe, 0x00]));
    expect(await createDialogHandlers(fakeDialog(der)).openFile({}, 'certificate')).toEqual({ path: der, name: 'db.der', size: 5, text: '-----BEGIN CERTIFICATE-----\nMIL//gA=\n-----END CERTIFICATE-----\n' });
    expect(await createDialogHandlers(fakeDialog(der)).openFile({}, 'config')).toEqual({ path: der, name: 'db.der', size: 5 });
    expect(pemArmor(new Uint8Array(100).fill(1)).split('\n').map((l) => l.length)).toEqual([27, 64, 64, 8, 25, 0]);
    const big = join(dir, 'big.pem');
    writeFileSync(big, Buffer.alloc(MAX_TEXT_BYTES + 1, 0x41));
    await expect(createDialogHandlers(fakeDialog(big)).openFile({}, 'certificate')).rejects.toMatchObject({ code: 'E_FILE_TOO_BIG' });
    expect(await createDialogHandlers(fakeDialog(null)).openFile({}, 'certificate')).toBeNull();
    expect(await createDialogHandlers(fakeDialog(null)).saveFile({}, 'output', 'x.iso')).toBeNull();
  });

  it('writes a report only where the user chose in the save dialog', async () => {
    const target = join(dir, 'report.json');
    expect(await createDialogHandlers(fakeDialog(target)).saveText({}, 'report', 'r.json', '{"ok":true}')).toBe(target);
    expect(readFileSync(target, 'utf8')).toBe('{"ok":true}');
    expect(await createDialogHandlers(fakeDialog(null)).saveText({}, 'report', 'r.json', 'x')).toBeNull();
  });

  it('suggests only a file name when saving (no path from the page reaches the dialog)', async () => {
    const d = fakeDialog('/home/tech/site-a.iso');
    expect(await createDialogHandlers(d).saveFile({}, 'output', '../../etc/site-a.iso')).toBe('/home/tech/site-a.iso');
    expect(d.seen[0]).toMatchObject({ defaultPath: 'site-a.iso' });
  });
});
