import { execFileSync } from 'node:child_process';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCache } from './cache';
import { download } from './download';
import { FaultServer } from './testing/fault-server';
import { bootkit, FAST_NETWORK, makeHarness, randomFile, type Harness } from './testing/harness';

// A real ENOSPC: the cache lives on a small tmpfs (root only; the CI runs as root).
let server: FaultServer;
let h: Harness;
let isMounted = false;
const file = randomFile(6 << 20);
const PATH = '/uos/emb_uos_x86_64_20251204.tar.gz';

beforeEach(async () => {
  server = await FaultServer.start();
  h = await makeHarness();
  await mkdir(h.cacheDir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', h.cacheDir]);
  isMounted = true;
  server.serve(PATH, { body: file.bytes });
  await h.writeCatalog([bootkit('bootkit-test', server.url(PATH))]);
});

afterEach(async () => {
  await server.close();
  if (isMounted) execFileSync('umount', [h.cacheDir]);
  isMounted = false;
  await h.cleanup();
});

describe('download onto a full disk', () => {
  it('fails with E_DISK_FULL, publishes nothing, and completes correctly once there is room', async () => {
    const run = () => download('bootkit-test', { settings: h.settings, env: h.env, network: FAST_NETWORK });
    const err = await run().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_DISK_FULL' });
    const cache = await openCache(h.settings, h.env);
    expect(await readdir(cache.releasesDir)).toEqual([]);
    expect(await cache.get('bootkit-test')).toBeNull();

    execFileSync('mount', ['-o', 'remount,size=32m', h.cacheDir]);
    const r = await run();
    expect((await readFile(cache.filePath(r.entry, r.entry.files[0]!))).equals(file.bytes)).toBe(true);
    expect((await cache.list()).partials).toEqual([]);
  });
});
