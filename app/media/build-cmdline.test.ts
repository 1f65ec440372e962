import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BuildManifestSchema } from '../contract/build';
import { makeCert } from '../profile/testing/pki';
import { emfProfile } from '../profile/testing/profiles';
import { bootkitInitramfs, dummyKernel, INITRAMFS_NAME, KERNEL_NAME, writeReleaseDir } from '../release/testing/synthetic-release';
import { buildIsoFile } from './build';
import { extractIso, runCli, useMediaLab } from './testing/media-oracles';

// The kernel command line on the media: release defaults, then the profile's parameters, then the
// user's --append (which win), and last `emt.media=<mode>`; the same line in GRUB, ISOLINUX and the
// manifest; and never longer than the kernel keeps (x86 COMMAND_LINE_SIZE 2048 with its NUL).

const BOOTKIT_DEFAULTS = 'root=tmpfs rootflags=mode=0755 rd.skipfsck noresume modules-load=nbd';
const CONSOLES = 'console=tty0 console=ttyS0,115200';

const lab = useMediaLab('emt-cmdline-');
let release: string;
let n = 0;

beforeAll(async () => {
  release = await writeReleaseDir(join(lab.root, 'emb_uos_x86_64_20260526'), { [KERNEL_NAME]: dummyKernel(), [INITRAMFS_NAME]: await bootkitInitramfs() });
});

/** Builds with `--append`s through the CLI; returns the exit code, stderr and the line on each place it is written. */
async function build(...append: string[]) {
  const iso = join(lab.root, `cmdline-${++n}.iso`);
  const r = await runCli(['build', '--release', release, '--out', iso, '--kit', lab.kit, ...append.flatMap((a) => ['--append', a])], lab.root);
  if (r.code !== 0) return { ...r, iso, lines: null };
  const dir = join(lab.root, `x-${n}`);
  extractIso(iso, dir);
  const manifest = BuildManifestSchema.parse(JSON.parse(await readFile(join(dir, 'emt-media.json'), 'utf8')));
  const grub = /^ {2}linux \/boot\/vmlinuz (.*)$/m.exec(await readFile(join(dir, 'boot', 'grub', 'grub.cfg'), 'utf8'))![1]!;
  const isolinux = /^ {2}APPEND (.*)$/m.exec(await readFile(join(dir, 'isolinux', 'isolinux.cfg'), 'utf8'))![1]!;
  return { ...r, iso, lines: { manifest: manifest.kernelCommandLine, grub, isolinux } };
}

describe('kernel parameters on the media', () => {
  it('merges --append over the release defaults: user values win, repeatable ones add up, emt.media stays last', async () => {
    const r = await build('rootflags=size=512M,mode=0755 quiet', 'console=ttyS1 emt.media=custom');
    expect(r.err).toBe('');
    const line = `root=tmpfs rd.skipfsck noresume modules-load=nbd ${CONSOLES} rootflags=size=512M,mode=0755 quiet console=ttyS1 emt.media=none`;
    expect(r.lines).toEqual({ manifest: line, grub: line, isolinux: line });
  });

  it('lets the user override a parameter the profile sets', async () => {
    const result = await buildIsoFile(
      { release: { kind: 'directory', path: release }, kitDir: lab.kit, profile: emfProfile(makeCert('Orchestrator CA')), append: ['DEBUG=true worker_id=52:54:00:aa:bb:cc'], date: new Date('2026-06-01T00:00:00Z') },
      join(lab.root, 'emf.iso'),
    );
    const words = result.manifest.kernelCommandLine.split(' ');
    expect(words.slice(0, 7).join(' ')).toBe(`${BOOTKIT_DEFAULTS} ${CONSOLES}`);
    expect(words).toContain('tinkerbell_tls=false');
    expect(words.filter((w) => w.startsWith('DEBUG='))).toEqual(['DEBUG=true']);
    expect(words.filter((w) => w.startsWith('worker_id='))).toEqual(['worker_id=52:54:00:aa:bb:cc']);
    expect(words.slice(-3)).toEqual(['DEBUG=true', 'worker_id=52:54:00:aa:bb:cc', 'emt.media=emf']);
  });

  it('takes a line of 2047 bytes and refuses one of 2048, leaving no file behind', async () => {
    const probe = await build('pad=x');
    const base = probe.lines!.manifest.length - 1;
    const fits = await build(`pad=${'x'.repeat(2047 - base)}`);
    expect(fits.code).toBe(0);
    expect(Buffer.byteLength(fits.lines!.manifest)).toBe(2047);
    expect(fits.lines!.grub).toBe(fits.lines!.manifest);

    const tooLong = await build(`pad=${'x'.repeat(2048 - base)}`);
    expect(tooLong.code).toBe(1);
    expect(tooLong.err).toMatch(/^error E_CMDLINE_TOO_LONG: The kernel command line is 2048 bytes; the kernel keeps only 2047\.\n {2}fix: /);
    expect(existsSync(tooLong.iso)).toBe(false);
    expect((await readdir(lab.root)).filter((f) => f.endsWith('.part'))).toEqual([]);
  });

  it('refuses a line break and an unclosed quote in --append', async () => {
    expect((await build('a=1\nb=2')).err).toMatch(/^error E_CMDLINE_CHARS: /);
    expect((await build('msg="unclosed')).err).toMatch(/^error E_CMDLINE_QUOTE: /);
  });
});
