import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync, chmodSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBuffer, openRandomAccess, readAll, type RandomAccess } from '../byte-source';
import { openIso, type IsoVolume } from './reader';
import { makeEsp, runAll, tempDir, writeSource } from './test-support';
import { isoImage } from './writer';

const tmp = tempDir('emt-iso-reader-');
const opened: RandomAccess[] = [];
afterAll(async () => {
  await Promise.all(opened.map((ra) => ra.close()));
  tmp.remove();
});

async function open(path: string): Promise<IsoVolume> {
  const ra = await openRandomAccess(path);
  opened.push(ra);
  return openIso(ra);
}

const MTIME = new Date(Date.UTC(2024, 2, 3, 4, 5, 6));
const src = join(tmp.path, 'src');
const longName = `${'L'.repeat(200)}-name.txt`;

/** A source tree on disk that xorriso turns into images of several kinds. */
function makeSourceTree(): void {
  const file = (rel: string, text: string, mode = 0o644) => {
    mkdirSync(join(src, rel, '..'), { recursive: true });
    writeFileSync(join(src, rel), text);
    chmodSync(join(src, rel), mode);
    utimesSync(join(src, rel), MTIME, MTIME);
  };
  file('boot/grub/grub.cfg', 'set timeout=1\n');
  file('boot/vmlinuz', 'K'.repeat(5000));
  file('bin/run.sh', '#!/bin/sh\n', 0o755);
  file(`names/${longName}`, 'long');
  file('a/b/c/d/e/f/g/h/i/j/deep.txt', 'deep');
  symlinkSync('../boot/vmlinuz', join(src, 'bin/kernel'));
  symlinkSync('/boot/grub/grub.cfg', join(src, 'bin/abs'));
  mkdirSync(join(src, 'isolinux'));
  writeFileSync(join(src, 'isolinux/isolinux.bin'), readFileSync('/usr/lib/ISOLINUX/isolinux.bin'));
  execFileSync('cp', [makeEsp(tmp.path, 512, { 'EFI/BOOT/BOOTX64.EFI': { text: 'x' } }), join(src, 'isolinux/efi.img')]);
}

const xorriso = (out: string, ...args: string[]) => runAll('xorriso', ['-as', 'mkisofs', '-o', out, ...args, src]);

let rrIso: string;
beforeAll(() => {
  makeSourceTree();
  rrIso = join(tmp.path, 'xorriso-rr.iso');
  xorriso(rrIso, '-R', '-J', '-V', 'XORRISO_VOL', '-b', 'isolinux/isolinux.bin', '-c', 'isolinux/boot.cat', '-no-emul-boot', '-boot-load-size', '4', '-boot-info-table', '-eltorito-alt-boot', '-e', 'isolinux/efi.img', '-no-emul-boot');
});

