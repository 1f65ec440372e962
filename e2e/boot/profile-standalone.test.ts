import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../app/cli';
import type { BuildResult, Finding } from '../../app/contract/build';
import type { MediaInspection } from '../../app/contract/inspect';
import { releaseContext } from '../../app/media/release-context';
import { loadProfile } from '../../app/profile/profile-file';
import { render } from '../../app/profile/render';
import type { RenderResult } from '../../app/profile/render-types';
import { MASKED_UNITS } from '../../app/profile/standalone/render-standalone';
import { recordingIo } from '../../app/release/testing/cli-io';
import { assertBooted, bootQemu } from './harness/boot-qemu';
import { jsonOf, runCli } from './harness/cli-process';
import { fixtureWhat, parseFixtureLog } from './harness/fixture-log';
import { loadFixture, type Fixture } from './harness/fixtures';

/**
 * Standalone mode end to end: an installer bundle shaped like EMT-S's provisioning_scripts is
 * imported into a profile, the profile is checked against the real fixture release
 * (`profile validate --release`), `emt-media build` (a child process, password from the
 * environment) makes the ISO, `emt-media inspect` verifies it, and the ISO boots on the Bootkit
 * fixture from a disk under BIOS, as a stick in a legacy node does. The vendor services must stay
 * masked and start-provision.service must run the installer from /etc/scripts.
 *
 * The stick's data partitions and the real installer's run are the USB layer's proof; here the
 * installer is a stand-in that reports where it runs and what it finds, then ends.
 */
const PASSWORD = 'Kiosk7-e2e-Zq9vW4';
const IMAGE = 'images/edge-readonly-3.0.20260526.0123.raw.gz';

const INSTALL_OS = `#!/bin/bash
# e2e stand-in for EMT-S install-os.sh: reports where it runs and what it finds, and ends. The
# real one writes the OS image to the node's disk and reboots.
set -euo pipefail
# start-provision.service leaves output to the journal; the test reads the serial console.
exec >/dev/console 2>&1
# Relative on purpose: the unit's WorkingDirectory must be /etc/scripts.
source ./installer-lib.sh
say start
say "unit $(basename "$(cut -d: -f3 /proc/self/cgroup)")"
say "cwd $(pwd)"
say "files $(ls /etc/scripts | paste -sd, -)"
say "settings disk_min_gb=$(setting disk_min_gb installer.yaml)"
say "cmdline $(cat /proc/cmdline)"
say "exit 0"
`;
// Every *.sh of the bundle needs a #! line (E_SCRIPT_NO_SHEBANG), sourced helpers too.
const INSTALLER_LIB = `#!/bin/bash
# Sourced by install-os.sh, as EMT-S's scripts source their helpers.
say() { echo "EMT-E2E: install-os.sh $*"; }
setting() { gawk -F': *' -v k="$1" '$1 == k { print $2 }' "$2"; }
`;
const INSTALLER_YAML = '# e2e stand-in for the installer settings shipped beside install-os.sh\ndisk_min_gb: 32\n';
// EMT-S ships its unit in the same folder; the profile import leaves it out and renders ours.
const UPSTREAM_UNIT = '[Unit]\nDescription=not ours\n';

/**
 * start-provision.service is Type=simple, as upstream's: After=multi-user.target orders the
 * fixture's final unit after the installer has started, not after it has ended. The real installer
 * reboots the node when done; here the final unit waits for it to end, so that its failed-units line
 * judges the installer's exit code.
 */
const WAIT_FOR_INSTALLER = `[Service]
ExecStartPre=/bin/sh -c 'while systemctl is-active --quiet start-provision.service; do sleep 1; done'
`;

let dir: string;
let fixture: Fixture;
let rendered: RenderResult;
let iso: string;
let build: { code: number | null; stdout: string; stderr: string; result: BuildResult };

const renderedFiles = () => rendered.overlay.list().filter((n) => n.kind !== 'dir');

