import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { locateKit } from '../../app/kit/locate-kit';
import { assertBooted, bootQemu, type BootMode } from './harness/boot-qemu';
import { loadFixture } from './harness/fixtures';

// Every CD and disk mode of the harness, on one hybrid ISO that xorriso makes from the kit's boot
// files (ISOLINUX for BIOS, GRUB for UEFI) and the plain fixture: proves the harness's command
// lines and the kit's files boot, independently of the ISO writer of app/formats/iso9660.

const ISOLINUX_CFG = `SERIAL 0 115200
DEFAULT fixture
PROMPT 0
TIMEOUT 1
LABEL fixture
  KERNEL /boot/vmlinuz
  INITRD /boot/initrd
  APPEND console=ttyS0 panic=-1 emt.platform=bios
`;

const GRUB_CFG = `serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=0
menuentry "fixture" {
  echo "EMT-HARNESS: grub starts the kernel"
  linux /boot/vmlinuz console=ttyS0 panic=-1 emt.platform=efi
  initrd /boot/initrd
}
`;

let dir: string;
let iso: string;

function sh(script: string, ...args: string[]): void {
  const r = spawnSync('sh', ['-euc', script, 'sh', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${script}: ${r.stderr}`);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emt-modes-'));
  const kit = await locateKit();
  const plain = await loadFixture('plain');
  const root = join(dir, 'root');
  for (const d of ['isolinux', 'boot/grub', '.disk']) await mkdir(join(root, d), { recursive: true });
  await copyFile(kit.files.isolinuxBin, join(root, 'isolinux/isolinux.bin'));
  await copyFile(kit.files.ldlinuxC32, join(root, 'isolinux/ldlinux.c32'));
  await writeFile(join(root, 'isolinux/isolinux.cfg'), ISOLINUX_CFG);
  await writeFile(join(root, 'boot/grub/grub.cfg'), GRUB_CFG);
  await writeFile(join(root, '.disk/info'), 'EMT harness test disc\n');
  await copyFile(plain.vmlinuz, join(root, 'boot/vmlinuz'));
  await copyFile(plain.initramfs, join(root, 'boot/initrd'));
  const efi = join(root, 'efiboot.img');
  sh('mkfs.fat -C "$1" 8192 >/dev/null && mmd -i "$1" ::/EFI ::/EFI/BOOT && mcopy -i "$1" "$2" ::/EFI/BOOT/BOOTX64.EFI', efi, kit.files.uefiGrub);
  iso = join(dir, 'test.iso');
  sh(
    'xorriso -as mkisofs -quiet -o "$1" -R -J -V EMT_TEST -isohybrid-mbr "$2" ' +
      '-b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table ' +
      '-eltorito-alt-boot -e efiboot.img -no-emul-boot -isohybrid-gpt-basdat "$3"',
    iso,
    kit.files.isohdpfxBin,
    root,
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const CASES: { mode: BootMode; platform: 'bios' | 'efi' }[] = [
  { mode: 'bios-cd', platform: 'bios' },
  { mode: 'bios-disk', platform: 'bios' },
  { mode: 'uefi-cd', platform: 'efi' },
  { mode: 'uefi-usb', platform: 'efi' },
];

describe('harness boot modes with a hybrid ISO made from the kit', () => {
  it.each(CASES)('$mode boots through $platform to the fixture', async ({ mode, platform }) => {
    const r = await bootQemu({
      name: `harness-mode-${mode}`,
      mode,
      media: iso,
      memoryMiB: 512,
      markers: [...(platform === 'efi' ? ['EMT-HARNESS: grub starts the kernel'] : []), `emt.platform=${platform}`, 'EMT-FIXTURE: init', 'EMT-FIXTURE: done'],
      timeoutMs: 300_000,
    });
    console.log(`${mode}: booted to done in ${(r.durationMs / 1000).toFixed(1)} s`);
    assertBooted(r);
  });
});
