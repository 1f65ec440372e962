/**
 * Compression formats, recognised by their magic bytes. The table follows the kernel's initramfs
 * decompressor table (lib/decompress.c), plus the lz4 frame format, which the kernel rejects but
 * which `lz4` writes unless told `-l`.
 */
export type Compression = 'gzip' | 'xz' | 'zstd' | 'lz4-legacy' | 'bzip2' | 'lzma' | 'lzo' | 'lz4-frame';

/** The formats this module can decode. */
export type DecodableCompression = 'gzip' | 'xz' | 'zstd' | 'lz4-legacy';

/** How many leading bytes `detectCompression` looks at. */
export const MAGIC_LENGTH = 6;

const MAGICS: ReadonlyArray<readonly [Compression, readonly number[]]> = [
  // RFC 1952 §2.3.1: ID1 ID2 CM=8 (deflate). The kernel's gunzip requires CM 8 as well.
  ['gzip', [0x1f, 0x8b, 0x08]],
  // xz file format 1.2.0 §2.1.1.1: header magic.
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  // RFC 8878 §3.1.1: frame magic 0xFD2FB528 little-endian.
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  // lz4 legacy frame: magic 0x184C2102 little-endian (lz4 frame spec, "Legacy frame").
  ['lz4-legacy', [0x02, 0x21, 0x4c, 0x18]],
  // lz4 frame format 0x184D2204: the kernel does not accept it for an initramfs.
  ['lz4-frame', [0x04, 0x22, 0x4d, 0x18]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  // lzma "alone": properties byte 0x5d and a little-endian dictionary size whose first byte is 0.
  ['lzma', [0x5d, 0x00, 0x00]],
  ['lzo', [0x89, 0x4c, 0x5a, 0x4f]],
];

/** The compression whose magic `head` starts with, or null. */
export function detectCompression(head: Uint8Array): Compression | null {
  for (const [kind, magic] of MAGICS) {
    if (head.length >= magic.length && magic.every((b, i) => head[i] === b)) return kind;
  }
  return null;
}

export function isDecodable(kind: Compression): kind is DecodableCompression {
  return kind === 'gzip' || kind === 'xz' || kind === 'zstd' || kind === 'lz4-legacy';
}
