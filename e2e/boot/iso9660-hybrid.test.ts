import { copyFileSync, openSync, readFileSync, closeSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { fromBuffer, fromFile } from '../../app/formats/byte-source';
import { makeEsp, tempDir, writeSource } from '../../app/formats/iso9660/test-support';
import { isoImage } from '../../app/formats/iso9660/writer';
import { assertBooted, bootQemu, type BootMode } from './harness/boot-qemu';

// Real boots of a hybrid ISO made by app/formats/iso9660 (no xorriso): ISOLINUX from a BIOS CD (El
// Torito + boot info table) and a BIOS disk (isohdpfx.bin in the protective MBR), GRUB's gcdx64.efi
// from a UEFI CD (El Torito 0xEF entry) and a UEFI USB stick; and the GPT ESP alone, with El Torito
// hidden, to prove partition 2 boots by itself.

const BIOS_MARK = 'EMT-ISO9660: isolinux read a file from ISO 9660';
const UEFI_MARK = 'EMT-ISO9660: grub read grub.cfg from ISO 9660';

const tmp = tempDir('emt-iso-boot-');
let iso: string;
let noElTorito: string;

beforeAll(async () => {
  const esp = makeEsp(tmp.path, 6144, { 'EFI/BOOT/BOOTX64.EFI': { from: '/usr/lib/grub/x86_64-efi/monolithic/gcdx64.efi' } });
  // ISOLINUX prints SAY lines before its serial console is up, so the marker comes from cat.c32
  // printing a file of the ISO; ISOLINUX then waits at its prompt and the harness ends QEMU.
  const isolinuxCfg = 'SERIAL 0 115200\nDEFAULT show\nLABEL show\n  COM32 cat.c32\n  APPEND /isolinux/marker.txt\n';
  // Debian ships isolinux.bin with a boot info table filled in for LBA 0: scramble it, so that only
  // the table our writer patches in can make ISOLINUX find itself.
  const isolinuxBin = readFileSync('/usr/lib/ISOLINUX/isolinux.bin');
  isolinuxBin.fill(0xaa, 8, 64);
  const bios = (name: string) => fromFile(`/usr/lib/syslinux/modules/bios/${name}`);
  const { source } = await isoImage({
    volumeId: 'EMT_BOOT_TEST',
    date: new Date(Date.UTC(2025, 6, 10)),
    entries: [
      { kind: 'file', path: '/isolinux/isolinux.bin', content: fromBuffer(isolinuxBin) },
      { kind: 'file', path: '/isolinux/ldlinux.c32', content: await bios('ldlinux.c32') },
      { kind: 'file', path: '/isolinux/libcom32.c32', content: await bios('libcom32.c32') },
      { kind: 'file', path: '/isolinux/cat.c32', content: await bios('cat.c32') },
      { kind: 'file', path: '/isolinux/isolinux.cfg', content: fromBuffer(Buffer.from(isolinuxCfg)) },
      { kind: 'file', path: '/isolinux/marker.txt', content: fromBuffer(Buffer.from(`${BIOS_MARK}\n`)) },
      // gcdx64.efi finds the medium by this file, then reads /boot/grub/grub.cfg from ISO 9660.
      { kind: 'file', path: '/.disk/info', content: fromBuffer(Buffer.from('EMT boot test\n')) },
      { kind: 'file', path: '/boot/grub/grub.cfg', content: fromBuffer(Buffer.from(`echo "${UEFI_MARK}"\nhalt\n`)) },
    ],
    boot: { bios: { path: '/isolinux/isolinux.bin' }, efi: { image: await fromFile(esp), path: '/boot/efi.img' } },
    hybrid: { mbrCode: readFileSync('/usr/lib/ISOLINUX/isohdpfx.bin'), guidSeed: 'boot-test' },
  });
  iso = join(tmp.path, 'hybrid.iso');
  await writeSource(source, iso);
  // Same image with the El Torito boot record renamed: firmware no longer sees El Torito, while the
  // volume descriptor chain that GRUB walks stays intact.
  noElTorito = join(tmp.path, 'no-el-torito.iso');
  copyFileSync(iso, noElTorito);
  const fd = openSync(noElTorito, 'r+');
  writeSync(fd, Buffer.from('X'), 0, 1, 17 * 2048 + 7);
  closeSync(fd);
});

afterAll(() => tmp.remove());

const boots: [string, BootMode, () => string, string][] = [
  ['BIOS from CD (El Torito, boot info table)', 'bios-cd', () => iso, BIOS_MARK],
  ['BIOS from disk (isohdpfx.bin in the protective MBR)', 'bios-disk', () => iso, BIOS_MARK],
  ['UEFI from CD (El Torito 0xEF entry)', 'uefi-cd', () => iso, UEFI_MARK],
  ['UEFI from a USB stick', 'uefi-usb', () => iso, UEFI_MARK],
  ['UEFI from a USB stick through GPT partition 2 alone', 'uefi-usb', () => noElTorito, UEFI_MARK],
];

describe('hybrid ISO boots', () => {
  it.each(boots)('%s', async (name, mode, media, marker) => {
    const r = await bootQemu({
      name: `iso9660-${name.replace(/\W+/g, '-').toLowerCase()}`,
      mode,
      media: media(),
      markers: [marker],
      memoryMiB: 512,
      timeoutMs: 240_000,
      exitGraceMs: 3_000,
    });
    assertBooted(r);
  });
});
