import { EmtError, cancelledError } from '../errors';
import type { Block } from '../flash/extents';
import type { Device } from './device';
import { BufferPool } from './aligned';
import type { Hasher } from './hasher';

export interface ReadBackOptions {
  dev: Device;
  blocks: readonly Block[];
  digests: ReadonlyMap<number, Buffer>;
  /** Aligned block buffers: blocks in flight (being read or hashed) at once. */
  bufs: readonly Buffer[];
  hasher: Hasher;
  signal: AbortSignal;
  onVerified(bytes: number): void;
}

async function readBlock(dev: Device, block: Block, buf: Buffer): Promise<boolean> {
  for (const p of block.pieces) {
    const length = Math.ceil(p.length / dev.readAlign) * dev.readAlign;
    if ((await dev.read(buf, p.bufOffset, length, p.offset)) < p.length) return false;
  }
  return true;
}

function mismatch(dev: Device, block: Block, reason: string): EmtError {
  const offset = block.pieces[0]?.offset ?? block.offset;
  return new EmtError(
    'E_VERIFY_MISMATCH',
    `Reading ${dev.drive.name} back ${reason} at byte ${offset}: the stick does not hold the image.`,
    'The stick is probably failing or not as large as it claims. Write again or use another stick.',
    { details: { device: dev.drive.device, offset, block: block.index } },
  );
}

/**
 * Read every written block back from the device (direct I/O: from the stick, not from the OS
 * cache) and compare its SHA-256 with the one taken while writing. Each buffer goes read -> hash
 * (on a worker) -> free, and the next read starts as soon as a buffer is free, so reading never
 * waits for a hash to finish. Returns the bytes found equal; skipped ranges are in no block, so
 * they are never counted. On a difference, the error names the first different block.
 */
export async function readBack(o: ReadBackOptions): Promise<number> {
  const pool = new BufferPool([...o.bufs]);
  const tasks: Array<Promise<void>> = [];
  let verified = 0;
  let failed: { index: number; error: unknown } | null = null;
  const check = async (block: Block, buf: Buffer) => {
    try {
      if (!(await readBlock(o.dev, block, buf))) throw mismatch(o.dev, block, 'ended early');
      const digest = await o.hasher.digest(block, buf);
      if (!digest.equals(o.digests.get(block.index)!)) throw mismatch(o.dev, block, 'found different bytes');
      verified += block.dataLength;
      o.onVerified(block.dataLength);
    } catch (error) {
      if (!failed || block.index < failed.index) failed = { index: block.index, error };
    } finally {
      pool.release(buf);
    }
  };
  try {
    for (const block of o.blocks) {
      if (failed) break;
      const buf = await pool.acquire(o.signal);
      tasks.push(check(block, buf));
    }
  } finally {
    // Never leave reads or hashes running on buffers that are about to be reused or freed.
    await Promise.all(tasks);
  }
  if (o.signal.aborted) throw cancelledError();
  if (failed) throw (failed as { error: unknown }).error;
  return verified;
}
