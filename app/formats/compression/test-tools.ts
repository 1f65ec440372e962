/**
 * Helpers for the format tests (cpio, compression, tar): run a real tool as an oracle, gather a
 * stream, make reproducible sample bytes. Test-only; nothing in the product imports this.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RandomAccess } from '../byte-source';

/** Runs `cmd` with `args`, feeding `input` on stdin; resolves with stdout, rejects on a non-zero exit. */
export function run(cmd: string, args: readonly string[], options: { input?: Uint8Array; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.stdin.on('error', () => {});
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${Buffer.concat(err).toString()}`));
    });
    child.stdin.end(options.input ?? Buffer.alloc(0));
  });
}

/** All chunks of a stream, joined. */
export async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** Splits a buffer into chunks of `size` bytes (to test chunk boundaries). */
export async function* chunked(buf: Uint8Array, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield Buffer.from(buf.subarray(i, Math.min(buf.length, i + size)));
}

/** Reproducible bytes that compress somewhat (words from a small alphabet, some noise). */
export function sampleBytes(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x % 7 === 0 ? x & 0xff : 0x61 + (x % 11);
  }
  return out;
}

/** A fresh temporary folder and a function that removes it. */
export async function tempDir(prefix = 'emt-formats-'): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Random access to bytes in memory, counting what is read (to prove skips do not read). */
export function bufferRandomAccess(buf: Buffer): RandomAccess & { bytesRead: number } {
  const ra = {
    size: buf.length,
    bytesRead: 0,
    async read(offset: number, length: number) {
      if (offset < 0 || offset + length > buf.length) throw new Error(`read past the end: ${offset}+${length} of ${buf.length}`);
      ra.bytesRead += length;
      return Buffer.from(buf.subarray(offset, offset + length));
    },
    async close() {},
  };
  return ra;
}
