import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';

/**
 * Bytes of known length that can be streamed, as often as needed. Every image the engine makes
 * (FAT image, ISO, stick layout) is a ByteSource built from other ByteSources, so that nothing is
 * held whole in memory and the same composition can go to a file or to several sticks.
 */
export interface ByteSource {
  /** Exact length in bytes. */
  readonly size: number;
  /**
   * Yields exactly `size` bytes in order. Each call starts from the beginning. A chunk is never
   * changed after it is yielded: consumers may keep it (writes in flight, a hash worker's queue).
   */
  stream(signal?: AbortSignal): AsyncIterable<Buffer>;
}

/** Random access to bytes (a file, a block device, an image being inspected). */
export interface RandomAccess {
  readonly size: number;
  /** Reads exactly `length` bytes at `offset`; fails if they are not all there. */
  read(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

const CHUNK = 1 << 20;

export function fromBuffer(buf: Uint8Array): ByteSource {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return {
    size: b.length,
    async *stream() {
      for (let off = 0; off < b.length; off += CHUNK) yield b.subarray(off, Math.min(off + CHUNK, b.length));
    },
  };
}

export function zeros(size: number): ByteSource {
  return {
    size,
    async *stream() {
      const z = Buffer.alloc(Math.min(CHUNK, size));
      for (let left = size; left > 0; left -= z.length) yield left >= z.length ? z : z.subarray(0, left);
    },
  };
}

/** A file whose size is taken now; streaming fails if the file changed size in between. */
export async function fromFile(path: string): Promise<ByteSource> {
  const { size } = await stat(path);
  return {
    size,
    async *stream(signal) {
      let seen = 0;
      for await (const chunk of createReadStream(path, { highWaterMark: CHUNK, signal })) {
        const c = chunk as Buffer;
        seen += c.length;
        if (seen > size) break;
        yield c;
      }
      if (seen !== size) throw new Error(`${path} changed size while it was being read (${size} -> ${seen} bytes)`);
    },
  };
}

/** Concatenation of sources, in order. */
export function concat(parts: readonly ByteSource[]): ByteSource {
  return {
    size: parts.reduce((n, p) => n + p.size, 0),
    async *stream(signal) {
      for (const p of parts) yield* p.stream(signal);
    },
  };
}

/** Random access to a file or block device opened read-only. */
export async function openRandomAccess(path: string): Promise<RandomAccess> {
  const fh = await open(path, 'r');
  let size = (await fh.stat()).size;
  if (size === 0) {
    // Block devices report st_size 0: find the end by seeking through a read at the end.
    size = await blockDeviceSize(fh);
  }
  return {
    size,
    async read(offset, length) {
      const buf = Buffer.alloc(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
        if (bytesRead === 0) throw new Error(`short read at ${offset + got} of ${path} (size ${size})`);
        got += bytesRead;
      }
      return buf;
    },
    close: () => fh.close(),
  };
}

async function blockDeviceSize(fh: FileHandle): Promise<number> {
  // Binary search for the last readable byte; block devices do not report their size through stat.
  const one = Buffer.alloc(1);
  let lo = 0;
  let hi = 1;
  while ((await fh.read(one, 0, 1, hi - 1)).bytesRead === 1) {
    lo = hi;
    hi *= 2;
    if (hi > 2 ** 53) break;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if ((await fh.read(one, 0, 1, mid - 1)).bytesRead === 1) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Read a whole ByteSource into memory. Only for small things (boot loader files, configs). */
export async function readAll(src: ByteSource, limit = 64 << 20): Promise<Buffer> {
  if (src.size > limit) throw new Error(`refusing to buffer ${src.size} bytes in memory`);
  const parts: Buffer[] = [];
  for await (const c of src.stream()) parts.push(c);
  return Buffer.concat(parts);
}
