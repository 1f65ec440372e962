import { open, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../contract/jobs';
import { openCache } from './cache';
import { download } from './download';
import { listPartials } from './download-part';
import { listReleases } from './catalog-list';
import { FaultServer } from './testing/fault-server';
import { bootkit, FAST_NETWORK, makeHarness, randomFile, type Harness } from './testing/harness';

// Every test talks to a real HTTP server on 127.0.0.1 that injects the fault under test.
let server: FaultServer;
let h: Harness;
const file = randomFile(3 << 20);
const PATH = '/uos/26.06/emb_uos_x86_64_20260526.tar.gz';

beforeEach(async () => {
  server = await FaultServer.start();
  h = await makeHarness();
  server.serve(PATH, { body: file.bytes });
  await h.writeCatalog([bootkit('bootkit-test', server.url(PATH))]);
});

afterEach(async () => {
  await server.close();
  await h.cleanup();
});

const run = (extra: Partial<Parameters<typeof download>[1]> = {}) => download('bootkit-test', { settings: h.settings, env: h.env, network: FAST_NETWORK, ...extra });

async function cachedBytes(): Promise<Buffer> {
  const cache = await openCache(h.settings, h.env);
  const entry = (await cache.get('bootkit-test'))!;
  return readFile(cache.filePath(entry, entry.files[0]!));
}

async function cacheHasNoRelease(): Promise<void> {
  const cache = await openCache(h.settings, h.env);
  expect(await cache.get('bootkit-test')).toBeNull();
  expect(await readdir(cache.releasesDir)).toEqual([]);
}

describe('download', () => {
  it('downloads, pins the hash of a Bootkit (nothing published), and serves the next request from the cache offline', async () => {
    const events: ProgressEvent[] = [];
    const r = await run({ onProgress: (e) => events.push(e) });
    expect(r.wasCached).toBe(false);
    expect(r.isNewPin).toBe(true);
    expect(r.entry.verification).toBe('pinned');
    expect(r.entry.files[0]).toMatchObject({ role: 'tarball', size: file.bytes.length, sha256: file.sha256, name: 'emb_uos_x86_64_20260526.tar.gz' });
    expect((await cachedBytes()).equals(file.bytes)).toBe(true);
    expect(events.at(-1)).toMatchObject({ phase: 'download', done: file.bytes.length, total: file.bytes.length });

    await server.close();
    const again = await run();
    expect(again.wasCached).toBe(true);
    const list = await listReleases(h.settings, { env: h.env, isOffline: true });
    const listing = list.releases.find((l) => l.id === 'bootkit-test')!;
    expect(listing).toMatchObject({ cache: 'cached', health: 'ok', verification: 'pinned', isAvailableOffline: true, pin: { sha256: file.sha256 } });
    expect(list.releases.find((l) => l.id === 'bootkit-26.06-20260526')).toMatchObject({ cache: 'none', isAvailableOffline: false });
  });

  it('resumes with a Range request after the connection is cut mid-body, and the bytes are identical', async () => {
    server.inject(PATH, { kind: 'cut', afterBytes: 1_000_003 }, { kind: 'cut', afterBytes: 700_001 });
    const r = await run();
    expect((await cachedBytes()).equals(file.bytes)).toBe(true);
    const gets = server.requests.filter((q) => q.path === PATH);
    expect(gets.map((q) => [q.status, q.start])).toEqual([
      [200, 0],
      [206, 1_000_003],
      [206, 1_700_004],
    ]);
    expect(gets[1]!.headers['if-range']).toMatch(/^"v\d+-/);
    expect(r.resumedFrom).toBe(0);
  });

  it('resumes across a restart: a cancelled download continues from the bytes on disk', async () => {
    server.inject(PATH, { kind: 'trickle', bytesPerChunk: 256 << 10, intervalMs: 40 });
    const ac = new AbortController();
    const first = run({ signal: ac.signal, onProgress: (e) => e.done > 1 << 20 && ac.abort() });
    await expect(first).rejects.toMatchObject({ code: 'E_CANCELLED' });
    const listing = await (await openCache(h.settings, h.env)).list();
    expect(listing.partials).toHaveLength(1);
    const kept = listing.partials[0]!.bytes;
    expect(kept).toBeGreaterThan(1 << 20);

    const r = await run();
    expect(r.resumedFrom).toBe(kept);
    expect(r.bytesDownloaded).toBe(file.bytes.length - kept);
    expect((await cachedBytes()).equals(file.bytes)).toBe(true);
    expect((await (await openCache(h.settings, h.env)).list()).partials).toEqual([]);
  });

  it('after a power cut that damaged the tail of the .part, resumes from the last mark whose prefix still hashes right', async () => {
    server.inject(PATH, { kind: 'trickle', bytesPerChunk: 128 << 10, intervalMs: 30 });
    const ac = new AbortController();
    const network = { ...FAST_NETWORK, checkpoint: { bytes: 256 << 10, ms: 60_000 } };
    await expect(run({ network, signal: ac.signal, onProgress: (e) => e.done >= 2_000_000 && ac.abort() })).rejects.toMatchObject({ code: 'E_CANCELLED' });
    const cache = await openCache(h.settings, h.env);
    const [partial] = await listPartials(cache.downloadsDir);
    const state = JSON.parse(await readFile(join(cache.downloadsDir, `${partial!.key}.json`), 'utf8')) as { marks: { bytes: number }[] };
    const marks = state.marks.map((m) => m.bytes);
    expect(marks.length).toBeGreaterThanOrEqual(2);
    // The kernel never wrote the end of the file: zeros where the last 100 kB should be.
    const damagedFrom = marks.at(-1)! - 100_000;
    const fh = await open(join(cache.downloadsDir, `${partial!.key}.part`), 'r+');
    await fh.write(Buffer.alloc(100_000), 0, 100_000, damagedFrom);
    await fh.close();
    const r = await run();
    const lastGood = Math.max(...marks.filter((b) => b <= damagedFrom));
    expect(lastGood).toBeGreaterThan(0);
    expect(r.resumedFrom).toBe(lastGood);
    expect((await cachedBytes()).equals(file.bytes)).toBe(true);
  });

  it('starts over when the file changed on the server between two runs (If-Range), never splicing', async () => {
    server.inject(PATH, { kind: 'cut', afterBytes: 1 << 20 });
    const other = randomFile(file.bytes.length);
    await h.writeCatalog([bootkit('bootkit-test', server.url(PATH), { sha256: other.sha256 })]);
    const ac = new AbortController();
    // First run: cut, then cancelled during the retry wait.
    await expect(run({ signal: ac.signal, network: { ...FAST_NETWORK, retry: { retries: 3, baseDelayMs: 5000, maxDelayMs: 5000 } }, onProgress: (e) => e.detail?.startsWith('retry') && ac.abort() })).rejects.toMatchObject({ code: 'E_CANCELLED' });
    server.serve(PATH, { body: other.bytes });
    const r = await run();
    // It asked to resume, the validator no longer matched, the server sent the whole new file.
    expect(server.requests.at(-1)).toMatchObject({ status: 200, start: 0, headers: { range: `bytes=${1 << 20}-`, 'if-range': expect.stringMatching(/^"v1-/) } });
    expect(r.resumedFrom).toBe(0);
    expect(r.entry.verification).toBe('catalog');
    expect((await cachedBytes()).equals(other.bytes)).toBe(true);
  });

  it('copes with a server without Range support: after a cut it takes the whole file again', async () => {
    server.always(PATH, { kind: 'ignore-range' });
    server.inject(PATH, { kind: 'cut', afterBytes: 2_000_000 });
    await run();
    expect((await cachedBytes()).equals(file.bytes)).toBe(true);
    expect(server.requests.map((q) => q.status)).toEqual([200, 200]);
    expect(server.requests[1]!.headers.range).toBe('bytes=2000000-');
  });

  it('reports a 404 as E_HTTP_NOT_FOUND at once, without retrying, and keeps nothing', async () => {
    server.remove(PATH);
    await expect(run()).rejects.toMatchObject({ code: 'E_HTTP_NOT_FOUND' });
    expect(server.requests).toHaveLength(1);
    await cacheHasNoRelease();
    expect((await (await openCache(h.settings, h.env)).list()).partials).toEqual([]);
  });

  it('retries a 500 with backoff, gives up with E_HTTP_SERVER, and succeeds when the server recovers', async () => {
    server.always(PATH, { kind: 'status', status: 500 });
    await expect(run()).rejects.toMatchObject({ code: 'E_HTTP_SERVER' });
    expect(server.requests).toHaveLength(FAST_NETWORK.retry.retries + 1);
    await cacheHasNoRelease();
    server.always(PATH, null);
    server.inject(PATH, { kind: 'status', status: 503, headers: { 'retry-after': '0' } });
    await run();
    expect((await cachedBytes()).equals(file.bytes)).toBe(true);
  });

  it('gives up with E_NETWORK_STALLED when the server trickles slower than the idle timeout, keeping the partial', async () => {
    server.always(PATH, { kind: 'stall', afterBytes: 0 });
    server.inject(PATH, { kind: 'trickle', bytesPerChunk: 100_000, intervalMs: 2500 });
    await expect(run()).rejects.toMatchObject({ code: 'E_NETWORK_STALLED' });
    await cacheHasNoRelease();
    const partials = (await (await openCache(h.settings, h.env)).list()).partials;
    expect(partials[0]!.bytes).toBeGreaterThanOrEqual(100_000);
    server.always(PATH, null);
    const r = await run();
    expect(r.resumedFrom).toBe(partials[0]!.bytes);
    expect((await cachedBytes()).equals(file.bytes)).toBe(true);
  });

  it('finishes a slow download that keeps moving, with speed and time left in its progress', async () => {
    server.inject(PATH, { kind: 'trickle', bytesPerChunk: 128 << 10, intervalMs: 100 });
    const events: ProgressEvent[] = [];
    await run({ onProgress: (e) => events.push(e) });
    const measured = events.filter((e) => e.bytesPerSecond !== null);
    expect(measured.length).toBeGreaterThan(3);
    const mid = measured[Math.floor(measured.length / 2)]!;
    // 128 KiB every 100 ms is about 1.3 MB/s; allow for a loaded machine.
    expect(mid.bytesPerSecond).toBeGreaterThan(300_000);
    expect(mid.bytesPerSecond).toBeLessThan(3_000_000);
    expect(mid.etaSeconds).toBeGreaterThan(0);
    expect((await cachedBytes()).equals(file.bytes)).toBe(true);
  });

  it('refuses a second downloader of the same release while the first runs', async () => {
    server.inject(PATH, { kind: 'trickle', bytesPerChunk: 512 << 10, intervalMs: 50 });
    let started!: () => void;
    const isStarted = new Promise<void>((resolve) => (started = resolve));
    const first = run({ onProgress: () => started() });
    await isStarted;
    await expect(run()).rejects.toMatchObject({ code: 'E_DOWNLOAD_BUSY' });
    await first;
    expect((await cachedBytes()).equals(file.bytes)).toBe(true);
  });

  it('says which id it does not know', async () => {
    await expect(download('bootkit-nope', { settings: h.settings, env: h.env })).rejects.toMatchObject({ code: 'E_RELEASE_UNKNOWN' });
  });
});
