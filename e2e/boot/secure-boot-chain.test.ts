import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBootChain } from '../../app/kit/boot-chain';
import { locateKit } from '../../app/kit/locate-kit';
import { assertBooted, bootQemu } from './harness/boot-qemu';
import { loadFixture, type Fixture } from './harness/fixtures';

// The kit's Debian signed chain and the fixture's Debian-signed kernel under OVMF with Secure Boot
// on (Microsoft keys enrolled), and the kit's unsigned GRUB refused there but booting without
// Secure Boot. The stick is a GPT disk with one FAT ESP, made with sgdisk, mkfs.fat and mtools:
// no ISO writer of ours is involved, so this tests the kit and the harness's UEFI modes alone.

const GRUB_CFG = `serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=0
menuentry "fixture" {
  echo "EMT-HARNESS: grub starts the kernel"
  linux /boot/vmlinuz console=ttyS0 panic=-1
  initrd /boot/initrd
}
`;

let dir: string;
let plain: Fixture;

function sh(script: string, ...args: string[]): void {
  const r = spawnSync('sh', ['-euc', script, 'sh', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${script}: ${r.stderr}`);
}

/** A 48 MiB GPT stick whose ESP (from 1 MiB) holds EFI/BOOT/{BOOTX64.EFI,grubx64.efi}, /.disk/info and /boot. */
async function makeStick(name: string, bootx64: string, grubx64: string | null): Promise<string> {
  const stick = join(dir, `${name}.img`);
  const esp = join(dir, `${name}-esp.img`);
  const cfg = join(dir, 'grub.cfg');
  const info = join(dir, 'info');
  await writeFile(cfg, GRUB_CFG);
  // gcdx64.efi finds its disc by this file (reference/iso-boot-formats.md §3.1).
  await writeFile(info, 'EMT harness test stick\n');
  sh('truncate -s 48M "$1" && sgdisk -n 1:2048:0 -t 1:ef00 "$1" >/dev/null', stick);
  sh('mkfs.fat -C "$1" 45056 >/dev/null', esp);
  sh('mmd -i "$1" ::/EFI ::/EFI/BOOT ::/.disk ::/boot ::/boot/grub', esp);
  sh('mcopy -i "$1" "$2" ::/EFI/BOOT/BOOTX64.EFI', esp, bootx64);
  if (grubx64) sh('mcopy -i "$1" "$2" ::/EFI/BOOT/grubx64.efi', esp, grubx64);
  sh('mcopy -i "$1" "$2" ::/.disk/info && mcopy -i "$1" "$3" ::/boot/grub/grub.cfg', esp, info, cfg);
  sh('mcopy -i "$1" "$2" ::/boot/vmlinuz && mcopy -i "$1" "$3" ::/boot/initrd', esp, plain.vmlinuz, plain.initramfs);
  sh('dd if="$1" of="$2" bs=1M seek=1 conv=notrunc status=none', esp, stick);
  return stick;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emt-sb-'));
  plain = await loadFixture('plain');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Secure Boot with the kit', () => {
  it('boots the Debian signed chain and the signed fixture kernel with Secure Boot on', async () => {
    const kit = await locateKit();
    const chain = await readBootChain(join(kit.dir, 'signed-chain-debian'));
    expect(chain.isSigned).toBe(true);
    const stick = await makeStick('signed', chain.shim.path, chain.grub.path);
    const r = await bootQemu({
      name: 'kit-secureboot-signed-chain',
      mode: 'uefi-secureboot-usb',
      media: stick,
      memoryMiB: 1024,
      markers: ['EMT-HARNESS: grub starts the kernel', 'Secure boot enabled', 'EMT-FIXTURE: init', 'EMT-FIXTURE: done'],
      timeoutMs: 300_000,
    });
    console.log(`Secure Boot, signed chain: booted to done in ${(r.durationMs / 1000).toFixed(1)} s`);
    assertBooted(r);
  });

  it('has the firmware refuse the unsigned GRUB with Secure Boot on', async () => {
    const kit = await locateKit();
    const stick = await makeStick('unsigned-sb', kit.files.uefiGrub, null);
    const r = await bootQemu({
      name: 'kit-secureboot-unsigned-grub',
      mode: 'uefi-secureboot-usb',
      media: stick,
      markers: ['Access Denied'],
      failOn: ['EMT-HARNESS: grub starts the kernel'],
      exitGraceMs: 0,
      timeoutMs: 300_000,
    });
    console.log(`Secure Boot, unsigned GRUB: refused after ${(r.durationMs / 1000).toFixed(1)} s`);
    assertBooted(r);
  });

  it('boots the unsigned GRUB for CDs from a stick without Secure Boot', async () => {
    const kit = await locateKit();
    const stick = await makeStick('unsigned', kit.files.uefiGrub, null);
    const r = await bootQemu({
      name: 'kit-uefi-usb-unsigned-grub',
      mode: 'uefi-usb',
      media: stick,
      markers: ['EMT-HARNESS: grub starts the kernel', 'EMT-FIXTURE: init', 'EMT-FIXTURE: done'],
      timeoutMs: 300_000,
    });
    console.log(`UEFI stick, unsigned GRUB: booted to done in ${(r.durationMs / 1000).toFixed(1)} s`);
    assertBooted(r);
    expect(r.log).not.toContain('Secure boot enabled');
  });
});
