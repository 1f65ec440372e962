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
  /**
   * Where the bytes come from, for a reader that can open files itself (the privileged writer
   * composing a stick from the release and OS image files instead of receiving every byte). A
   * source without it is opaque: one `bytes` extent (see runsOf).
   */
  runs?(): ByteRun[];
}

/** A run of a source's bytes: a region of a file, zeros, or bytes only the source can produce. */
export type ByteRun =
  | {
      kind: 'file';
      length: number;
      path: string;
      /** Offset in the file. */
      at: number;
      /** The file as it was when the source was made: a reader refuses it if it changed since. */
      stamp: FileStamp;
      /** A check of the file's content that must pass before the bytes count as written. */
      check?: (signal?: AbortSignal) => Promise<void>;
    }
  | { kind: 'zeros'; length: number }
  | { kind: 'bytes'; length: number; source: ByteSource };

export interface FileStamp {
  size: number;
  mtimeMs: number;
}

/** The runs of any source: its own, or itself as one opaque run of bytes. */
export function runsOf(src: ByteSource): ByteRun[] {
  if (src.size === 0) return [];
  return src.runs ? src.runs() : [{ kind: 'bytes', length: src.size, source: src }];
}

/** The runs covering bytes [start, end) of a list of runs. */
export function sliceRuns(runs: readonly ByteRun[], start: number, end: number): ByteRun[] {
  const out: ByteRun[] = [];
  let pos = 0;
  for (const e of runs) {
    const from = Math.max(start - pos, 0);
    const to = Math.min(end - pos, e.length);
    if (to > from) {
      if (from === 0 && to === e.length) out.push(e);
      else if (e.kind === 'file') out.push({ ...e, at: e.at + from, length: to - from });
      else if (e.kind === 'zeros') out.push({ kind: 'zeros', length: to - from });
      else out.push({ kind: 'bytes', length: to - from, source: sliceOf(e.source, from, to) });
    }
    pos += e.length;
    if (pos >= end) break;
  }
  return out;
}

/** Bytes [start, end) of a source, streamed by reading the source from its beginning. */
export function sliceOf(src: ByteSource, start: number, end: number): ByteSource {
  return {
    size: end - start,
    async *stream(signal) {
      let pos = 0;
      for await (const chunk of src.stream(signal)) {
        const from = Math.max(start - pos, 0);
        const to = Math.min(end - pos, chunk.length);
        if (to > from) yield chunk.subarray(from, to);
        pos += chunk.length;
        if (pos >= end) return;
      }
    },
    runs: () => sliceRuns(runsOf(src), start, end),
  };
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
    runs: () => (size > 0 ? [{ kind: 'zeros', length: size }] : []),
    async *stream() {
      const z = Buffer.alloc(Math.min(CHUNK, size));
      for (let left = size; left > 0; left -= z.length) yield left >= z.length ? z : z.subarray(0, left);
    },
  };
}

/**
 * A file whose size is taken now; streaming fails if the file changed size in between. With a
 * `stamp` (the size and time the file had when something was learnt of it: a hash), the file must
 * have it now and still have it after each stream, or `changed()` is thrown.
 */
export async function fromFile(path: string, options: { stamp?: FileStamp; changed?: () => Error; check?: (signal?: AbortSignal) => Promise<void> } = {}): Promise<ByteSource> {
  const st = await stat(path);
  const size = st.size;
  const stamp = options.stamp ?? { size, mtimeMs: st.mtimeMs };
  const changed = () => options.changed?.() ?? new Error(`${path} changed while it was being read`);
  const isStamped = async () => {
    const now = await stat(path);
    return now.size === stamp.size && now.mtimeMs === stamp.mtimeMs;
  };
  if (options.stamp && (size !== stamp.size || st.mtimeMs !== stamp.mtimeMs)) throw changed();
  return {
    size,
    runs: () => (size > 0 ? [{ kind: 'file', length: size, path, at: 0, stamp, ...(options.check ? { check: options.check } : {}) }] : []),
    async *stream(signal) {
      let seen = 0;
      for await (const chunk of createReadStream(path, { highWaterMark: CHUNK, signal })) {
        const c = chunk as Buffer;
        seen += c.length;
        if (seen > size) break;
        yield c;
      }
      if (seen !== size) throw new Error(`${path} changed size while it was being read (${size} -> ${seen} bytes)`);
      if (options.stamp && !(await isStamped())) throw changed();
    },
  };
}

/** Concatenation of sources, in order. */
export function concat(parts: readonly ByteSource[]): ByteSource {
  return {
    size: parts.reduce((n, p) => n + p.size, 0),
    runs: () => parts.flatMap(runsOf),
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
