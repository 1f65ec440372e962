import { fromFile } from '../formats/byte-source';
import { fatImage, type FatImage } from '../formats/fat/fat-image';
import type { BootChain } from '../kit/boot-chain';
import type { BootKit } from '../kit/locate-kit';

/** The UEFI boot loader that goes into the EFI System Partition. */
export type EfiLoader = { kind: 'kit'; kit: BootKit } | { kind: 'chain'; chain: BootChain };

/**
 * The EFI System Partition image: only the boot loader lives there (`EFI/BOOT/BOOTX64.EFI`, and for
 * a shim chain `grubx64.efi` + `mmx64.efi` beside it, where shim looks for them). The kernel and
 * initrds stay on ISO 9660, where GRUB reads them, so the image stays a few MiB and El Torito can
 * describe it exactly.
 */
export async function buildEsp(loader: EfiLoader, date: Date): Promise<FatImage> {
  const files =
    loader.kind === 'kit'
      ? [{ path: 'EFI/BOOT/BOOTX64.EFI', content: await fromFile(loader.kit.files.uefiGrub) }]
      : [
          { path: 'EFI/BOOT/BOOTX64.EFI', content: await fromFile(loader.chain.shim.path) },
          { path: 'EFI/BOOT/grubx64.efi', content: await fromFile(loader.chain.grub.path) },
          ...(loader.chain.mokManager ? [{ path: 'EFI/BOOT/mmx64.efi', content: await fromFile(loader.chain.mokManager.path) }] : []),
        ];
  // The volume serial comes from the build date so that the same inputs give the same bytes.
  return fatImage({ label: 'EMT_EFI', volumeId: Math.floor(date.getTime() / 1000) >>> 0, files, mtime: date });
}
