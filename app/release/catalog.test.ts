import { generateKeyPairSync, sign } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CatalogSchema } from '../contract/catalog';
import { builtInCatalog, mergeCatalogs, parseCatalog, type LoadedCatalog } from './catalog';
import { listReleases } from './catalog-list';
import { FaultServer } from './testing/fault-server';
import { bootkit, FAST_NETWORK, makeHarness, type Harness } from './testing/harness';

const INTEL = 'https://files-rs.edgeorchestration.intel.com/files-edge-orch/repository/microvisor/';

describe('the built-in catalog', () => {
  const { catalog, source } = builtInCatalog();

  it('lists Bootkit builds and OS images on Intel file server, named as published', () => {
    expect(source).toMatchObject({ kind: 'built-in', signature: 'built-in', status: 'ok' });
    const bootkits = catalog!.releases.filter((r) => r.kind === 'bootkit');
    const images = catalog!.releases.filter((r) => r.kind === 'os-image');
    expect(bootkits.length).toBeGreaterThanOrEqual(10);
    expect(images.some((r) => r.variant === 'dv')).toBe(true);
    for (const r of bootkits) {
      // DOMAIN.md §1: uos/[26.06/|next/]emb_uos_x86_64_YYYYMMDD.tar.gz
      const m = /^uos\/(?:(26\.06|next)\/)?emb_uos_x86_64_(\d{8})\.tar\.gz$/.exec(r.url.slice(INTEL.length));
      expect(r.url.startsWith(INTEL) && m, r.url).toBeTruthy();
      expect([m![1], m![2]]).toEqual([r.line, r.buildDate]);
      expect(r.name).toBe('Bootkit (EMT-Tink)');
      expect(r.sha256).toBeUndefined();
    }
    for (const r of images) {
      expect(r.sha256Url).toBe(`${r.url}.sha256sum`);
      expect(r.url).toMatch(/\/(non_rt|dv)\/(26\.06\/)?edge-readonly-[\w.-]+\.raw\.gz$/);
      if (r.secureBootCertUrl) expect(r.secureBootCertUrl).toBe(r.url.replace(/\.raw\.gz$/, '.der'));
    }
  });
});

describe('catalog parsing and merging', () => {
  it('says where a catalog is wrong', () => {
    expect(() => parseCatalog('{"schemaVersion":1,', 'x.json')).toThrow(expect.objectContaining({ code: 'E_CATALOG_INVALID' }));
    const bad = { schemaVersion: 1, name: 'n', releases: [{ ...bootkit('a', 'https://h/a.tar.gz'), buildDate: '2026-05-26' }] };
    expect(() => parseCatalog(JSON.stringify(bad), 'x.json')).toThrow(/at "releases\.0\.buildDate"/);
    const twice = { schemaVersion: 1, name: 'n', releases: [bootkit('a', 'https://h/a'), bootkit('a', 'https://h/b')] };
    expect(CatalogSchema.safeParse(twice).success).toBe(false);
  });

  it('keeps the first catalog\'s URL, lets a later one add a hash, and reports disagreements', () => {
    const cat = (name: string, releases: ReturnType<typeof bootkit>[]): LoadedCatalog => ({
      catalog: { schemaVersion: 1, name, releases },
      source: { kind: 'file', location: name, name, status: 'ok', signature: 'unsigned', isFromCache: false, releaseCount: releases.length },
    });
    const merged = mergeCatalogs([
      cat('first', [bootkit('a', 'https://h/a'), bootkit('b', 'https://h/b', { sha256: '1'.repeat(64) })]),
      cat('second', [bootkit('a', 'https://h/a', { sha256: '2'.repeat(64), size: 10 }), bootkit('b', 'https://h/b', { sha256: '3'.repeat(64) }), bootkit('c', 'https://h/c')]),
      cat('third', [bootkit('a', 'https://evil/a')]),
    ]);
    expect(merged.map((m) => m.release.id)).toEqual(['a', 'b', 'c']);
    expect(merged[0]).toMatchObject({ release: { url: 'https://h/a', sha256: '2'.repeat(64), size: 10 }, sources: ['first', 'second', 'third'] });
    expect(merged[0]!.warnings).toEqual([expect.stringContaining('another address (https://evil/a)')]);
    expect(merged[1]!.release.sha256).toBe('1'.repeat(64));
    expect(merged[1]!.warnings).toEqual([expect.stringContaining('another sha256')]);
  });
});