describe('openIso on images made by xorriso', () => {
  it('reads Rock Ridge names, modes, sizes, dates and symlink targets', async () => {
    const v = await open(rrIso);
    expect(v.volumeId).toBe('XORRISO_VOL');
    expect(v.nameSource).toBe('rockridge');
    expect(v.lookup('/bin/run.sh')).toMatchObject({ kind: 'file', mode: 0o100755, size: 10, mtime: MTIME });
    expect(v.lookup('/boot/vmlinuz')).toMatchObject({ kind: 'file', mode: 0o100644, size: 5000 });
    expect(v.lookup('/bin/kernel')).toMatchObject({ kind: 'symlink', target: '../boot/vmlinuz' });
    expect(v.lookup('/bin/abs')).toMatchObject({ kind: 'symlink', target: '/boot/grub/grub.cfg' });
    expect(v.lookup(`/names/${longName}`)?.size).toBe(4);
    expect(v.lookup('/boot')).toMatchObject({ kind: 'dir', mode: 0o40755 });
    expect(Buffer.from(await readAll(v.readFile('/boot/vmlinuz'))).toString()).toBe('K'.repeat(5000));
  });

  it('reads the El Torito catalog', async () => {
    const v = await open(rrIso);
    const bin = v.lookup('/isolinux/isolinux.bin')!;
    const efi = v.lookup('/isolinux/efi.img')!;
    expect(v.elTorito?.entries).toEqual([
      { platform: 0, isBootable: true, mediaType: 0, loadSegment: 0, systemType: 0, sectorCount: 4, loadRba: bin.extents[0]!.lba },
      { platform: 0xef, isBootable: true, mediaType: 0, loadSegment: 0, systemType: 0, sectorCount: 1024, loadRba: efi.extents[0]!.lba },
    ]);
    expect(v.elTorito?.catalogLba).toBe(v.lookup('/isolinux/boot.cat')!.extents[0]!.lba);
  });

  it('puts directories relocated by Rock Ridge (CL/RE) back in their place', async () => {
    const iso = join(tmp.path, 'xorriso-reloc.iso');
    runAll('xorriso', ['-compliance', 'deep_paths_off', '-rr_reloc_dir', 'rr_moved', '-outdev', iso, '-map', src, '/']);
    const v = await open(iso);
    expect(v.lookup('/a/b/c/d/e/f/g/h/i/j/deep.txt')?.size).toBe(4);
    expect(v.lookup('/rr_moved')).toBeNull();
    expect(Buffer.from(await readAll(v.readFile('/a/b/c/d/e/f/g/h/i/j/deep.txt'))).toString()).toBe('deep');
  });

  it('falls back to Joliet names, then to primary names without version', async () => {
    const joliet = join(tmp.path, 'xorriso-joliet.iso');
    xorriso(joliet, '--norock', '-J');
    const j = await open(joliet);
    expect(j.nameSource).toBe('joliet');
    expect(j.lookup('/boot/grub/grub.cfg')?.mode).toBeNull();
    expect(j.lookup('/bin/run.sh')?.size).toBe(10);

    const plain = join(tmp.path, 'xorriso-plain.iso');
    xorriso(plain, '--norock');
    const p = await open(plain);
    expect(p.nameSource).toBe('primary');
    expect(p.lookup('/BOOT/GRUB/GRUB.CFG')?.size).toBe(14);
    expect(p.lookup('/BOOT/VMLINUZ')?.kind).toBe('file');
  });

  it('joins the extents of a multi-extent file (> 4 GiB), from the head of the image alone', async () => {
    const big = join(tmp.path, 'big');
    mkdirSync(big);
    writeFileSync(join(big, 'huge.bin'), '');
    truncateSync(join(big, 'huge.bin'), 4200 * 2 ** 20);
    const head = join(tmp.path, 'head.iso');
    // Only the first MiB (metadata) is kept: the file data need not be written for the listing.
    execFileSync('sh', ['-c', 'xorriso -as mkisofs -R -iso-level 3 -o - "$0" 2>/dev/null | head -c 1048576 > "$1"', big, head]);
    const v = await open(head);
    const huge = v.lookup('/huge.bin')!;
    expect(huge.size).toBe(4200 * 2 ** 20);
    expect(huge.extents.length).toBe(2);
    expect(v.list().map((n) => n.path)).toEqual(['/huge.bin']);
    expect(() => v.readFile('/huge.bin')).toThrow(expect.objectContaining({ code: 'E_ISO_TRUNCATED' }));
  });
});

describe('openIso on our own images', () => {
  it('round-trips the tree, with long names and link targets from continuation areas', async () => {
    const target = Array.from({ length: 4 }, (_, i) => `${i}${'t'.repeat(220)}`).join('/');
    const name = `${'n'.repeat(250)}.bin`;
    const { source } = await isoImage({
      volumeId: 'OURS',
      date: MTIME,
      entries: [
        { kind: 'file', path: `/x/${name}`, content: fromBuffer(Buffer.from('payload')), mode: 0o640 },
        { kind: 'symlink', path: '/x/link', target },
        { kind: 'dir', path: '/x/empty', mode: 0o711 },
      ],
    });
    const iso = join(tmp.path, 'ours.iso');
    await writeSource(source, iso);
    const v = await open(iso);
    expect(v.nameSource).toBe('rockridge');
    expect(v.created).toEqual(MTIME);
    expect(v.list().map((n) => [n.path, n.kind, n.mode])).toEqual([
      ['/x', 'dir', 0o40755],
      ['/x/empty', 'dir', 0o40711],
      ['/x/link', 'symlink', 0o120777],
      [`/x/${name}`, 'file', 0o100640],
    ]);
    expect(v.lookup('/x/link')?.target).toBe(target);
    expect(Buffer.from(await readAll(v.readFile(`/x/${name}`))).toString()).toBe('payload');
  });

  it('refuses what is not a file, not there, or not an ISO', async () => {
    const v = await open(rrIso);
    expect(() => v.readFile('/boot')).toThrow(expect.objectContaining({ code: 'E_ISO_NOT_A_FILE' }));
    expect(() => v.readFile('/nope')).toThrow(expect.objectContaining({ code: 'E_ISO_NOT_FOUND' }));
    const junk = join(tmp.path, 'junk.bin');
    writeFileSync(junk, Buffer.alloc(64 * 1024, 1));
    await expect(open(junk)).rejects.toMatchObject({ code: 'E_ISO_NOT_ISO' });
  });
});
