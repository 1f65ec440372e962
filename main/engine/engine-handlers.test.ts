import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeCert } from '../../app/profile/testing/pki';
import { standaloneProfile } from '../../app/profile/testing/profiles';
import { createEngineHandlers } from '../engine-handlers';
import type { EngineContext } from './context';

// The real engine behind the contract, with its folders in a temp dir: no fake below this line.
const dir = mkdtempSync(join(tmpdir(), 'emt-engine-handlers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ctx: EngineContext = { env: { ...process.env, EMT_CONFIG_DIR: join(dir, 'config'), EMT_CACHE_DIR: join(dir, 'cache'), EMT_TEST_TARGETS: '' }, cwd: dir, builds: new Map() };
const h = createEngineHandlers(ctx);
const call = { senderId: 'test' };

describe('engine handlers on the real engine', () => {
  it('reports an incomplete draft as findings on its fields, not as a refused call', async () => {
    const draft = { schemaVersion: 2, name: 'A', mode: 'emf', emf: { certificates: {}, caddy: { source: 'import' }, fluentBit: { source: 'generate' }, workerId: { mode: 'auto' } } };
    const preview = await h.profiles.check(call, draft, null);
    expect(preview.isRenderable).toBe(false);
    expect(preview.findings).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'E_PROFILE_INCOMPLETE', field: 'emf.caddy.caddyfile', message: 'emf.caddy.caddyfile is missing.' })]));
  });

  it("passes a whole profile to the engine's validator: a missing CA is its finding, a good one clears it", async () => {
    const base = { schemaVersion: 2, name: 'A', mode: 'emf', emf: { orchestratorDomain: 'orch.example.com', certificates: {}, caddy: { source: 'generate' }, fluentBit: { source: 'generate' }, workerId: { mode: 'auto' } } };
    const missing = await h.profiles.check(call, base, null);
    expect(missing.findings.map((f) => f.code)).toContain('E_CERT_MISSING');
    const withCa = { ...base, emf: { ...base.emf, certificates: { orchestratorCa: { name: 'ca.pem', content: makeCert('Lab CA').pem } } } };
    const ok = await h.profiles.check(call, withCa, null);
    expect(ok.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(ok.overlay.map((o) => o.path)).toContain('/etc/emf/env_config');
  });

  it('resolves relative paths of a profile from its file, as the CLI does', async () => {
    const p = standaloneProfile();
    const inDir = await h.profiles.check(call, p, join(dir, 'site.yaml'));
    expect(inDir.findings.find((f) => f.code === 'E_OS_IMAGE_NOT_FOUND')?.message).toContain(join(dir, 'images', 'edge-readonly'));
  });

  it('saves a whole profile and refuses an incomplete one with the first gap named', async () => {
    const path = join(dir, 'kiosk.yaml');
    await h.profiles.save(call, path, standaloneProfile());
    expect(readFileSync(path, 'utf8')).toContain('install-os.sh');
    expect((await h.profiles.load(call, path)).profile.name).toBe('Standalone kiosk');
    await expect(h.profiles.save(call, path, { schemaVersion: 2, name: 'x', mode: 'standalone' })).rejects.toMatchObject({ code: 'E_PROFILE_INCOMPLETE' });
  });

  it('keeps settings in the config folder and refuses a bad one with the engine message', async () => {
    const info = await h.settings.update(call, { testTargets: [join(dir, 'stick.img')] });
    expect(info.file).toBe(join(dir, 'config', 'settings.json'));
    expect((await h.settings.get(call)).settings.testTargets).toEqual([join(dir, 'stick.img')]);
    await expect(h.settings.update(call, { proxy: { mode: 'manual', url: 'not a proxy', noProxy: '' } })).rejects.toMatchObject({ code: 'E_SETTINGS_INVALID' });
  });

  it('lists a test target judged against the image: too small for a 64 MiB image', async () => {
    const stick = join(dir, 'stick.img');
    writeFileSync(stick, Buffer.alloc(8 << 20));
    const image = join(dir, 'image.iso');
    writeFileSync(image, Buffer.alloc(64 << 20));
    const listing = (await h.drives.list(call, { kind: 'file', path: image })).find((d) => d.drive.device === stick)!;
    expect(listing.drive.isTestTarget).toBe(true);
    expect(listing.findings.map((f) => [f.code, f.severity])).toContainEqual(['E_DRIVE_TOO_SMALL', 'error']);
  });

  it('refuses to write a build this session did not make', async () => {
    const job = { ...call, jobId: 'j', signal: new AbortController().signal, progress: () => {} };
    await expect(h.flash.write(job, { source: { kind: 'build', output: join(dir, 'old.iso') }, targets: [{ device: '/dev/null' }], verify: true, eject: false, acceptWarnings: false })).rejects.toMatchObject({ code: 'E_BUILD_NOT_WRITABLE' });
  });
});
