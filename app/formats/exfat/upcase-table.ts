import { upcaseTable } from '../fat/upcase';

/**
 * exFAT §7.2.5: the up-case table a volume carries, in the compressed form of the recommended
 * table: mappings as 16-bit values, with long stretches of characters that map to themselves
 * written as 0xFFFF followed by their count. The recommended table compresses only its four
 * longest identity stretches (843 characters and more) and writes shorter ones out; compressing
 * stretches of 512 or more reproduces it byte for byte (5836 bytes, checksum E619D30D).
 */

const MIN_COMPRESSED_RUN = 512;

let compressed: Buffer | undefined;

export function upcaseTableBytes(): Buffer {
  if (compressed) return compressed;
  const map = upcaseTable();
  const words: number[] = [];
  for (let c = 0; c < map.length; ) {
    let run = 0;
    while (c + run < map.length && map[c + run] === c + run) run++;
    if (run >= MIN_COMPRESSED_RUN) {
      words.push(0xffff, run);
      c += run;
    } else {
      words.push(map[c]!);
      c++;
    }
  }
  const b = Buffer.alloc(words.length * 2);
  words.forEach((w, i) => b.writeUInt16LE(w, i * 2));
  compressed = b;
  return b;
}

/** exFAT §7.2.2: TableChecksum, a rotate-right-and-add sum over the table's bytes. */
export function tableChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum = (((sum & 1) << 31) | (sum >>> 1)) + b >>> 0;
  return sum;
}

