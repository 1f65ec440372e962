import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ByteSource, RandomAccess } from '../byte-source';
import type { ByteRange } from './sparse-image';

/** Test helpers shared by the FAT and exFAT suites (and the slow e2e ones): temp dirs, tools, writing images. */

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'emt-fat-test-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface ToolResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function tool(cmd: string, args: string[], input?: string): ToolResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Write an image to a file the way a stick writer would: ranges listed in `skip` are not written
 * (seeked over, so the file stays sparse there), or are filled with `junk` to prove that their
 * content does not matter.
 */
export async function writeImage(src: ByteSource, path: string, options: { skip?: readonly ByteRange[]; junk?: boolean } = {}): Promise<void> {
  const fh = await open(path, 'w');
  const skip = options.skip ?? [];
  try {
    let pos = 0;
    let r = 0;
    for await (const chunk of src.stream()) {
      let at = 0;
      while (at < chunk.length) {
        while (r < skip.length && skip[r]!.offset + skip[r]!.length <= pos + at) r++;
        const range = skip[r];
        const abs = pos + at;
        if (range && abs >= range.offset) {
          const n = Math.min(chunk.length - at, range.offset + range.length - abs);
          if (options.junk) await fh.write(Buffer.alloc(n, 0xa5), 0, n, abs);
          at += n;
        } else {
          const n = Math.min(chunk.length - at, (range ? range.offset : Infinity) - abs);
          await fh.write(chunk, at, n, abs);
          at += n;
        }
      }
      pos += chunk.length;
    }
    await fh.truncate(pos);
  } finally {
    await fh.close();
  }
}

/** The first `length` bytes of a file (or fewer at its end). */
export async function readHead(path: string, length: number, offset = 0): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(length);
    const { bytesRead } = await fh.read(b, 0, length, offset);
    return b.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export async function sha256(src: ByteSource): Promise<string> {
  const hash = createHash('sha256');
  for await (const c of src.stream()) hash.update(c);
  return hash.digest('hex');
}

/** Deterministic pseudo-random bytes (xorshift), so that content mix-ups cannot go unnoticed. */
export function patternBytes(length: number, seed: number): Buffer {
  const b = Buffer.alloc(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/**
 * A ByteSource of `size` pattern bytes produced on the fly (for multi-GiB files): the same bytes on
 * every stream, without holding them.
 */
export function patternSource(size: number, seed: number, chunk = 1 << 20): ByteSource {
  const block = patternBytes(chunk, seed);
  return {
    size,
    async *stream() {
      for (let left = size, i = 0; left > 0; i++) {
        const n = Math.min(chunk, left);
        // Vary each block by its index so that misplaced blocks are detected too.
        const out = Buffer.from(block.subarray(0, n));
        if (n >= 4) out.writeUInt32LE(i >>> 0, 0);
        yield out;
        left -= n;
      }
    },
  };
}

/** Random access to bytes in memory (an image rendered with readAll). */
export function bufferAccess(buf: Buffer): RandomAccess {
  return {
    size: buf.length,
    async read(offset, length) {
      if (offset < 0 || offset + length > buf.length) throw new Error(`short read at ${offset}+${length} of ${buf.length}`);
      return Buffer.from(buf.subarray(offset, offset + length));
    },
    async close() {},
  };
}
