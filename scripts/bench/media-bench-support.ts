/**
 * What the two media benches share: the measured child (bundled like the shipped CLI), timing of
 * shell baselines in wall and CPU time, and the baseline ISO: `xorriso -as mkisofs` with the boot
 * options of Debian live-build (isolinux with a boot info table, the EFI image as a second El Torito
 * entry, isohybrid MBR and a GPT naming the EFI image; reference/iso-boot-formats.md §2.4).
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '../..');
export const KIT = join(root, '.kit');

export interface Timing {
  seconds: number;
  cpuSeconds: number;
}

export interface ChildResult extends Timing {
  size: number;
  layout: string;
  maxRssMiB: number;
  /** Wall time of the whole child process, node start included. */
  processSeconds: number;
}

/** Bundles media-build.child.ts into `outfile` (no TypeScript loader in the measured process). */
export async function bundleChild(outfile: string): Promise<void> {
  await build({ entryPoints: [join(here, 'media-build.child.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile, logLevel: 'error' });
}

export async function runChild(script: string, args: string[]): Promise<ChildResult> {
  const started = performance.now();
  const { stdout } = await capture(process.execPath, [script, ...args]);
  return { ...JSON.parse(stdout.trim().split('\n').at(-1)!), processSeconds: (performance.now() - started) / 1000 };
}

/** Wall and CPU time (user + system of every process of the script) from bash's `time`. */
export async function timeShell(script: string): Promise<Timing> {
  const { stderr } = await capture('bash', ['-c', `set -eo pipefail; TIMEFORMAT='%R %U %S'; time { ${script}; }`]);
  const [real, user, sys] = stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { seconds: real!, cpuSeconds: user! + sys! };
}

export function capture(cmd: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`))));
  });
}

/**
 * The boot files of one of our ISOs (extracted by osirrox into `files`) copied into `tree` for
 * xorriso, with the kit's own isolinux.bin (xorriso patches its boot info table itself). The
 * kernel and initrd are the caller's to add.
 */
export async function bootTree(files: string, tree: string, options: { withCustomImg: boolean }): Promise<void> {
  const small = ['boot/grub/grub.cfg', 'boot/efi.img', 'isolinux/isolinux.cfg', 'isolinux/ldlinux.c32', '.disk/info', 'emt-media.json', ...(options.withCustomImg ? ['boot/custom.img'] : [])];
  for (const path of small) {
    await mkdir(dirname(join(tree, path)), { recursive: true });
    await copyFile(join(files, path), join(tree, path));
  }
  await copyFile(join(KIT, 'bios', 'isolinux.bin'), join(tree, 'isolinux', 'isolinux.bin'));
}

/** The baseline's command: a hybrid ISO of `tree` like ours (BIOS + UEFI, MBR + GPT), synced to disk. */
export function xorrisoCommand(tree: string, out: string): string {
  return (
    `xorriso -as mkisofs -quiet -iso-level 3 -R -J -joliet-long -V EMT_BOOTKIT ` +
    `-b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table ` +
    `-isohybrid-mbr '${join(KIT, 'bios', 'isohdpfx.bin')}' ` +
    `-eltorito-alt-boot -e boot/efi.img -no-emul-boot -isohybrid-gpt-basdat ` +
    `-o '${out}' '${tree}' && sync '${out}'`
  );
}

export const best = (xs: Timing[], key: keyof Timing = 'seconds'): number => Math.min(...xs.map((x) => x[key]));
export const fmt = (xs: Timing[]): string => `${xs.map((t) => t.seconds.toFixed(2)).join(' / ')} s`;
