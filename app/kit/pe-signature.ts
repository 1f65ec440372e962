import type { RandomAccess } from '../formats/byte-source';
import { EmtError } from '../errors';
import { authenticodeSigners, type Signer } from './authenticode';

/**
 * Just enough of PE/COFF to tell whether an EFI binary (shim, GRUB, a signed kernel) carries an
 * Authenticode signature, and by whom. It does not verify the signature: the firmware does that.
 */

export interface PeSignatureInfo {
  /** COFF machine (PE/COFF §3.3.1): 0x8664 x86_64, 0x14c i386, 0xaa64 arm64. */
  machine: number;
  isPe32Plus: boolean;
  /** True when the certificate table holds at least one PKCS#7 SignedData entry. */
  isSigned: boolean;
  /** Certificates that signed it (subject and issuer common names), in table order. */
  signers: Signer[];
}

export const MACHINE_X86_64 = 0x8664;

// PE/COFF §4.7: WIN_CERTIFICATE revision 2.0, type PKCS_SIGNED_DATA.
const WIN_CERT_REVISION_2_0 = 0x0200;
const WIN_CERT_TYPE_PKCS_SIGNED_DATA = 0x0002;
const CERT_TABLE_INDEX = 4;
const MAX_CERT_TABLE = 1 << 20;

export async function readPeSignature(ra: RandomAccess, name: string): Promise<PeSignatureInfo> {
  const head = await ra.read(0, Math.min(ra.size, 4096));
  if (head.length < 64 || head.readUInt16LE(0) !== 0x5a4d) throw notPe(name, 'it does not start with "MZ"');
  // PE/COFF §3: e_lfanew at 0x3c points at "PE\0\0", then the 20-byte COFF header.
  const pe = head.readUInt32LE(0x3c);
  if (pe + 24 + 2 > head.length || head.readUInt32LE(pe) !== 0x00004550) throw notPe(name, 'it has no PE signature');
  const machine = head.readUInt16LE(pe + 4);
  const optSize = head.readUInt16LE(pe + 20);
  const opt = pe + 24;
  const magic = head.readUInt16LE(opt);
  if (magic !== 0x10b && magic !== 0x20b) throw notPe(name, `its optional header magic is 0x${magic.toString(16)}`);
  const isPe32Plus = magic === 0x20b;
  // PE/COFF §3.4: NumberOfRvaAndSizes then the data directories, at different offsets for PE32/PE32+.
  const countAt = opt + (isPe32Plus ? 108 : 92);
  const dirsAt = opt + (isPe32Plus ? 112 : 96);
  if (countAt + 4 > Math.min(head.length, opt + optSize)) throw notPe(name, 'its optional header is cut short');
  const dirCount = head.readUInt32LE(countAt);
  let tableOffset = 0;
  let tableSize = 0;
  if (dirCount > CERT_TABLE_INDEX && dirsAt + CERT_TABLE_INDEX * 8 + 8 <= head.length) {
    // The certificate table's "RVA" is a file offset (PE/COFF §4.7).
    tableOffset = head.readUInt32LE(dirsAt + CERT_TABLE_INDEX * 8);
    tableSize = head.readUInt32LE(dirsAt + CERT_TABLE_INDEX * 8 + 4);
  }
  if (tableSize === 0 || tableOffset === 0) return { machine, isPe32Plus, isSigned: false, signers: [] };
  if (tableOffset + tableSize > ra.size || tableSize > MAX_CERT_TABLE) {
    throw notPe(name, `its certificate table (${tableSize} bytes at ${tableOffset}) lies outside the ${ra.size}-byte file`);
  }
  const table = await ra.read(tableOffset, tableSize);
  const signers: Signer[] = [];
  let isSigned = false;
  for (let off = 0; off + 8 <= table.length; ) {
    const length = table.readUInt32LE(off);
    if (length < 8 || off + length > table.length) break;
    const revision = table.readUInt16LE(off + 4);
    const type = table.readUInt16LE(off + 6);
    if (revision === WIN_CERT_REVISION_2_0 && type === WIN_CERT_TYPE_PKCS_SIGNED_DATA) {
      isSigned = true;
      signers.push(...authenticodeSigners(table.subarray(off + 8, off + length)));
    }
    off += (length + 7) & ~7; // entries are quadword-aligned
  }
  return { machine, isPe32Plus, isSigned, signers };
}

function notPe(name: string, why: string): EmtError {
  return new EmtError('E_PE_INVALID', `${name} is not an EFI program: ${why}.`, 'Choose the .efi file itself (for example shimx64.efi.signed copied as BOOTX64.EFI), not an archive or a text file.', {
    details: { file: name },
  });
}