describe('remote and local catalogs', () => {
  let server: FaultServer;
  let h: Harness;
  const keys = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const pem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const doc = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'Factory catalog', releases: [bootkit('bootkit-factory-20260601', 'https://mirror.factory.example/emb_uos_x86_64_20260601.tar.gz')] }));

  beforeEach(async () => {
    server = await FaultServer.start();
    h = await makeHarness();
    server.serve('/catalog.json', { body: doc });
  });
  afterEach(async () => {
    await server.close();
    await h.cleanup();
  });

  const list = (trusted: string[] = [], extra: Partial<Parameters<typeof listReleases>[1]> = {}) =>
    listReleases({ ...h.settings, trustedCatalogKeys: trusted }, { env: h.env, extraCatalogs: [server.url('/catalog.json')], network: FAST_NETWORK, ...extra });
  const sourceOf = (l: Awaited<ReturnType<typeof list>>) => l.sources.find((s) => s.kind === 'url')!;
  const hasFactory = (l: Awaited<ReturnType<typeof list>>) => l.releases.some((r) => r.id === 'bootkit-factory-20260601');

  it('shows an unsigned catalog as unsigned, and a signed one without trusted keys as unchecked', async () => {
    let l = await list();
    expect(sourceOf(l)).toMatchObject({ status: 'ok', signature: 'unsigned', name: 'Factory catalog', releaseCount: 1, isFromCache: false });
    expect(hasFactory(l)).toBe(true);
    expect(l.releases.find((r) => r.id === 'bootkit-factory-20260601')!.sources).toEqual(['Factory catalog']);
    server.serve('/catalog.json.sig', { body: Buffer.from(sign(null, doc, keys.privateKey).toString('base64')) });
    l = await list();
    expect(sourceOf(l).signature).toBe('unchecked');
  });

  it('accepts a catalog signed by a trusted key, and refuses one whose signature does not match', async () => {
    server.serve('/catalog.json.sig', { body: sign(null, doc, keys.privateKey) });
    const good = await list([pem]);
    expect(sourceOf(good)).toMatchObject({ status: 'ok', signature: 'valid', keyFingerprint: expect.stringMatching(/^[0-9a-f]{16}$/) });

    server.serve('/catalog.json.sig', { body: sign(null, doc, other.privateKey) });
    const bad = await list([pem]);
    expect(sourceOf(bad)).toMatchObject({ status: 'refused', signature: 'invalid', releaseCount: 0, error: { code: 'E_CATALOG_BAD_SIGNATURE' } });
    expect(hasFactory(bad)).toBe(false);

    const tampered = Buffer.from(doc.toString().replace('Factory', 'Evil'));
    server.serve('/catalog.json', { body: tampered });
    server.serve('/catalog.json.sig', { body: sign(null, doc, keys.privateKey) });
    expect(sourceOf(await list([pem]))).toMatchObject({ status: 'refused', error: { code: 'E_CATALOG_BAD_SIGNATURE' } });
  });

  it('refuses malformed catalog JSON and lists the other catalogs anyway', async () => {
    server.serve('/catalog.json', { body: Buffer.from('<html>Please log in to the guest Wi-Fi</html>') });
    const l = await list();
    expect(sourceOf(l)).toMatchObject({ status: 'refused', error: { code: 'E_CATALOG_INVALID' } });
    expect(l.releases.some((r) => r.id === 'bootkit-26.06-20260526')).toBe(true);
  });

  it('uses the last good copy when the catalog server is unreachable, and when told to stay offline', async () => {
    await list();
    await server.close();
    const l = await list();
    expect(sourceOf(l)).toMatchObject({ status: 'ok', isFromCache: true, fetchedAt: expect.any(String) });
    expect(hasFactory(l)).toBe(true);
    const offline = await list([], { isOffline: true });
    expect(sourceOf(offline).isFromCache).toBe(true);

    const fresh = await makeHarness();
    try {
      const none = await listReleases(fresh.settings, { env: fresh.env, extraCatalogs: [server.url('/catalog.json')], network: FAST_NETWORK });
      expect(none.sources.find((s) => s.kind === 'url')).toMatchObject({ status: 'unavailable', error: { code: 'E_NETWORK_CONNECT' } });
    } finally {
      await fresh.cleanup();
    }
    server = await FaultServer.start();
  });

  it('reads a catalog file with its .sig beside it, relative to the working folder', async () => {
    const file = join(h.dir, 'local.json');
    await writeFile(file, doc);
    await writeFile(`${file}.sig`, sign(null, doc, keys.privateKey).toString('base64'));
    const l = await listReleases({ ...h.settings, trustedCatalogKeys: [pem] }, { env: h.env, extraCatalogs: ['local.json'], cwd: h.dir });
    expect(l.sources.find((s) => s.location === file)).toMatchObject({ kind: 'file', status: 'ok', signature: 'valid' });
    const missing = await listReleases(h.settings, { env: h.env, extraCatalogs: [join(h.dir, 'nope.json')] });
    expect(missing.sources.at(-1)).toMatchObject({ status: 'unavailable', error: { code: 'E_NOT_FOUND' } });
  });
});
