import { appendFile, readdir, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CacheListingSchema } from '../contract/catalog';
import { main } from '../cli';
import { openCache } from '../release/cache';
import { recordingIo } from '../release/testing/cli-io';
import { FaultServer } from '../release/testing/fault-server';
import { formatBytes } from './command';
import { bootkit, bootkitTarball, makeHarness, type Harness } from '../release/testing/harness';

let server: FaultServer;
let h: Harness;
// Real (tiny) Bootkit tarballs: download and import check a release's content before caching it.
const file = await bootkitTarball(300_000);
const other = await bootkitTarball(200_000);

beforeEach(async () => {
  server = await FaultServer.start();
  h = await makeHarness();
  server.serve('/a.tar.gz', { body: file.bytes });
  server.serve('/b.tar.gz', { body: other.bytes });
  await h.writeCatalog([bootkit('bootkit-a', server.url('/a.tar.gz')), bootkit('bootkit-b', server.url('/b.tar.gz'))]);
});
afterEach(async () => {
  await server.close();
  await h.cleanup();
});

const cli = async (...argv: string[]) => {
  const r = recordingIo(h.env, h.dir);
  const code = await main(argv, r.io);
  return { code, ...r };
};

describe('emt-media cache', () => {
  it('lists, verifies and removes cached releases; a corrupted one fails verify and is no longer offered offline', async () => {
    expect((await cli('download', 'bootkit-a')).code).toBe(0);
    expect((await cli('download', 'bootkit-b')).code).toBe(0);
    const ls = await cli('cache', 'ls', '--json');
    const listing = CacheListingSchema.parse(JSON.parse(ls.out.join('\n')));
    expect(listing.entries.map((e) => [e.entry.id, e.health, e.pin?.sha256 === e.entry.files[0]!.sha256])).toEqual([
      ['bootkit-a', 'ok', true],
      ['bootkit-b', 'ok', true],
    ]);
    expect(listing.usedBytes).toBe(file.bytes.length + other.bytes.length);
    expect((await cli('cache', 'ls')).text()).toMatch(new RegExp(`bootkit-a {2}${formatBytes(file.bytes.length)} {2}pinned on \\d{4}-\\d\\d-\\d\\d {2}ok`));

    expect((await cli('cache', 'verify')).text()).toBe('ok     bootkit-a\nok     bootkit-b');
    const cache = await openCache(h.settings, h.env);
    const b = (await cache.get('bootkit-b'))!;
    await appendFile(cache.filePath(b, b.files[0]!), 'x');
    const bad = await cli('cache', 'verify', 'bootkit-b');
    expect(bad.code).toBe(1);
    expect(bad.text()).toMatch(/FAILED bootkit-b/);
    expect(bad.text()).toMatch(/error E_CACHE_CORRUPT/);
    const offline = JSON.parse((await cli('releases', '--offline', '--json')).out.join('\n'));
    expect(offline.releases.find((r: { id: string }) => r.id === 'bootkit-b')).toMatchObject({ health: 'corrupt', isAvailableOffline: false });

    // A corrupt release is downloaded again on request rather than used.
    const again = JSON.parse((await cli('download', 'bootkit-b', '--json')).out.join('\n'));
    expect(again).toMatchObject({ ok: true, wasCached: false, isNewPin: false });

    expect((await cli('cache', 'rm', 'bootkit-a', 'bootkit-b')).text()).toBe('Removed bootkit-a.\nRemoved bootkit-b.');
    expect(await readdir(cache.releasesDir)).toEqual([]);
    const none = await cli('cache', 'rm', 'bootkit-a');
    expect(none.code).toBe(1);
    expect(none.text()).toContain('error E_CACHE_NOT_FOUND');
  });

  it('imports a local tarball and refuses unknown subcommands', async () => {
    const cache = await openCache(h.settings, h.env);
    await writeFile(`${h.dir}/emb_uos_x86_64_20260101.tar.gz`, file.bytes);
    const r = await cli('cache', 'import', 'emb_uos_x86_64_20260101.tar.gz', '--id', 'bootkit-local');
    expect(r.code).toBe(0);
    expect(r.text()).toContain(`tarball   emb_uos_x86_64_20260101.tar.gz  ${formatBytes(file.bytes.length)}  sha256 ${file.sha256}`);
    expect((await cache.get('bootkit-local'))!.verification).toBe('imported');
    expect((await cli('cache', 'frobnicate')).code).toBe(2);
  });
});

describe('emt-media cache import of something that is not a release', () => {
  it('refuses it with the reason, before it reaches the cache', async () => {
    await writeFile(`${h.dir}/emb_uos_x86_64_20260102.tar.gz`, Buffer.from('not a tarball at all'));
    const r = await cli('cache', 'import', 'emb_uos_x86_64_20260102.tar.gz', '--id', 'bootkit-junk');
    expect(r.code).toBe(1);
    expect(r.text()).toContain('error E_RELEASE_NOT_TARBALL');
    expect(await (await openCache(h.settings, h.env)).get('bootkit-junk')).toBeNull();
  });
});
