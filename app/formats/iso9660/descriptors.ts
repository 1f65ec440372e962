import { BLOCK, recordDate, volumeDate, writeBoth16, writeBoth32, writePadded, writeUcs2Padded } from './encoding';

/** Volume descriptors (ECMA-119 §8): primary, Joliet supplementary, El Torito boot record, terminator. */

export interface VolumeFields {
  volumeId: string;
  systemId: string;
  publisherId: string;
  preparerId: string;
  applicationId: string;
  date: Date;
  volumeBlocks: number;
  pathTableSize: number;
  lPathLba: number;
  mPathLba: number;
  rootLba: number;
  rootBlocks: number;
}

function header(type: number): Buffer {
  const b = Buffer.alloc(BLOCK);
  b[0] = type;
  b.write('CD001', 1, 'latin1');
  b[6] = 1;
  return b;
}

/** ECMA-119 §8.4 (type 1) and Joliet's supplementary descriptor (type 2, UCS-2 strings, escape "%/E"). */
export function volumeDescriptor(f: VolumeFields, isJoliet: boolean): Buffer {
  const b = header(isJoliet ? 2 : 1);
  const text = isJoliet ? writeUcs2Padded : writePadded;
  text(b, 8, 32, f.systemId);
  text(b, 40, 32, f.volumeId);
  writeBoth32(b, 80, f.volumeBlocks);
  // Joliet: escape sequence for UCS-2 level 3 (full UCS-2 BMP) in the escape sequences field.
  if (isJoliet) b.write('%/E', 88, 'latin1');
  writeBoth16(b, 120, 1);
  writeBoth16(b, 124, 1);
  writeBoth16(b, 128, BLOCK);
  writeBoth32(b, 132, f.pathTableSize);
  b.writeUInt32LE(f.lPathLba, 140);
  b.writeUInt32BE(f.mPathLba, 148);
  // §8.4.18: the root directory record, 34 bytes, identifier 0x00.
  b[156] = 34;
  writeBoth32(b, 158, f.rootLba);
  writeBoth32(b, 166, f.rootBlocks * BLOCK);
  recordDate(f.date).copy(b, 174);
  b[181] = 0x02;
  writeBoth16(b, 184, 1);
  b[188] = 1;
  text(b, 190, 128, '');
  text(b, 318, 128, f.publisherId);
  text(b, 446, 128, f.preparerId);
  text(b, 574, 128, f.applicationId);
  text(b, 702, 37, '');
  text(b, 739, 37, '');
  text(b, 776, 37, '');
  volumeDate(f.date).copy(b, 813);
  volumeDate(f.date).copy(b, 830);
  volumeDate(null).copy(b, 847);
  volumeDate(f.date).copy(b, 864);
  b[881] = 1;
  return b;
}

/** El Torito 1.0 §2.0: boot record volume descriptor, which must be at LBA 17. */
export function bootRecord(catalogLba: number): Buffer {
  const b = header(0);
  b.write('EL TORITO SPECIFICATION', 7, 'latin1');
  b.writeUInt32LE(catalogLba, 71);
  return b;
}

/** ECMA-119 §8.3: volume descriptor set terminator. */
export const terminator = (): Buffer => header(255);
