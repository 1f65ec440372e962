import { readFile, readdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OsImageRelease } from '../contract/catalog';
import { EmtError } from '../errors';
import { openCache } from './cache';
import { download } from './download';
import { FaultServer } from './testing/fault-server';
import { bootkit, FAST_NETWORK, makeHarness, randomFile, type Harness } from './testing/harness';

// What may enter the cache: only complete files whose hash matched what was published or pinned.
let server: FaultServer;
let h: Harness;
const file = randomFile(1 << 20);
const PATH = '/uos/emb_uos_x86_64_20260507.tar.gz';

beforeEach(async () => {
  server = await FaultServer.start();
  h = await makeHarness();
  server.serve(PATH, { body: file.bytes });
});

afterEach(async () => {
  await server.close();
  await h.cleanup();
});

const run = (id = 'bootkit-test', extra: Partial<Parameters<typeof download>[1]> = {}) => download(id, { settings: h.settings, env: h.env, network: FAST_NETWORK, ...extra });

async function cacheIsEmpty(): Promise<void> {
  const cache = await openCache(h.settings, h.env);
  expect(await readdir(cache.releasesDir)).toEqual([]);
}

function osImage(id: string, path: string, extra: Partial<OsImageRelease> = {}): OsImageRelease {
  return { kind: 'os-image', id, name: 'EMT OS image', line: '26.06', buildDate: '20260526', variant: 'nrt', isSigned: false, url: server.url(path), sha256Url: server.url(`${path}.sha256sum`), ...extra };
}

