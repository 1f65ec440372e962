import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { EmtError } from '../errors';
import { openRandomAccess } from '../formats/byte-source';
import { readKitManifest, sha256OfFile, verifyKitFiles, type KitManifest } from './kit-manifest';
import { MACHINE_X86_64, readPeSignature } from './pe-signature';
import type { Signer } from './authenticode';
import type { BootChainInfo } from '../contract/build';

/**
 * A signed boot chain the user supplies for Secure Boot (`--boot-chain DIR`): shim as
 * `BOOTX64.EFI`, the GRUB it loads as `grubx64.efi`, optionally MokManager as `mmx64.efi`
 * (shim's own file names: it loads `grubx64.efi` and `mmx64.efi` from its own folder). Names are
 * matched without regard to case, as on the FAT file system they come from.
 */

export interface BootChainFile {
  /** Absolute path as found on disk (its case may differ from the canonical name). */
  path: string;
  /** The canonical name on the media: BOOTX64.EFI, grubx64.efi or mmx64.efi. */
  name: string;
  size: number;
  sha256: string;
  /** True when the PE file carries an Authenticode signature (not verified here). */
  isSigned: boolean;
  signers: Signer[];
}

export interface BootChain {
  dir: string;
  shim: BootChainFile;
  grub: BootChainFile;
  mokManager: BootChainFile | null;
  /** The folder's kit.json when it has one (a chain made by `npm run kit`); its hashes were checked. */
  manifest: KitManifest | null;
  /** Both shim and GRUB carry a signature: the chain can boot with Secure Boot on if the keys match. */
  isSigned: boolean;
}

const MAX_EFI_SIZE = 64 << 20;

export async function readBootChain(dir: string): Promise<BootChain> {
  const abs = resolve(dir);
  let names: string[];
  try {
    if (!(await stat(abs)).isDirectory()) throw new Error('not a directory');
    names = await readdir(abs);
  } catch {
    throw new EmtError('E_BOOT_CHAIN_MISSING', `The boot chain folder ${abs} does not exist or is not a folder.`, 'Choose the folder that holds BOOTX64.EFI (shim) and grubx64.efi (signed GRUB).', {
      details: { dir: abs },
    });
  }
  const manifest = await readKitManifest(abs, 'boot-chain');
  if (manifest) await verifyKitFiles(abs, manifest);
  const find = (name: string) => names.find((n) => n.toLowerCase() === name.toLowerCase());
  const required = async (name: string, what: string): Promise<BootChainFile> => {
    const found = find(name);
    if (!found) {
      throw new EmtError('E_BOOT_CHAIN_MISSING', `The boot chain folder ${abs} has no ${name} (${what}).`, `Put ${what} into the folder as ${name}; shim looks for grubx64.efi next to itself.`, {
        details: { dir: abs, file: name },
      });
    }
    return readEfi(join(abs, found), name);
  };
  const shim = await required('BOOTX64.EFI', 'the shim boot loader');
  const grub = await required('grubx64.efi', 'the signed GRUB that shim starts');
  const mm = find('mmx64.efi');
  const mokManager = mm ? await readEfi(join(abs, mm), 'mmx64.efi') : null;
  return { dir: abs, shim, grub, mokManager, manifest, isSigned: shim.isSigned && grub.isSigned };
}

async function readEfi(path: string, name: string): Promise<BootChainFile> {
  const st = await stat(path);
  if (!st.isFile() || st.size > MAX_EFI_SIZE) {
    throw new EmtError('E_PE_INVALID', `${path} is not an EFI program (${st.isFile() ? `${st.size} bytes is too large` : 'not a file'}).`, 'Choose the .efi file itself.', {
      details: { file: path },
    });
  }
  const ra = await openRandomAccess(path);
  try {
    const pe = await readPeSignature(ra, path);
    if (pe.machine !== MACHINE_X86_64) {
      throw new EmtError('E_BOOT_CHAIN_ARCH', `${path} is not built for x86_64 (COFF machine 0x${pe.machine.toString(16)}).`, 'Use the x64 files (shimx64.efi, grubx64.efi); the Bootkit runs on x86_64 only.', {
        details: { file: path, machine: pe.machine },
      });
    }
    return { path, name, size: st.size, sha256: await sha256OfFile(path), isSigned: pe.isSigned, signers: pe.signers };
  } finally {
    await ra.close();
  }
}

/** The chain as the UI and the check report it: every file with its signers, and where the files came from. */
export function describeBootChain(chain: BootChain): BootChainInfo {
  const files = [chain.shim, chain.grub, ...(chain.mokManager ? [chain.mokManager] : [])];
  return {
    dir: chain.dir,
    files: files.map((f) => ({ name: f.name, path: f.path, size: f.size, sha256: f.sha256, isSigned: f.isSigned, signers: f.signers.map((s) => ({ subject: s.subject, issuer: s.issuer })) })),
    isSigned: chain.isSigned,
    packages: (chain.manifest?.packages ?? []).map((p) => ({ name: p.name, version: p.version })),
  };
}
