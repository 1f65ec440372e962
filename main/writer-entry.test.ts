import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWriter } from '../app/writer/bundle';
import { WriterEventSchema, type WriterEvent } from '../app/writer/protocol';
import { runWriterEntry, writerEntryArgs } from './writer-entry';
import { packagedWriter, packagedWriterEnv } from './writer-path';

// The AppImage's way to write sticks: the app file run as root with --emt-writer becomes the
// writer. No Electron binary exists here, so Node stands in for Electron's Node mode (the child
// runs `execPath writer.cjs …`, which is what ELECTRON_RUN_AS_NODE=1 makes of Electron); the AppImage
// runtime mounting itself as root and pkexec's prompt cannot be run here at all.
mkdirSync(join(process.cwd(), '.cache'), { recursive: true });
const dir = mkdtempSync(join(process.cwd(), '.cache', 'writer-entry-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await bundleWriter(join(dir, 'writer.cjs'));
});

const APPIMAGE = '/home/tech/Apps/EMT Media Builder-1.0.0.AppImage';

describe('which writer the packaged app uses', () => {
  it('in an AppImage, the AppImage file itself; elsewhere the launcher the polkit policy names', () => {
    const mount = '/tmp/.mount_EMTx1';
    expect(packagedWriterEnv(`${mount}/resources`, 'linux', { APPIMAGE, APPDIR: mount })).toEqual({ EMT_WRITER_APPIMAGE: APPIMAGE });
    expect(packagedWriterEnv('/opt/EMT Media Builder/resources', 'linux', {})).toEqual({ EMT_WRITER: packagedWriter('/opt/EMT Media Builder/resources', 'linux') });
    // APPIMAGE leaks into programs started from an AppImage (a terminal): only our own mount counts.
    expect(packagedWriterEnv('/opt/EMT Media Builder/resources', 'linux', { APPIMAGE: '/home/t/Terminal.AppImage', APPDIR: '/tmp/.mount_Term' })).toEqual({
      EMT_WRITER: packagedWriter('/opt/EMT Media Builder/resources', 'linux'),
    });
    expect(packagedWriterEnv(`${mount}/resources`, 'linux', { APPIMAGE, APPDIR: mount, EMT_WRITER: '/x/writer.cjs' })).toEqual({});
  });
});

describe('the main-process entry that dispatches to the writer', () => {
  it('finds the writer arguments after the flag, and none for a normal start', () => {
    expect(writerEntryArgs(['/tmp/.mount_EMTx1/emt-media-builder', '--no-sandbox', '--emt-writer', '--heartbeat-timeout-ms', '500'])).toEqual(['--heartbeat-timeout-ms', '500']);
    expect(writerEntryArgs(['/tmp/.mount_EMTx1/emt-media-builder', '--no-sandbox', '--emt-writer'])).toEqual([]);
    expect(writerEntryArgs(['/opt/EMT Media Builder/emt-media-builder'])).toBeNull();
    expect(writerEntryArgs(['/opt/EMT Media Builder/emt-media-builder', '--no-sandbox'])).toBeNull();
  });

  it('starts the bundled writer on the same runtime in Node mode, with stdio inherited, and returns its exit code', () => {
    const calls: Array<{ command: string; args: readonly string[]; env: NodeJS.ProcessEnv | undefined; stdio: unknown }> = [];
    const code = runWriterEntry(['--heartbeat-timeout-ms', '500'], {
      execPath: '/tmp/.mount_EMTx1/emt-media-builder',
      bundleDir: '/tmp/.mount_EMTx1/resources/app.asar/dist/main',
      env: { PATH: '/usr/bin' },
      spawnSync: (command, args, options) => {
        calls.push({ command, args, env: options.env, stdio: options.stdio });
        return { status: 3, signal: null, error: undefined };
      },
    });
    expect(code).toBe(3);
    expect(calls).toEqual([
      { command: '/tmp/.mount_EMTx1/emt-media-builder', args: ['/tmp/.mount_EMTx1/resources/app.asar/dist/main/writer.cjs', '--heartbeat-timeout-ms', '500'], env: { PATH: '/usr/bin', ELECTRON_RUN_AS_NODE: '1' }, stdio: 'inherit' },
    ]);
    expect(runWriterEntry([], { execPath: 'x', bundleDir: 'y', env: {}, spawnSync: () => ({ status: null, signal: 'SIGKILL', error: undefined }) })).toBe(1);
  });

  it('is what main does first, before the sandbox, the single-instance lock or any window', () => {
    const main = readFileSync(join(import.meta.dirname, 'main.ts'), 'utf8');
    const dispatch = main.indexOf('writerEntryArgs(process.argv)');
    expect(dispatch).toBeGreaterThan(0);
    for (const later of ['app.enableSandbox()', 'requestSingleInstanceLock()', 'whenReady()']) expect(main.indexOf(later)).toBeGreaterThan(dispatch);
  });

  it('is a writer the client can talk to: the protocol over the entry process, a job done, its exit code passed on', async () => {
    // A stand-in for main started as `<app> --no-sandbox --emt-writer …`: the dispatch, with the real spawnSync.
    const fakeMain = join(dir, 'fake-main.ts');
    writeFileSync(
      fakeMain,
      `import { spawnSync } from 'node:child_process';
       import { runWriterEntry, writerEntryArgs } from ${JSON.stringify(join(import.meta.dirname, 'writer-entry.ts'))};
       const args = writerEntryArgs(process.argv);
       process.exit(args ? runWriterEntry(args, { execPath: process.execPath, bundleDir: ${JSON.stringify(dir)}, env: process.env, spawnSync }) : 99);`,
    );
    const image = join(dir, 'stick.img');
    writeFileSync(image, Buffer.alloc(1 << 20));
    const child = spawn(process.execPath, ['--import', 'tsx', fakeMain, '--no-sandbox', '--emt-writer', '--heartbeat-timeout-ms', '5000']);
    const events: WriterEvent[] = [];
    const exit = new Promise<number | null>((r) => child.once('close', r));
    createInterface({ input: child.stdout }).on('line', (l) => {
      const e = WriterEventSchema.parse(JSON.parse(l));
      events.push(e);
      if (e.type === 'ready') child.stdin.write(`${JSON.stringify({ type: 'eject', targets: [{ device: image }], cachePaths: [], testTargets: [image] })}\n`);
    });
    expect(await exit).toBe(0);
    expect(events[0]).toMatchObject({ type: 'ready', version: 1 });
    expect(events.find((e) => e.type === 'eject-result')).toMatchObject({ result: { targets: [{ device: image, isEjected: false, error: { code: 'E_NOT_EJECTABLE' } }] } });
  });

  it('passes on a failing writer exit code (a request it does not understand)', () => {
    const r = spawnSync(process.execPath, [join(dir, 'writer.cjs')], { input: '{"type":"nonsense"}\n', encoding: 'utf8' });
    const code = runWriterEntry([], { execPath: process.execPath, bundleDir: dir, env: process.env, spawnSync: (c, a, o) => spawnSync(c, a, { ...o, input: '{"type":"nonsense"}\n', stdio: 'pipe' }) });
    expect(code).toBe(r.status);
    expect(code).toBe(2);
  });
});
