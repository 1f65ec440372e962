import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../cli';
import { makeCert } from '../profile/testing/pki';
import type { CliIo } from './command';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'emt-cli-profile-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function cli(opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}) {
  const out: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => out.push(l), progress: () => {}, askSecret: async () => null, readStdin: async () => opts.stdin ?? '', env: opts.env ?? {}, cwd: dir };
  return { run: (...argv: string[]) => main(['profile', ...argv], io), text: () => out.join('\n'), out };
}

describe('emt-media profile', () => {
  it('takes support staff from a new EMF profile to a valid one, printing every finding on the way', async () => {
    const ca = makeCert('Orchestrator CA');
    writeFileSync(join(dir, 'ca.der'), ca.der);
    writeFileSync(join(dir, 'env_config'), 'KEYCLOAK_URL=keycloak.orch.example.com\nOBM_PORT=443\nhttp_proxy=http://proxy.example.com:3128\n');
    const c = cli();
    expect(await c.run('new', 'site.yaml', '--mode', 'emf', '--name', 'Plant 7', '--domain', 'orch.example.com')).toBe(0);
    expect(await c.run('new', 'site.yaml', '--mode', 'emf')).toBe(1);
    expect(c.text()).toContain('error E_PROFILE_EXISTS');

    const v1 = cli();
    expect(await v1.run('validate', 'site.yaml')).toBe(1);
    expect(v1.out).toEqual([
      "error E_CERT_MISSING (emf.certificates.orchestratorCa): The orchestrator's CA certificate is missing; the node cannot trust the orchestrator without it.",
      '  fix: Add the CA certificate the orchestrator administrator gives out (often ca.crt).',
      'site.yaml: 1 error, 0 warnings.',
    ]);

    const imp = cli();
    expect(await imp.run('import', 'site.yaml', '--orchestrator-ca', 'ca.der', '--env-config', 'env_config')).toBe(0);
    expect(imp.out.slice(0, 2)).toEqual(['imported orchestrator-ca: ca.der', 'imported env-config: 2 service value(s)']);
    expect(imp.text()).toContain('warning W_CERT_CONVERTED: ca.der was in DER form and was converted to PEM.');
    expect(readFileSync(join(dir, 'site.yaml'), 'utf8')).toContain('-----BEGIN CERTIFICATE-----');

    const v2 = cli();
    expect(await v2.run('validate', 'site.yaml', '--json')).toBe(0);
    expect(JSON.parse(v2.out.join('\n'))).toMatchObject({ ok: true, findings: [] });

    const show = cli();
    expect(await show.run('show', 'site.yaml')).toBe(0);
    expect(show.text()).toContain('Plant 7 (EMF onboarding, profile version 2)');
    expect(show.text()).toContain('  644 /etc/emf/env_config');
    expect(show.text()).toContain('worker_id chosen at boot by emt-worker-id.service');
  });

  it('prints every finding of a broken profile with its code, field and fix', async () => {
    writeFileSync(
      join(dir, 'bad.json'),
      JSON.stringify({
        schemaVersion: 2,
        name: 'Broken',
        mode: 'emf',
        network: { proxy: { http: 'proxy:3128' } },
        emf: { services: { OBM_PORT: '99999' }, certificates: { orchestratorCa: { name: '../ca.pem', content: 'nope' } }, caddy: { source: 'generate' }, fluentBit: { source: 'generate' }, workerId: { mode: 'mac', mac: 'zz' } },
      }),
    );
    const c = cli();
    expect(await c.run('validate', 'bad.json')).toBe(1);
    const codes = c.out.filter((l) => /^(error|warning) /.test(l)).map((l) => l.split(' ')[1]);
    expect(codes).toEqual(expect.arrayContaining(['E_PROXY_URL', 'E_PORT', 'E_FILE_NAME', 'E_MAC', 'E_ENV_MISSING']));
    expect(c.out.filter((l) => l.startsWith('  fix: ')).length).toBe(codes.length);
    expect(c.out.at(-1)).toMatch(/^bad\.json: \d+ errors, 0 warnings\.$/);
  });

  it('stops at a profile file that holds a password, with the error code and fix', async () => {
    writeFileSync(join(dir, 's.yaml'), 'schemaVersion: 2\nname: x\nmode: standalone\npassword: hunter2\n');
    const c = cli();
    expect(await c.run('validate', 's.yaml')).toBe(1);
    expect(c.text()).toMatch(/^error E_PROFILE_SECRET: .* holds a secret \(password\)/);
    expect(c.text()).not.toContain('hunter2');
  });

  it('builds a standalone profile from an installer folder and renders it, password from stdin', async () => {
    mkdirSync(join(dir, 'provisioning_scripts'));
    writeFileSync(join(dir, 'provisioning_scripts', 'install-os.sh'), '#!/bin/bash\necho install\n');
    writeFileSync(join(dir, 'provisioning_scripts', 'start-provision.service'), '[Unit]\n');
    mkdirSync(join(dir, 'images'));
    writeFileSync(join(dir, 'images', 'edge.raw.gz'), gzipSync(Buffer.alloc(512)));
    writeFileSync(join(dir, 'images', 'edge.raw.gz.sha256sum'), `${'b'.repeat(64)}  edge.raw.gz\n`);
    const c = cli({ stdin: 'Str0ng-pass\n' });
    expect(await c.run('new', 'kiosk.yaml', '--mode', 'standalone', '--user', 'edgeuser')).toBe(0);
    expect(await c.run('import', 'kiosk.yaml', '--installer', 'provisioning_scripts', '--os-image', 'images/edge.raw.gz')).toBe(0);
    expect(c.text()).toContain('imported installer: 1 file(s) from');
    expect(c.text()).toContain('(left out: start-provision.service)');
    expect(await c.run('import', 'kiosk.yaml', '--orchestrator-ca', 'x.pem')).toBe(2);
    expect(await c.run('validate', 'kiosk.yaml')).toBe(0);
    expect(c.text()).toContain('warning W_INSTALLER_WIPES_DISKS: The standalone installer erases every SATA and NVMe disk');

    expect(await c.run('render', 'kiosk.yaml', '--out', 'out', '--password-stdin')).toBe(0);
    expect(statSync(join(dir, 'out/rootfs/etc/scripts/install-os.sh')).mode & 0o777).toBe(0o755);
    expect(readlinkSync(join(dir, 'out/rootfs/etc/systemd/system/tink-worker.service'))).toBe('/dev/null');
    expect(lstatSync(join(dir, 'out/rootfs/etc/systemd/system/multi-user.target.wants/start-provision.service')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'out/kernel-args'), 'utf8')).toBe('usbcore.delay_ms=2000 usbcore.autosuspend=-1\n');
    expect(readFileSync(join(dir, 'out/stick/.psswd'), 'utf8')).toBe('passwd=Str0ng-pass\n');
    expect(statSync(join(dir, 'out/stick/.psswd')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'out/stick/config-file'), 'utf8')).toContain('user_name="edgeuser"\n');
    expect(c.text()).not.toContain('Str0ng-pass');
  });

  it('migrates a version 1 file in place', async () => {
    writeFileSync(join(dir, 'old.json'), JSON.stringify({ version: 1, name: 'Old', mode: 'emf', emf: { domain: 'orch.example.com' } }));
    const c = cli();
    expect(await c.run('migrate', 'old.json')).toBe(0);
    expect(c.out).toEqual(['old.json migrated from version 1 to 2.']);
    expect(JSON.parse(readFileSync(join(dir, 'old.json'), 'utf8'))).toMatchObject({ schemaVersion: 2, emf: { orchestratorDomain: 'orch.example.com', workerId: { mode: 'auto' } } });
  });

  it('answers wrong usage with exit code 2', async () => {
    expect(await cli().run('validate')).toBe(2);
    expect(await cli().run('frobnicate', 'x.yaml')).toBe(2);
    expect(await cli().run('new', 'x.yaml', '--mode', 'usb')).toBe(2);
  });
});
