import { createHash } from 'node:crypto';
import { EmtError } from '../../errors';

/**
 * GUIDs as GPT stores them. Text form is the usual `C12A7328-F81F-11D2-BA4B-00A0C93EC93B`; on disk the
 * first three fields are little-endian and the last two are byte strings (UEFI 2.10 Appendix A,
 * "EFI_GUID"), so the ESP type starts `28 73 2A C1` on disk.
 */
export const GPT_TYPE = {
  efiSystem: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
  microsoftBasicData: 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7',
  linuxFilesystem: '0FC63DAF-8483-4772-8E79-3D69D8477DE4',
} as const;

const GUID_TEXT = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;

/** Upper-case canonical text form; throws on anything that is not a GUID. */
export function normalizeGuid(text: string): string {
  const t = text.toUpperCase();
  if (!GUID_TEXT.test(t)) {
    throw new EmtError('E_GPT_GUID', `"${text}" is not a GUID.`, 'Write it as 8-4-4-4-12 hexadecimal digits, e.g. C12A7328-F81F-11D2-BA4B-00A0C93EC93B.');
  }
  return t;
}

/** The 16 on-disk bytes of a GUID (mixed endian). */
export function guidToBytes(text: string): Buffer {
  const hex = normalizeGuid(text).replace(/-/g, '');
  const b = Buffer.from(hex, 'hex');
  // Fields 1-3 are stored little-endian: reverse them in place.
  b.subarray(0, 4).reverse();
  b.subarray(4, 6).reverse();
  b.subarray(6, 8).reverse();
  return b;
}

/** Text form of 16 on-disk GUID bytes. */
export function guidFromBytes(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.subarray(0, 16));
  b.subarray(0, 4).reverse();
  b.subarray(4, 6).reverse();
  b.subarray(6, 8).reverse();
  const h = b.toString('hex').toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * A GUID derived from a seed and a purpose ("disk", "partition 2"), so that the same build inputs give
 * the same disk (reproducible images). The hash is shaped as an RFC 9562 version-4 / variant-1 UUID, as
 * systemd-repart does for its derived partition UUIDs, so that tools that check the form accept it.
 */
export function derivedGuid(seed: string, purpose: string): string {
  const h = createHash('sha256').update(seed).update('\0').update(purpose).digest();
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex').toUpperCase();
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** A 32-bit MBR disk signature derived from a seed (reproducible images). */
export function derivedDiskSignature(seed: string): number {
  return createHash('sha256').update(seed).update('\0mbr-signature').digest().readUInt32LE(0);
}
