import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listReleases } from './catalog-list';
import { download } from './download';
import { candidates, discoverBootkitBuilds, INTEL_UOS_BASE } from './discovery';
import { FaultServer } from './testing/fault-server';
import { FAST_NETWORK, makeHarness, randomFile, type Harness } from './testing/harness';

let server: FaultServer;
let h: Harness;
const file = randomFile(100_000);

beforeEach(async () => {
  server = await FaultServer.start();
  h = await makeHarness();
});
afterEach(async () => {
  await server.close();
  await h.cleanup();
});

describe('discovery of new builds', () => {
  it('probes the published naming pattern for each date, folder and prefix', () => {
    const c = candidates('20260526', '20260527', ['', '26.06']);
    expect(c.map((x) => x.url.slice(INTEL_UOS_BASE.length))).toEqual([
      'emb_uos_x86_64_20260526.tar.gz',
      'emt_uos_x86_64_20260526.tar.gz',
      '26.06/emb_uos_x86_64_20260526.tar.gz',
      '26.06/emt_uos_x86_64_20260526.tar.gz',
      'emb_uos_x86_64_20260527.tar.gz',
      'emt_uos_x86_64_20260527.tar.gz',
      '26.06/emb_uos_x86_64_20260527.tar.gz',
      '26.06/emt_uos_x86_64_20260527.tar.gz',
    ]);
    expect(candidates('20260228', '20260301', ['']).map((x) => x.date)).toEqual(['20260228', '20260228', '20260301', '20260301']);
    expect(() => candidates('20260230', '20260301', [''])).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    expect(() => candidates('20250101', '20260601', [''])).toThrow(expect.objectContaining({ code: 'E_DISCOVERY_RANGE' }));
  });

  it('finds the builds that exist (404 is normal), reports other failures, and makes them downloadable by id', async () => {
    server.serve('/uos/26.06/emb_uos_x86_64_20260526.tar.gz', { body: file.bytes });
    server.serve('/uos/emb_uos_x86_64_20260522.tar.gz', { body: file.bytes });
    server.serve('/uos/emt_uos_x86_64_20260521.tar.gz', { body: file.bytes });
    server.always('/uos/next/emb_uos_x86_64_20260524.tar.gz', { kind: 'status', status: 500 });
    // A server that refuses HEAD: the probe asks for one byte instead.
    server.inject('/uos/emb_uos_x86_64_20260522.tar.gz', { kind: 'status', status: 405 });
    const r = await discoverBootkitBuilds({ settings: h.settings, env: h.env, from: '20260520', to: '20260527', baseUrl: server.url('/uos/'), network: FAST_NETWORK });
    expect(r.probed).toBe(8 * 3 * 2);
    expect(r.found.map((f) => [f.id, f.size])).toEqual([
      ['bootkit-26.06-20260526', 100_000],
      ['bootkit-20260522', 100_000],
      ['bootkit-20260521-emt-uos', 100_000],
    ]);
    expect(r.failures).toEqual([{ url: server.url('/uos/next/emb_uos_x86_64_20260524.tar.gz'), error: expect.objectContaining({ code: 'E_HTTP_SERVER' }) }]);

    const list = await listReleases(h.settings, { env: h.env });
    expect(list.sources.map((s) => s.kind)).toEqual(['built-in', 'discovered', 'file']);
    // The built-in catalog lists the same id at Intel's address: the first catalog wins.
    expect(list.releases.find((x) => x.id === 'bootkit-26.06-20260526')!.warnings).toEqual([expect.stringContaining('another address')]);
    const got = await download('bootkit-20260522', { settings: h.settings, env: h.env, network: FAST_NETWORK });
    expect(got.entry.files[0]!.sha256).toBe(file.sha256);
  });

  it('stops early and says so when the network is down', async () => {
    const url = server.url('/uos/');
    await server.close();
    await expect(discoverBootkitBuilds({ settings: h.settings, env: h.env, from: '20260101', to: '20260301', baseUrl: url, network: FAST_NETWORK })).rejects.toMatchObject({ code: 'E_NETWORK_CONNECT' });
    server = await FaultServer.start();
  });
});
