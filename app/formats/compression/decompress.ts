import { EmtError } from '../../errors';
import { ByteReader } from './byte-reader';
import { detectCompression, isDecodable, MAGIC_LENGTH, type DecodableCompression } from './detect';
import { gunzip, inflateGzipMember, type GzipHeader } from './gzip-decode';
import { decodeLz4Legacy, unlz4Legacy } from './lz4-legacy';
import { decodeXzStream, unxz, type XzStreamInfo } from './xz';
import { decodeZstdFrame, unzstd, type ZstdFrameInfo } from './zstd';

/** Header facts a member decoder reports before its first output (for kernel compatibility notes). */
export type MemberInfo = ({ kind: 'gzip' } & GzipHeader) | ({ kind: 'xz' } & XzStreamInfo) | ({ kind: 'zstd' } & ZstdFrameInfo) | { kind: 'lz4-legacy'; offset: number };

/**
 * Decodes one compressed member (gzip member, xz stream, zstd frame, lz4 legacy stream) of the
 * given kind from `reader`, leaving the reader on the first byte after it: the unit the kernel
 * decodes per initramfs segment.
 */
export function decodeMember(reader: ByteReader, kind: DecodableCompression, onInfo?: (info: MemberInfo) => void): AsyncGenerator<Buffer, void, undefined> {
  switch (kind) {
    case 'gzip':
      return inflateGzipMember(reader, (h) => onInfo?.({ kind, ...h }));
    case 'xz':
      return decodeXzStream(reader, (s) => onInfo?.({ kind, ...s }));
    case 'zstd':
      return decodeZstdFrame(reader, (f) => onInfo?.({ kind, ...f }));
    case 'lz4-legacy':
      onInfo?.({ kind, offset: reader.position });
      return decodeLz4Legacy(reader);
  }
}

/**
 * Decompresses a whole stream whose format is recognised by its magic (gzip, xz, zstd, lz4
 * legacy), as the format's own tool would with `-d`; data without a known magic passes through
 * unchanged. Use it for a `.tar.gz`/`.tar.zst` read from anywhere (a file, an HTTP body, a cpio
 * entry being streamed).
 */
export async function* decompress(input: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer, void, undefined> {
  const reader = ByteReader.fromIterable(input);
  const head = await reader.peek(MAGIC_LENGTH);
  const kind = detectCompression(head);
  const rest = drain(reader);
  if (kind === null) {
    yield* rest;
    return;
  }
  if (!isDecodable(kind)) {
    await reader.close();
    throw new EmtError('E_COMPRESSION_UNSUPPORTED', `The data is compressed with ${kind}, which this tool cannot read.`, 'Recompress it with gzip, xz or zstd.', {
      details: { compression: kind },
    });
  }
  const decoders = { gzip: gunzip, xz: unxz, zstd: unzstd, 'lz4-legacy': unlz4Legacy };
  yield* decoders[kind](rest);
}

async function* drain(reader: ByteReader): AsyncGenerator<Buffer, void, undefined> {
  try {
    for (;;) {
      const c = await reader.chunk();
      if (!c) return;
      yield c;
    }
  } finally {
    await reader.close();
  }
}