describe('download verification', () => {
  it('refuses a file whose sha256 differs from the catalog, and keeps nothing of it', async () => {
    await h.writeCatalog([bootkit('bootkit-test', server.url(PATH), { sha256: 'ab'.repeat(32) })]);
    const err = await run().catch((e: EmtError) => e);
    expect(err).toMatchObject({ code: 'E_DOWNLOAD_HASH_MISMATCH', details: { actual: file.sha256 } });
    expect((err as EmtError).message).toContain('the catalog says');
    await cacheIsEmpty();
    expect((await (await openCache(h.settings, h.env)).list()).partials).toEqual([]);
  });

  it('catches bytes changed in transit (same length) against the catalog hash', async () => {
    await h.writeCatalog([bootkit('bootkit-test', server.url(PATH), { sha256: file.sha256 })]);
    const evil = Buffer.from(file.bytes);
    evil[123_456] = evil[123_456]! ^ 0xff;
    server.inject(PATH, { kind: 'body', body: evil });
    await expect(run()).rejects.toMatchObject({ code: 'E_DOWNLOAD_HASH_MISMATCH' });
    await cacheIsEmpty();
    const ok = await run();
    expect(ok.entry.verification).toBe('catalog');
  });

  it('refuses a Content-Length that contradicts the catalog size before taking the body', async () => {
    await h.writeCatalog([bootkit('bootkit-test', server.url(PATH), { size: file.bytes.length })]);
    server.inject(PATH, { kind: 'content-length', value: file.bytes.length - 1000 });
    await expect(run()).rejects.toMatchObject({ code: 'E_DOWNLOAD_SIZE_MISMATCH', details: { expected: file.bytes.length, actual: file.bytes.length - 1000 } });
    await cacheIsEmpty();
  });

  it('never publishes a body shorter than its Content-Length promised (the server keeps lying)', async () => {
    await h.writeCatalog([bootkit('bootkit-test', server.url(PATH))]);
    server.always(PATH, { kind: 'content-length', value: file.bytes.length + 4096 });
    const err = (await run().catch((e: unknown) => e)) as EmtError;
    expect(['E_NETWORK_INTERRUPTED', 'E_DOWNLOAD_INCONSISTENT']).toContain(err.code);
    await cacheIsEmpty();
    server.always(PATH, null);
    const r = await run();
    expect((await readFile((await openCache(h.settings, h.env)).filePath(r.entry, r.entry.files[0]!))).equals(file.bytes)).toBe(true);
  });

  it('takes a file shorter than the truth when the server announces it so, and the catalog hash refuses it', async () => {
    await h.writeCatalog([bootkit('bootkit-test', server.url(PATH), { sha256: file.sha256 })]);
    server.inject(PATH, { kind: 'content-length', value: file.bytes.length - 1000 });
    await expect(run()).rejects.toMatchObject({ code: 'E_DOWNLOAD_HASH_MISMATCH' });
    await cacheIsEmpty();
  });

  it('verifies an OS image against the published .sha256sum and keeps the checksum and the Secure Boot certificate beside it', async () => {
    const img = '/non_rt/26.06/edge-readonly-26.06.20260526.0123-signed.raw.gz';
    const der = Buffer.from('30820122300d06092a864886f70d0101', 'hex');
    server.serve(img, { body: file.bytes });
    server.serve(`${img}.sha256sum`, { body: Buffer.from(`${file.sha256}  edge-readonly-26.06.20260526.0123-signed.raw.gz\n`) });
    server.serve('/non_rt/26.06/edge-readonly-26.06.20260526.0123-signed.der', { body: der });
    await h.writeCatalog([osImage('emt-nrt-signed', img, { isSigned: true, secureBootCertUrl: server.url('/non_rt/26.06/edge-readonly-26.06.20260526.0123-signed.der') })]);
    const r = await run('emt-nrt-signed');
    expect(r.entry.verification).toBe('published');
    expect(r.entry.files.map((f) => [f.role, f.name])).toEqual([
      ['image', 'edge-readonly-26.06.20260526.0123-signed.raw.gz'],
      ['checksum', 'edge-readonly-26.06.20260526.0123-signed.raw.gz.sha256sum'],
      ['certificate', 'edge-readonly-26.06.20260526.0123-signed.der'],
    ]);
    const cache = await openCache(h.settings, h.env);
    expect((await readFile(cache.filePath(r.entry, r.entry.files[2]!))).equals(der)).toBe(true);
  });

  it('refuses an OS image that does not match its .sha256sum, or whose .sha256sum is missing or garbage', async () => {
    const img = '/non_rt/edge-readonly-3.0.20250717.0734.raw.gz';
    server.serve(img, { body: file.bytes });
    await h.writeCatalog([osImage('emt-nrt', img)]);
    await expect(run('emt-nrt')).rejects.toMatchObject({ code: 'E_CHECKSUM_UNAVAILABLE' });
    server.serve(`${img}.sha256sum`, { body: Buffer.from('<html>proxy login</html>') });
    await expect(run('emt-nrt')).rejects.toMatchObject({ code: 'E_CHECKSUM_INVALID' });
    server.serve(`${img}.sha256sum`, { body: Buffer.from(`${'0'.repeat(64)}  x.raw.gz\n`) });
    const err = await run('emt-nrt').catch((e: EmtError) => e);
    expect(err).toMatchObject({ code: 'E_DOWNLOAD_HASH_MISMATCH' });
    expect((err as EmtError).message).toContain('edge-readonly-3.0.20250717.0734.raw.gz.sha256sum');
    await cacheIsEmpty();
  });

  it('pins a Bootkit on first download, refuses a different file later, and re-pins only when asked', async () => {
    await h.writeCatalog([bootkit('bootkit-test', server.url(PATH))]);
    const first = await run();
    expect(first.isNewPin).toBe(true);
    const cache = await openCache(h.settings, h.env);
    expect((await cache.list()).entries[0]!.pin).toMatchObject({ sha256: file.sha256, pinnedAt: first.entry.addedAt });
    await cache.remove('bootkit-test');

    const republished = randomFile(file.bytes.length);
    server.serve(PATH, { body: republished.bytes });
    const err = await run().catch((e: EmtError) => e);
    expect(err).toMatchObject({ code: 'E_RELEASE_PIN_MISMATCH', details: { pinned: file.sha256, actual: republished.sha256 } });
    expect((err as EmtError).hint).toContain('--accept-new-hash');
    expect(await cache.get('bootkit-test')).toBeNull();
    // The refused file waits, complete, for a decision: accepting it needs no second download.
    expect((await cache.list()).partials).toMatchObject([{ id: 'bootkit-test', isComplete: true, bytes: file.bytes.length }]);

    const requests = server.requests.length;
    const accepted = await run('bootkit-test', { acceptNewHash: true });
    expect(server.requests.length).toBe(requests);
    expect(accepted).toMatchObject({ isNewPin: true, bytesDownloaded: 0, entry: { verification: 'pinned' } });
    expect((await cache.list()).entries[0]!.pin!.sha256).toBe(republished.sha256);
  });

  it('runs the content check before publishing and keeps nothing when it fails', async () => {
    await h.writeCatalog([bootkit('bootkit-test', server.url(PATH))]);
    const seen: Buffer[] = [];
    const validate = async (path: string) => {
      seen.push(await readFile(path));
      throw new EmtError('E_RELEASE_INVALID', 'No kernel in the tarball.', 'Pick another build.');
    };
    await expect(run('bootkit-test', { validate })).rejects.toMatchObject({ code: 'E_RELEASE_INVALID' });
    expect(seen[0]!.equals(file.bytes)).toBe(true);
    await cacheIsEmpty();
    const cache = await openCache(h.settings, h.env);
    expect((await cache.list()).entries).toEqual([]);
  });
});
