import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Profile } from '../contract/profile';
import { isEmtError } from '../errors';
import { exportProfile, importProfile, loadProfile, saveProfile } from './profile-file';
import { makeCert, type TestCert } from './testing/pki';
import { emfProfile, standaloneProfile } from './testing/profiles';

let dir: string;
let ca: TestCert;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'emt-profile-file-'));
  ca = makeCert('Orchestrator CA');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isEmtError(e)) return e.code;
    throw e;
  }
  throw new Error('no error thrown');
}

describe('profile files', () => {
  it('round-trips both modes through YAML and JSON unchanged', async () => {
    for (const profile of [emfProfile(ca), standaloneProfile()] as Profile[]) {
      for (const ext of ['yaml', 'json']) {
        const path = join(dir, `rt-${profile.mode}.${ext}`);
        await saveProfile(path, profile);
        expect((await loadProfile(path)).profile).toEqual(profile);
      }
    }
  });

  it('writes certificates and scripts as readable block text that diffs line by line', () => {
    const yaml = exportProfile(emfProfile(ca), 'yaml');
    expect(yaml).toContain('      name: orch-ca.crt\n      content: |\n        -----BEGIN CERTIFICATE-----\n');
    expect(yaml).toMatch(/^# EMT Media Builder profile\. Holds no password/);
    expect(yaml).toContain('# The orchestrator cluster domain; it fills every service below that is not set.\n  orchestratorDomain: orch.example.com');
  });

  it("keeps the technician's comments when a loaded profile is changed and saved", async () => {
    const path = join(dir, 'commented.yaml');
    const text = exportProfile(emfProfile(ca), 'yaml')
      .replace('  orchestratorDomain: orch.example.com', '  # ticket 4411: moved to the new cluster\n  orchestratorDomain: orch.example.com # since 2026-03')
      .replace(/^name: .*$/m, '$& # site code P7L2');
    writeFileSync(path, text);
    const loaded = await loadProfile(path);
    const changed = structuredClone(loaded.profile);
    if (changed.mode !== 'emf') throw new Error('emf expected');
    changed.emf.orchestratorDomain = 'orch2.example.com';
    await saveProfile(path, changed, loaded);
    const saved = readFileSync(path, 'utf8');
    expect(saved).toContain('  # ticket 4411: moved to the new cluster\n  orchestratorDomain: orch2.example.com # since 2026-03\n');
    expect(saved).toMatch(/^name: Plant 7, line 2 # site code P7L2$/m);
    expect((await loadProfile(path)).profile).toEqual(changed);
  });

  it('migrates a version 1 profile, and a save writes version 2', async () => {
    const v1 = {
      version: 1,
      name: 'Old site',
      mode: 'emf',
      proxy: 'http://proxy.example.com:3128',
      noProxy: 'localhost',
      kernelArgs: ' modprobe.blacklist=iwlwifi  quiet ',
      emf: { domain: 'orch.example.com', caCert: ca.pem, workerMac: '52:54:00:12:34:56' },
    };
    const path = join(dir, 'v1.json');
    writeFileSync(path, JSON.stringify(v1));
    const loaded = await loadProfile(path);
    expect(loaded.migratedFrom).toBe(1);
    expect(loaded.profile).toEqual({
      schemaVersion: 2,
      name: 'Old site',
      mode: 'emf',
      network: { proxy: { http: 'http://proxy.example.com:3128', https: 'http://proxy.example.com:3128', noProxy: 'localhost' } },
      kernel: { extraArgs: ['modprobe.blacklist=iwlwifi', 'quiet'] },
      emf: {
        orchestratorDomain: 'orch.example.com',
        certificates: { orchestratorCa: { name: 'ca.pem', content: ca.pem } },
        caddy: { source: 'generate' },
        fluentBit: { source: 'generate' },
        workerId: { mode: 'mac', mac: '52:54:00:12:34:56' },
      },
    });
    await saveProfile(path, loaded.profile, loaded);
    expect(JSON.parse(readFileSync(path, 'utf8')).schemaVersion).toBe(2);
  });

  it('migrates a version 1 standalone profile with its scripts map and imported config-file', () => {
    const v1 = { version: 1, name: 'Kiosk', mode: 'standalone', standalone: { installerScripts: { 'install-os.sh': '#!/bin/bash\n' }, configFile: 'user_name="a"\n', osImage: 'img.raw.gz' } };
    const { profile } = importProfile(JSON.stringify(v1), 'json', 'kiosk.json');
    expect(profile).toEqual({
      schemaVersion: 2,
      name: 'Kiosk',
      mode: 'standalone',
      standalone: {
        installer: { files: [{ name: 'install-os.sh', content: '#!/bin/bash\n' }] },
        configFile: { source: 'import', file: { name: 'config-file', content: 'user_name="a"\n' } },
        osImage: { path: 'img.raw.gz' },
      },
    });
  });

  it('refuses a profile file with a password, on load and on save', async () => {
    const withPassword = { ...standaloneProfile(), standalone: { ...standaloneProfile().standalone, password: 'hunter2' } };
    expect(codeOf(() => importProfile(JSON.stringify(withPassword), 'json', 'site.json'))).toBe('E_PROFILE_SECRET');
    expect(codeOf(() => importProfile('schemaVersion: 2\nname: x\nmode: standalone\nuser_password: hunter2\n', 'yaml', 'site.yaml'))).toBe('E_PROFILE_SECRET');
    await expect(saveProfile(join(dir, 'secret.json'), withPassword as unknown as Profile)).rejects.toMatchObject({ code: 'E_PROFILE_SECRET' });
    expect(() => readFileSync(join(dir, 'secret.json'))).toThrow();
  });

  it('refuses a profile that carries a private key anywhere', () => {
    const p = emfProfile(ca);
    p.notes = `key for later:\n${ca.keyPem}`;
    expect(codeOf(() => importProfile(JSON.stringify(p), 'json', 'site.json'))).toBe('E_PROFILE_PRIVATE_KEY');
    expect(codeOf(() => exportProfile(p, 'yaml'))).toBe('E_PROFILE_PRIVATE_KEY');
  });

  it('names the line and column of a YAML or JSON syntax error', () => {
    try {
      importProfile('schemaVersion: 2\nname: x\nmode: emf\nemf:\n  certificates: {\n', 'yaml', 'site.yaml');
      throw new Error('no error');
    } catch (e) {
      expect(isEmtError(e) && e.code).toBe('E_PROFILE_YAML');
      expect((e as Error).message).toMatch(/^site\.yaml is not valid YAML at line \d+, column \d+/);
    }
    try {
      importProfile('{\n  "schemaVersion": 2,\n  "name": "x",,\n}', 'json', 'site.json');
      throw new Error('no error');
    } catch (e) {
      expect(isEmtError(e) && e.code).toBe('E_PROFILE_JSON');
      expect((e as Error).message).toMatch(/at line 3, column \d+/);
    }
  });

  it('refuses newer, unversioned and misshapen files with their own codes', () => {
    expect(codeOf(() => importProfile('{"schemaVersion": 3, "name": "x", "mode": "emf"}', 'json', 'n.json'))).toBe('E_PROFILE_VERSION_NEWER');
    expect(codeOf(() => importProfile('name: x\nmode: emf\n', 'yaml', 'n.yaml'))).toBe('E_PROFILE_VERSION');
    expect(codeOf(() => importProfile('schemaVersion: 2\nname: x\nmode: usb\n', 'yaml', 'n.yaml'))).toBe('E_PROFILE_SCHEMA');
    expect(codeOf(() => importProfile('- a\n- b\n', 'yaml', 'n.yaml'))).toBe('E_PROFILE_SCHEMA');
    expect(codeOf(() => importProfile('schemaVersion: 2\nname: x\nmode: emf\nemf: {}\nmodee: emf\n', 'yaml', 'n.yaml'))).toBe('E_PROFILE_SCHEMA');
    expect(codeOf(() => importProfile(`name: "${'x'.repeat(9 << 20)}"`, 'yaml', 'big.yaml'))).toBe('E_PROFILE_TOO_LARGE');
    expect(codeOf(() => importProfile('a: 1\na: 2\n', 'yaml', 'dup.yaml'))).toBe('E_PROFILE_YAML');
  });

  it('knows the format by extension and refuses others', async () => {
    await expect(saveProfile(join(dir, 'site.txt'), standaloneProfile())).rejects.toMatchObject({ code: 'E_PROFILE_EXTENSION' });
  });
});
