import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildResult } from '../../app/contract/build';
import type { MediaInspection } from '../../app/contract/inspect';
import type { EmfProfile } from '../../app/contract/profile';
import { releaseContext } from '../../app/media/release-context';
import { loadProfile, saveProfile } from '../../app/profile/profile-file';
import { render } from '../../app/profile/render';
import type { RenderResult } from '../../app/profile/render-types';
import { makeCert, type TestCert } from '../../app/profile/testing/pki';
import { emfProfile } from '../../app/profile/testing/profiles';
import { assertBooted, bootQemu } from './harness/boot-qemu';
import { jsonOf, runCli } from './harness/cli-process';
import { FIXTURE_UNITS, fixtureWhat, parseFixtureLog } from './harness/fixture-log';
import { loadFixture, type Fixture } from './harness/fixtures';

/**
 * EMF mode end to end: a site profile (typed MAC, orchestrator + provisioning CA, generated Caddy and
 * Fluent Bit files, proxies) is built into an ISO by `emt-media build` run as a user runs it, read
 * back by `emt-media inspect`, and booted from a USB stick (UEFI) on the Bootkit fixture. The four
 * services must start in EMF's order and each must find, at its start, exactly the bytes render
 * produced, and read the kernel parameters render chose.
 *
 * What cannot exist here is stood in for by one unit in an overlay folder (as in
 * profile-worker-id.test.ts): onboarding itself (the tokens device-discovery leaves in /dev/shm)
 * and a DMI product UUID, without which caddy_run.sh and fluentbit_run.sh rightly refuse to start.
 */
const MAC_AS_TYPED = '52-54-00-AB-CD-EF';
const MAC = '52:54:00:ab:cd:ef';
const PROXY = { http: 'http://proxy.plant7.example:3128', https: 'http://proxy.plant7.example:3129', noProxy: 'localhost,127.0.0.1,.plant7.example' };

// Not ordered before caddy or fluent-bit: caddy_run.sh waits for the tokens by itself, so only our
// drop-ins order the services, and the order the test sees is theirs. The UUID comes first and the
// access token, which caddy_run.sh waits for, last.
const STAND_IN = `[Unit]
Description=e2e stand-in for onboarding: a DMI UUID, then the tokens device-discovery would leave
After=device-discovery.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'mount -t tmpfs -o size=64k tmpfs /sys/class/dmi/id && echo 6c0ffee0-0000-4000-8000-000000000002 > /sys/class/dmi/id/product_uuid'
ExecStart=/bin/sh -c 'for t in release_token project_id idp_access_token; do echo e2e > /dev/shm/$t; done'

[Install]
WantedBy=multi-user.target
`;

