/** Helpers shared by the ISO tests (unit and boot): temp folders, real ESP images, writing sources. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ByteSource } from '../byte-source';

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export async function writeSource(src: ByteSource, path: string): Promise<void> {
  await pipeline(Readable.from(src.stream()), createWriteStream(path));
}

export function run(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

/** stdout and stderr of a tool together (xorriso reports on stderr). */
export function runAll(cmd: string, args: string[]): string {
  return execFileSync('sh', ['-c', '"$0" "$@" 2>&1', cmd, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

/**
 * A real FAT ESP made by mkfs.fat + mcopy (the project's own FAT writer is tested separately), holding
 * `files` (path inside the ESP -> host file or text).
 */
export function makeEsp(dir: string, kib: number, files: Record<string, { from?: string; text?: string }>): string {
  const img = join(dir, `esp-${kib}.img`);
  rmSync(img, { force: true });
  run('mkfs.fat', ['-C', '-n', 'EFIBOOT', img, String(kib)]);
  const dirs = new Set<string>();
  for (const path of Object.keys(files)) {
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  for (const d of [...dirs].sort()) run('mmd', ['-i', img, `::/${d}`]);
  for (const [path, f] of Object.entries(files)) {
    let from = f.from;
    if (!from) {
      from = join(dir, 'esp-content.tmp');
      writeFileSync(from, f.text ?? '');
    }
    run('mcopy', ['-i', img, from, `::/${path.replace(/^\//, '')}`]);
  }
  return img;
}

export async function sha256File(path: string, offset = 0, length?: number): Promise<string> {
  const h = createHash('sha256');
  const end = length === undefined ? undefined : offset + length - 1;
  for await (const c of createReadStream(path, { start: offset, end })) h.update(c as Buffer);
  return h.digest('hex');
}

export async function sha256Source(src: ByteSource): Promise<string> {
  const h = createHash('sha256');
  for await (const c of src.stream()) h.update(c);
  return h.digest('hex');
}
