import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../cli';
import { openCache } from '../release/cache';
import { download } from '../release/download';
import { listPartials } from '../release/download-part';
import { recordingIo } from '../release/testing/cli-io';
import { FaultServer } from '../release/testing/fault-server';
import { bootkit, bootkitTarball, makeHarness, type Harness } from '../release/testing/harness';

let server: FaultServer;
let h: Harness;
// A real (tiny) Bootkit: the download's content is checked before it is cached.
const file = await bootkitTarball(4 << 20);

beforeEach(async () => {
  server = await FaultServer.start();
  h = await makeHarness();
  server.serve('/emb_uos_x86_64_20260526.tar.gz', { body: file.bytes });
  await h.writeCatalog([bootkit('bootkit-cli', server.url('/emb_uos_x86_64_20260526.tar.gz'))]);
});
afterEach(async () => {
  await server.close();
  await h.cleanup();
});

describe('emt-media download', () => {
  it('downloads with progress events, pins the hash and says so, then answers from the cache', async () => {
    const r = recordingIo(h.env, h.dir);
    expect(await main(['download', 'bootkit-cli'], r.io)).toBe(0);
    expect(r.text()).toContain(`sha256  ${file.sha256}`);
    expect(r.text()).toContain('PINNED NOW (trust on first use)');
    expect(r.progress.at(-1)).toMatchObject({ phase: 'download', done: file.bytes.length, total: file.bytes.length });
    const again = recordingIo(h.env, h.dir);
    expect(await main(['download', 'bootkit-cli', '--json'], again.io)).toBe(0);
    const doc = JSON.parse(again.out.join('\n'));
    expect(doc).toMatchObject({ ok: true, wasCached: true, entry: { verification: 'pinned' } });
    expect((await readFile(doc.path)).equals(file.bytes)).toBe(true);
  });

  it('prints the error code, what happened and the fix', async () => {
    server.remove('/emb_uos_x86_64_20260526.tar.gz');
    const r = recordingIo(h.env, h.dir);
    expect(await main(['download', 'bootkit-cli'], r.io)).toBe(1);
    expect(r.err.join('\n')).toMatch(/^error E_HTTP_NOT_FOUND: The server has no file at .*\(HTTP 404\)\.\n {2}fix: This build may not be published/);
    expect(await main(['download'], recordingIo(h.env, h.dir).io)).toBe(2);
  });

  it('resumes after the app was killed mid-download (a real process, SIGKILL)', async () => {
    server.inject('/emb_uos_x86_64_20260526.tar.gz', { kind: 'trickle', bytesPerChunk: 128 << 10, intervalMs: 100 });
    const child = spawn(process.execPath, ['--import', 'tsx', 'app/cli.ts', 'download', 'bootkit-cli'], { env: { ...process.env, ...h.env }, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      // Wait until the child has made some of the download durable (its state says how much).
      const downloads = join(h.cacheDir, 'downloads');
      const deadline = Date.now() + 30_000;
      while ((await listPartials(downloads)).every((p) => p.bytes < 512 << 10)) {
        if (Date.now() > deadline) throw new Error('the child never made progress');
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const kept = (await listPartials(join(h.cacheDir, 'downloads')))[0]!.bytes;
    expect(kept).toBeGreaterThanOrEqual(512 << 10);
    expect(kept).toBeLessThan(file.bytes.length);
    const r = await download('bootkit-cli', { settings: h.settings, env: h.env });
    expect(r.resumedFrom).toBe(kept);
    expect(server.requests.at(-1)).toMatchObject({ status: 206, start: kept });
    const cache = await openCache(h.settings, h.env);
    expect((await readFile(cache.filePath(r.entry, r.entry.files[0]!))).equals(file.bytes)).toBe(true);
  });
});