let dir: string;
let fixture: Fixture;
let orchestratorCa: TestCert;
let provisioningCa: TestCert;
/** What the engine renders for this profile and this release: the source of every expectation. */
let rendered: RenderResult;
let iso: string;
let build: BuildResult;

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const renderedFiles = () => rendered.overlay.list().filter((n) => n.kind !== 'dir');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emt-profile-emf-'));
  fixture = await loadFixture('bootkit');
  orchestratorCa = makeCert('Plant 7 orchestrator CA');
  provisioningCa = makeCert('Plant 7 tink-stack CA');
  const base = emfProfile(orchestratorCa);
  const profile: EmfProfile = {
    ...base,
    network: { proxy: PROXY },
    emf: {
      ...base.emf,
      certificates: { orchestratorCa: { name: 'orch-ca.crt', content: orchestratorCa.pem }, provisioningCa: { name: 'tink-stack-ca.crt', content: provisioningCa.pem } },
      workerId: { mode: 'mac', mac: MAC_AS_TYPED },
    },
  };
  await saveProfile(join(dir, 'site.yaml'), profile);
  // Rendered from the file as saved, against the release as the build reads it.
  const release = await releaseContext({ kind: 'tarball', path: fixture.release });
  rendered = render((await loadProfile(join(dir, 'site.yaml'))).profile, release.context, { baseDir: dir });
  expect(rendered.findings.filter((f) => f.severity === 'error')).toEqual([]);

  const units = join(dir, 'stand-in', 'etc', 'systemd', 'system');
  await mkdir(join(units, 'multi-user.target.wants'), { recursive: true });
  await writeFile(join(units, 'emt-e2e-onboarded.service'), STAND_IN);
  await symlink('/etc/systemd/system/emt-e2e-onboarded.service', join(units, 'multi-user.target.wants', 'emt-e2e-onboarded.service'));

  // The fixture's final unit reports every file and link of the render as the running system has it.
  const checks = renderedFiles().map((n) => n.path);
  iso = join(dir, 'emf.iso');
  const run = await runCli(['build', '--release', fixture.release, '--profile', 'site.yaml', '--overlay', 'stand-in', '--append', `emt.check=${checks.join(',')}`, '--out', 'emf.iso', '--json'], { cwd: dir });
  expect(run.code, run.stderr).toBe(0);
  build = jsonOf<BuildResult & { ok: boolean }>(run);
}, 900_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('EMF profile → emt-media build → ISO', () => {
  it('builds, and inspect verifies every hash and lists the rendered overlay with its modes and hashes', async () => {
    expect(existsSync(iso)).toBe(true);
    expect(build.output).toBe(iso);
    expect(build.manifest.mode).toBe('emf');

    const run = await runCli(['inspect', 'emf.iso', '--json'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const inspection = jsonOf<MediaInspection>(run);
    expect(inspection.isVerified).toBe(true);
    expect(inspection.checks.filter((c) => c.path.startsWith('overlay:')).length).toBeGreaterThanOrEqual(renderedFiles().filter((n) => n.kind === 'file').length);
    const manifest = inspection.manifest!;
    expect(manifest.profileDigest).toBeDefined();
    for (const node of renderedFiles()) {
      const listed = inspection.overlay.find((o) => o.path === node.path);
      expect(listed, node.path).toBeDefined();
      expect(listed!.kind, node.path).toBe(node.kind);
      if (node.kind !== 'file') continue;
      expect(listed!.mode, node.path).toBe(node.mode.toString(8));
      expect(listed!.size, node.path).toBe(node.content.length);
      expect(manifest.overlay.find((o) => o.path === node.path)?.sha256, node.path).toBe(sha256(node.content));
    }
    // The profile's parameters reach the boot menu in render's order (tink-worker and
    // device-discovery split the line at spaces; its last word must be none of theirs).
    const words = manifest.kernelCommandLine.split(' ');
    const positions = rendered.kernelArgs.map((a) => words.indexOf(a));
    expect(positions.every((p) => p >= 0), manifest.kernelCommandLine).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(words).toContain(`worker_id=${MAC}`);
    // The CA bundle is the orchestrator CA, then the provisioning CA.
    const bundle = rendered.overlay.get('/etc/idp/ca.pem');
    expect(bundle?.kind === 'file' && bundle.content.toString()).toBe(orchestratorCa.pem + provisioningCa.pem);
  }, 600_000);

  it('boots from a UEFI USB stick: the services start in order and see exactly what render produced', async () => {
    const r = await bootQemu({
      name: 'profile-emf-uefi-usb',
      mode: 'uefi-usb',
      media: iso,
      markers: [
        'EMT-FIXTURE: tmpfsroot unpacked',
        'emt-media: overlay applied',
        'EMT-FIXTURE: unit device-discovery start',
        'EMT-FIXTURE: unit caddy start',
        'EMT-FIXTURE: caddy user root',
        'EMT-FIXTURE: exec /usr/bin/caddy run --config /etc/caddy/Caddyfile --adapter caddyfile',
        'EMT-FIXTURE: failed-units none',
        'EMT-FIXTURE: done',
      ],
      failOn: [/FAILED\] Failed to start/],
      timeoutMs: 600_000,
    });
    console.log(`EMF profile, UEFI USB: booted to done in ${(r.durationMs / 1000).toFixed(1)} s`);
    assertBooted(r);
    const log = parseFixtureLog(r.log);

    // Order: caddy after device-discovery has finished, fluent-bit and tink-worker after caddy has.
    expect([...log.started].sort()).toEqual([...FIXTURE_UNITS].sort());
    const at = (line: string) => {
      const i = log.indexOf(line);
      expect(i, `"${line}" in the serial log`).toBeGreaterThanOrEqual(0);
      return i;
    };
    const caddyStart = at('unit caddy start');
    expect(at('exec /usr/bin/device-discovery/device-discovery')).toBeLessThan(caddyStart);
    const caddyDone = at('exec /usr/bin/caddy run --config /etc/caddy/Caddyfile --adapter caddyfile');
    expect(at('unit fluent-bit start')).toBeGreaterThan(caddyDone);
    expect(at('unit tink-worker start')).toBeGreaterThan(caddyDone);
    // Both run scripts ran in place of the vendor's commands.
    expect(at('exec /usr/bin/fluent-bit -c /etc/fluent-bit/fluent-bit.yaml')).toBeGreaterThan(at('unit fluent-bit start'));

    // Every file a service needs, as it found it at its start: render's bytes and mode, root's.
    for (const unit of FIXTURE_UNITS) {
      const report = log.units.get(unit)!;
      expect(report.user, unit).toBe('root');
      expect(report.files.size, unit).toBeGreaterThan(0);
      for (const [path, what] of report.files) {
        const node = rendered.overlay.get(path);
        expect(node, `${unit} reads ${path}, which the render does not make`).toBeDefined();
        expect(what, `${unit}: ${path}`).toBe(fixtureWhat(node!));
      }
      // Kernel parameters as rendered; those EMF leaves out stay unset.
      const args = new Map(rendered.kernelArgs.map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
      for (const [name, value] of report.params) expect(`${name}=${value}`, unit).toBe(`${name}=${args.get(name) ?? '<unset>'}`);
    }
    // env_config at both paths, read by the two services that need it; the CA files at all four.
    expect(log.units.get('caddy')!.files.has('/etc/emf/env_config')).toBe(true);
    expect(log.units.get('device-discovery')!.files.has('/etc/hook/env_config')).toBe(true);
    const bundleHash = sha256(orchestratorCa.pem + provisioningCa.pem);
    for (const path of ['/etc/idp/ca.pem', '/etc/pki/ca-trust/source/anchors/ca.pem']) expect(log.checks.get(path)).toBe(`file 0644 0:0 ${bundleHash}`);
    for (const path of ['/etc/idp/server_cert.pem', '/etc/pki/ca-trust/source/anchors/server_cert.pem']) expect(log.checks.get(path)).toBe(`file 0644 0:0 ${sha256(orchestratorCa.pem)}`);
    expect(log.checks.get('/etc/emf/env_config')).toBe(log.checks.get('/etc/hook/env_config'));

    const dd = log.units.get('device-discovery')!.params;
    const tink = log.units.get('tink-worker')!.params;
    expect(dd.get('worker_id')).toBe(MAC);
    expect(tink.get('worker_id')).toBe(MAC);
    expect(tink.get('grpc_authority')).toBe('127.0.0.1:42113');
    expect(tink.get('tinkerbell_tls')).toBe('false');
    expect([dd.get('http_proxy'), dd.get('https_proxy'), dd.get('no_proxy')]).toEqual([PROXY.http, PROXY.https, PROXY.noProxy]);
    expect([tink.get('HTTP_PROXY'), tink.get('HTTPS_PROXY'), tink.get('NO_PROXY')]).toEqual([PROXY.http, PROXY.https, PROXY.noProxy]);

    // The final unit's checks: every file and link of the render, in the running root as rendered.
    for (const node of renderedFiles()) expect(log.checks.get(node.path), node.path).toBe(fixtureWhat(node));
  }, 700_000);
});