async function profileCli(...argv: string[]): Promise<string> {
  const r = recordingIo({}, dir);
  const code = await main(['profile', ...argv], r.io);
  expect(code, r.text()).toBe(0);
  return r.text();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emt-profile-standalone-'));
  fixture = await loadFixture('bootkit');
  const scripts = join(dir, 'provisioning_scripts');
  await mkdir(scripts);
  await writeFile(join(scripts, 'install-os.sh'), INSTALL_OS, { mode: 0o755 });
  await writeFile(join(scripts, 'installer-lib.sh'), INSTALLER_LIB);
  await writeFile(join(scripts, 'installer.yaml'), INSTALLER_YAML);
  await writeFile(join(scripts, 'start-provision.service'), UPSTREAM_UNIT);
  await mkdir(join(dir, 'images'));
  const image = gzipSync(Buffer.alloc(64 << 10));
  await writeFile(join(dir, IMAGE), image);
  await writeFile(join(dir, `${IMAGE}.sha256sum`), `${createHash('sha256').update(image).digest('hex')}  ${IMAGE.split('/')[1]}\n`);
  await profileCli('new', 'kiosk.yaml', '--mode', 'standalone', '--name', 'Kiosk line 3', '--user', 'edgeuser');
  expect(await profileCli('import', 'kiosk.yaml', '--installer', 'provisioning_scripts', '--os-image', IMAGE)).toContain('(left out: start-provision.service)');

  const release = await releaseContext({ kind: 'tarball', path: fixture.release });
  rendered = render((await loadProfile(join(dir, 'kiosk.yaml'))).profile, release.context, { baseDir: dir });
  expect(rendered.findings.filter((f) => f.severity === 'error')).toEqual([]);

  const dropIns = join(dir, 'stand-in', 'etc', 'systemd', 'system', 'emt-fixture-done.service.d');
  await mkdir(dropIns, { recursive: true });
  await writeFile(join(dropIns, 'wait-for-installer.conf'), WAIT_FOR_INSTALLER);

  iso = join(dir, 'kiosk.iso');
  const checks = renderedFiles().map((n) => n.path);
  const run = await runCli(
    ['build', '--release', fixture.release, '--profile', 'kiosk.yaml', '--password-env', 'EMT_E2E_STANDALONE_PASSWORD', '--overlay', 'stand-in', '--append', `emt.check=${checks.join(',')}`, '--out', 'kiosk.iso', '--json'],
    { cwd: dir, env: { EMT_E2E_STANDALONE_PASSWORD: PASSWORD } },
  );
  expect(run.code, run.stderr).toBe(0);
  build = { ...run, result: jsonOf<BuildResult>(run) };
}, 900_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('standalone profile → emt-media build → ISO', () => {
  it('passes profile validate --release against the fixture release, whose root has every installer tool', async () => {
    const run = await runCli(['profile', 'validate', 'kiosk.yaml', '--release', fixture.release, '--json'], { cwd: dir });
    const doc = jsonOf<{ ok: boolean; release: { name: string; layout: string }; findings: Finding[] }>(run);
    expect(run.code, run.stdout).toBe(0);
    expect(doc.ok).toBe(true);
    expect(doc.release).toEqual({ name: fixture.manifest.release.file, layout: 'bootkit' });
    const codes = doc.findings.map((f) => f.code);
    expect(codes).not.toContain('E_RELEASE_TOOL_MISSING');
    // The fixture, like the published Bootkit, has no yq (EMT-S adds it to its own build).
    expect(codes).toContain('W_RELEASE_NO_YQ');
  }, 600_000);

  it('builds with the password from the environment; inspect verifies it, and no byte of the password is on it', async () => {
    expect(existsSync(iso)).toBe(true);
    expect(build.result.manifest.mode).toBe('standalone');
    expect(build.stdout + build.stderr).not.toContain(PASSWORD);

    const run = await runCli(['inspect', 'kiosk.iso', '--json'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const inspection = jsonOf<MediaInspection>(run);
    expect(inspection.isVerified).toBe(true);
    for (const node of renderedFiles()) {
      const listed = inspection.overlay.find((o) => o.path === node.path);
      expect(listed?.kind, node.path).toBe(node.kind);
      if (node.kind === 'file') expect(listed!.mode, node.path).toBe(node.mode.toString(8));
    }
    expect(inspection.overlay.map((o) => o.path)).not.toContain('/etc/scripts/start-provision.service');
    expect(JSON.stringify(inspection.manifest)).not.toContain(PASSWORD);

    // The whole image, and the customization unpacked (custom.img is gzip'd, so a plain search of
    // the image alone could not see the password in it).
    const password = Buffer.from(PASSWORD);
    expect((await readFile(iso)).indexOf(password)).toBe(-1);
    execFileSync('osirrox', ['-indev', iso, '-extract', '/boot/custom.img', join(dir, 'custom.img')], { stdio: 'pipe' });
    const custom = gunzipSync(await readFile(join(dir, 'custom.img')));
    expect(custom.indexOf(Buffer.from('#!/bin/bash\n# e2e stand-in for EMT-S install-os.sh'))).toBeGreaterThan(0);
    expect(custom.indexOf(password)).toBe(-1);
  }, 600_000);

  it('boots under BIOS from a disk: vendor services masked, start-provision runs the installer from /etc/scripts', async () => {
    const r = await bootQemu({
      name: 'profile-standalone-bios-disk',
      mode: 'bios-disk',
      media: iso,
      markers: [
        'EMT-FIXTURE: tmpfsroot unpacked',
        'emt-media: overlay applied',
        'EMT-E2E: install-os.sh start',
        'EMT-E2E: install-os.sh unit start-provision.service',
        'EMT-E2E: install-os.sh cwd /etc/scripts',
        'EMT-E2E: install-os.sh files install-os.sh,installer-lib.sh,installer.yaml',
        'EMT-E2E: install-os.sh settings disk_min_gb=32',
        'EMT-E2E: install-os.sh exit 0',
        'EMT-FIXTURE: failed-units none',
        'EMT-FIXTURE: done',
      ],
      failOn: [/FAILED\] Failed to start/],
      timeoutMs: 600_000,
    });
    console.log(`standalone profile, BIOS disk: booted to done in ${(r.durationMs / 1000).toFixed(1)} s`);
    assertBooted(r);
    const log = parseFixtureLog(r.log);
    // A masked unit prints nothing: none of the four started.
    expect(log.started).toEqual([]);
    for (const unit of MASKED_UNITS) expect(log.checks.get(`/etc/systemd/system/${unit}`), unit).toBe('symlink -> /dev/null');
    const cmdline = /EMT-E2E: install-os\.sh cmdline (.*)/.exec(r.log)?.[1] ?? '';
    for (const arg of rendered.kernelArgs) expect(cmdline.split(' ')).toContain(arg);
    // Every file and link of the render in the running root, as rendered (scripts 0755, the unit, its wants link).
    for (const node of renderedFiles()) expect(log.checks.get(node.path), node.path).toBe(fixtureWhat(node));
  }, 700_000);
});
