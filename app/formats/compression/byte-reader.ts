import type { RandomAccess } from '../byte-source';

/** Where a ByteReader takes its bytes from: the next chunk, and optionally a cheap way to skip. */
interface ChunkSource {
  next(): Promise<Buffer | null>;
  /** Skips up to `n` bytes without reading them; returns how many were skipped. */
  skip?(n: number): Promise<number>;
  close(): Promise<void>;
}

const EMPTY = Buffer.alloc(0);
const DEFAULT_CHUNK = 1 << 20;

/**
 * A pull reader over a chunked byte stream, shared by the cpio, tar and decompression readers. It
 * hands out views into the chunks it received (no copy unless a read spans two chunks), can give
 * bytes back (`unshift`, for decoders that learn only afterwards where their input ended) and skips
 * cheaply when the source is random access. Sources must not reuse the buffers they yield.
 */
export class ByteReader {
  private head: Buffer = EMPTY;
  private readonly pushedBack: Buffer[] = [];
  private pos: number;
  private isEnded = false;

  private constructor(
    private readonly source: ChunkSource,
    start: number,
  ) {
    this.pos = start;
  }

  /** Reads an async stream of chunks; positions count from 0. */
  static fromIterable(input: AsyncIterable<Uint8Array>): ByteReader {
    const it = input[Symbol.asyncIterator]();
    return new ByteReader(
      {
        async next() {
          for (;;) {
            const r = await it.next();
            if (r.done) return null;
            if (r.value.length > 0) return asBuffer(r.value);
          }
        },
        async close() {
          await it.return?.();
        },
      },
      0,
    );
  }

  /** Reads `ra` from `offset` to `end`; positions are offsets in `ra`, and skips cost no I/O. */
  static fromRandomAccess(ra: RandomAccess, offset = 0, end = ra.size, chunkSize = DEFAULT_CHUNK): ByteReader {
    let at = offset;
    return new ByteReader(
      {
        async next() {
          if (at >= end) return null;
          const n = Math.min(chunkSize, end - at);
          const b = await ra.read(at, n);
          at += n;
          return b;
        },
        async skip(n) {
          const k = Math.min(n, end - at);
          at += k;
          return k;
        },
        async close() {},
      },
      offset,
    );
  }

  /** Offset of the next unread byte (in the random-access source, or since the stream's start). */
  get position(): number {
    return this.pos;
  }

  /** Puts bytes back in front of the unread ones (they must be the bytes just read). */
  unshift(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.head.length > 0) this.pushedBack.push(this.head);
    this.head = bytes;
    this.pos -= bytes.length;
  }

  /** True when no byte is left. */
  async isAtEnd(): Promise<boolean> {
    return !(await this.fill());
  }

  /** Up to `max` bytes that are already at hand (at least one unless at the end), as a view. */
  async chunk(max = Infinity): Promise<Buffer | null> {
    if (!(await this.fill())) return null;
    const n = Math.min(max, this.head.length);
    const out = this.head.subarray(0, n);
    this.advance(n);
    return out;
  }

  /** Exactly `n` bytes, or fewer only when the input ends first. */
  async read(n: number): Promise<Buffer> {
    if (!(await this.fill())) return EMPTY;
    if (this.head.length >= n) {
      const out = this.head.subarray(0, n);
      this.advance(n);
      return out;
    }
    const parts: Buffer[] = [];
    let got = 0;
    while (got < n) {
      const c = await this.chunk(n - got);
      if (!c) break;
      parts.push(c);
      got += c.length;
    }
    return Buffer.concat(parts, got);
  }

  /** Up to `n` bytes without consuming them (fewer at the end of input). */
  async peek(n: number): Promise<Buffer> {
    const b = await this.read(n);
    this.unshift(b);
    return b;
  }

  /** Skips up to `n` bytes; returns how many were skipped (fewer only at the end of input). */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      if (this.head.length === 0 && this.pushedBack.length === 0 && this.source.skip && !this.isEnded) {
        const k = await this.source.skip(left);
        this.pos += k;
        left -= k;
        if (k === 0 || left === 0) break;
      }
      const c = await this.chunk(left);
      if (!c) break;
      left -= c.length;
    }
    return n - left;
  }

  /** Skips NUL bytes; returns how many. */
  async skipZeros(): Promise<number> {
    let n = 0;
    while (await this.fill()) {
      const h = this.head;
      let i = 0;
      while (i < h.length && h[i] === 0) i++;
      this.advance(i);
      n += i;
      if (i < h.length) break;
    }
    return n;
  }

  /**
   * Streams exactly `n` bytes as views. `onShort` makes the error thrown when the input ends first.
   * Stopping the iteration early leaves the rest unread.
   */
  async *take(n: number, onShort: (got: number) => Error): AsyncGenerator<Buffer, void, undefined> {
    let left = n;
    while (left > 0) {
      const c = await this.chunk(left);
      if (!c) throw onShort(n - left);
      left -= c.length;
      yield c;
    }
  }

  /** Releases the source (ends a decoder or iterator feeding it). */
  async close(): Promise<void> {
    this.head = EMPTY;
    this.pushedBack.length = 0;
    this.isEnded = true;
    await this.source.close();
  }

  private advance(n: number): void {
    this.head = this.head.subarray(n);
    this.pos += n;
  }

  private async fill(): Promise<boolean> {
    while (this.head.length === 0) {
      const back = this.pushedBack.pop();
      if (back) {
        this.head = back;
        continue;
      }
      if (this.isEnded) return false;
      const next = await this.source.next();
      if (!next) {
        this.isEnded = true;
        return false;
      }
      this.head = next;
    }
    return true;
  }
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}
