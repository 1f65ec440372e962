import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LoopLab } from '../../app/flash/testing/loops';
import { writeTargets } from '../../app/flash/write-targets';
import { fromFile } from '../../app/formats/byte-source';
import { bundledWriterLaunch } from '../../app/writer/bundle';
import { bootQemu } from './harness/boot-qemu';

// The end-to-end proof of a write: a stick written by the writer boots. The image is made with
// Debian's tools (xorriso, mtools, GRUB's gcdx64.efi) so that this test depends on nothing of ours
// but the write; the loop device, not the image file, is what QEMU boots as a USB stick (UEFI).
const lab = new LoopLab('flash-boot-');
afterAll(() => lab.cleanup());
const MARKER = 'EMT-FLASH-BOOT-OK';

function hybridIso(): string {
  const root = join(lab.dir, 'iso-root');
  mkdirSync(join(root, '.disk'), { recursive: true });
  mkdirSync(join(root, 'boot', 'grub'), { recursive: true });
  // gcdx64.efi finds its disc by /.disk/info and reads /boot/grub/grub.cfg from ISO 9660.
  writeFileSync(join(root, '.disk', 'info'), 'EMT flash boot test\n');
  writeFileSync(join(root, 'boot', 'grub', 'grub.cfg'), `set timeout=0\necho ${MARKER}\nsleep 1\nhalt\n`);
  const efi = join(lab.dir, 'efi.img');
  execFileSync('mkfs.fat', ['-C', efi, '4096'], { stdio: 'ignore' });
  execFileSync('mmd', ['-i', efi, '::/EFI', '::/EFI/BOOT']);
  execFileSync('mcopy', ['-i', efi, '/usr/lib/grub/x86_64-efi/monolithic/gcdx64.efi', '::/EFI/BOOT/BOOTX64.EFI']);
  const iso = join(lab.dir, 'boot-test.iso');
  // An EFI System Partition appended to the MBR: what firmware looks for on a USB disk.
  execFileSync('xorriso', ['-as', 'mkisofs', '-R', '-J', '-V', 'EMTFLASH', '-o', iso, '-append_partition', '2', '0xef', efi, '-e', '--interval:appended_partition_2:all::', '-no-emul-boot', '-partition_offset', '16', root], {
    stdio: 'ignore',
  });
  return iso;
}

describe('a written stick boots', () => {
  it('boots a loop device written by the writer as a USB stick under UEFI', async () => {
    const iso = hybridIso();
    const { dev } = lab.loop('boot-stick.img', 64 << 20);
    const launch = await bundledWriterLaunch(join(lab.dir, 'writer.cjs'));
    const r = await writeTargets({ launch, source: await fromFile(iso), sourcePaths: [iso], targets: [dev], testTargets: [dev] });
    expect(r.targets[0]).toMatchObject({ ok: true, isVerified: true });
    const boot = await bootQemu({ name: 'flash-boot-uefi-usb', mode: 'uefi-usb', media: dev, markers: [MARKER], memoryMiB: 512, timeoutMs: 240_000 });
    expect(boot.failure).toBeNull();
    expect(boot.isBooted).toBe(true);
  });
});
