import { generateKeyPairSync, sign } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReleaseListSchema } from '../contract/catalog';
import { main } from '../cli';
import { updateSettings } from '../settings/settings';
import { current } from '../settings/paths';
import { recordingIo } from '../release/testing/cli-io';
import { FaultServer } from '../release/testing/fault-server';
import { bootkit, bootkitTarball, makeHarness, type Harness } from '../release/testing/harness';

let server: FaultServer;
let h: Harness;

beforeEach(async () => {
  server = await FaultServer.start();
  h = await makeHarness();
});
afterEach(async () => {
  await server.close();
  await h.cleanup();
});

describe('emt-media releases', () => {
  it('lists the built-in catalog as one JSON document that the contract schema accepts, offline', async () => {
    const r = recordingIo(h.env, h.dir);
    expect(await main(['releases', '--offline', '--json'], r.io)).toBe(0);
    const doc = JSON.parse(r.out.join('\n'));
    expect(doc.ok).toBe(true);
    const list = ReleaseListSchema.parse(doc);
    expect(list.sources[0]).toMatchObject({ kind: 'built-in', status: 'ok' });
    expect(list.releases.find((x) => x.id === 'bootkit-26.06-20260526')).toMatchObject({ name: 'Bootkit (EMT-Tink)', isAvailableOffline: false, cache: 'none' });
  });

  it('shows a downloaded release as available offline, with its catalog and its pin', async () => {
    const file = await bootkitTarball(50_000);
    server.serve('/b.tar.gz', { body: file.bytes });
    await writeFile(join(h.dir, 'extra.json'), JSON.stringify({ schemaVersion: 1, name: 'Extra', releases: [bootkit('bootkit-extra', server.url('/b.tar.gz'))] }));
    expect(await main(['download', 'bootkit-extra', '--catalog', 'extra.json'], recordingIo(h.env, h.dir).io)).toBe(0);
    const r = recordingIo(h.env, h.dir);
    expect(await main(['releases', '--catalog', 'extra.json', '--offline'], r.io)).toBe(0);
    const text = r.text();
    expect(text).toMatch(/file\s+Extra \(.*extra\.json\): 1 release\(s\), not signed/);
    expect(text).toMatch(/bootkit-extra .* available offline \(pinned\) pinned \d{4}-\d\d-\d\d/);
    expect(text).toContain('1 release(s) available offline.');
  });

  it('fails with the catalog\'s error when a catalog named on the command line is refused', async () => {
    const keys = generateKeyPairSync('ed25519');
    const doc = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'Signed', releases: [] }));
    server.serve('/c.json', { body: doc });
    server.serve('/c.json.sig', { body: sign(null, Buffer.from('something else'), keys.privateKey) });
    await updateSettings({ trustedCatalogKeys: [keys.publicKey.export({ type: 'spki', format: 'pem' }).toString()] }, current(h.env));
    const r = recordingIo(h.env, h.dir);
    expect(await main(['releases', '--catalog', server.url('/c.json')], r.io)).toBe(1);
    expect(r.err.join('\n')).toMatch(/^error E_CATALOG_BAD_SIGNATURE: .*\n {2}fix: Do not use this catalog/);

    await writeFile(join(h.dir, 'broken.json'), '{"schemaVersion": 1, "releases": [');
    const b = recordingIo(h.env, h.dir);
    expect(await main(['releases', '--catalog', 'broken.json', '--json'], b.io)).toBe(1);
    expect(JSON.parse(b.out.join('\n'))).toMatchObject({ ok: false, error: { code: 'E_CATALOG_INVALID' } });
  });

  it('refuses a malformed discovery range as a usage error', async () => {
    const r = recordingIo(h.env, h.dir);
    expect(await main(['releases', '--discover', 'May'], r.io)).toBe(2);
    expect(r.err[0]).toContain('error E_USAGE');
  });
});
