import { toEmtError, type EmtError } from '../errors';
import type { Block } from '../flash/extents';
import type { BufferPool } from './aligned';
import type { SourceReader } from './data-channel';
import type { Device } from './device';
import type { Hasher } from './hasher';

/**
 * One read of the source, written to several sticks. Each block is read from the data channel into
 * a pooled aligned buffer once, hashed once, and queued on every live stick's lane (up to `depth`
 * direct writes in flight per stick); the buffer returns to the pool when the last stick has
 * written it. When the pool is empty, reading stops: the slowest stick sets the pace. A stick that
 * fails drops out and the others go on. Block 0 (the first MiB) is only kept: see writeHeldBlock.
 */

export interface WriteTarget {
  readonly dev: Device;
  error: EmtError | null;
  bytesWritten: number;
  onWritten(bytes: number): void;
}

/** Direct I/O never needs more alignment than this (4Kn drives); the slack after the image's last byte is zeroed up to it. */
const MAX_ALIGN = 4096;

export async function fillBlock(block: Block, buf: Buffer, data: SourceReader, signal: AbortSignal): Promise<void> {
  for (const p of block.pieces) {
    await data.readPiece(buf, p, signal);
    const end = p.bufOffset + p.length;
    const padded = Math.min(Math.ceil(end / MAX_ALIGN) * MAX_ALIGN, buf.length);
    if (padded > end) buf.fill(0, end, padded);
  }
}

async function writeBlock(t: WriteTarget, block: Block, buf: Buffer): Promise<void> {
  for (const p of block.pieces) {
    const length = Math.ceil(p.length / t.dev.writeAlign) * t.dev.writeAlign;
    await t.dev.write(buf, p.bufOffset, length, p.offset);
    t.bytesWritten += p.length;
    t.onWritten(p.length);
  }
}

/** Runs a stick's writes in order with at most `depth` in flight. Tasks never reject. */
class Lane {
  private active = 0;
  private readonly queue: Array<() => Promise<void>> = [];
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly depth: number) {}

  push(task: () => Promise<void>): void {
    this.queue.push(task);
    this.pump();
  }

  idle(): Promise<void> {
    return this.active === 0 && this.queue.length === 0 ? Promise.resolve() : new Promise((r) => this.waiters.push(r));
  }

  private pump(): void {
    while (this.active < this.depth && this.queue.length > 0) {
      const task = this.queue.shift()!;
      this.active++;
      void task().finally(() => {
        this.active--;
        this.pump();
        if (this.active === 0 && this.queue.length === 0) for (const w of this.waiters.splice(0)) w();
      });
    }
  }
}

export interface FanOutOptions {
  blocks: readonly Block[];
  data: SourceReader;
  targets: readonly WriteTarget[];
  pool: BufferPool;
  /** Receives block 0, which is written last. */
  held: Buffer;
  depth: number;
  hasher: Hasher;
  signal: AbortSignal;
}

/**
 * Writes every block but the first to every live target, and hashes each block on a worker while
 * the sticks write it (both only read the buffer). Returns each block's digest by index.
 */
export async function fanOut(o: FanOutOptions): Promise<Map<number, Buffer>> {
  const digests = new Map<number, Buffer>();
  const hashing = new Set<Promise<void>>();
  const lanes = o.targets.map(() => new Lane(o.depth));
  const live = () => o.targets.filter((t) => !t.error);
  const hash = (block: Block, buf: Buffer, done: () => void) => {
    const p: Promise<void> = o.hasher
      .digest(block, buf)
      .then((d) => void digests.set(block.index, d))
      .finally(() => {
        hashing.delete(p);
        done();
      });
    hashing.add(p);
  };
  let isComplete = true;
  try {
    for (const block of o.blocks) {
      if (live().length === 0) {
        isComplete = false;
        break;
      }
      const isHeld = block.index === 0;
      const buf = isHeld ? o.held : await o.pool.acquire(o.signal);
      try {
        await fillBlock(block, buf, o.data, o.signal);
      } catch (e) {
        if (!isHeld) o.pool.release(buf);
        throw e;
      }
      // The buffer goes back to the pool when its hash and every stick's write are done.
      let refs = 1 + (isHeld ? 0 : live().length);
      const release = () => {
        if (--refs === 0 && !isHeld) o.pool.release(buf);
      };
      hash(block, buf, release);
      if (isHeld) continue;
      o.targets.forEach((t, i) => {
        if (t.error) return;
        lanes[i]!.push(async () => {
          try {
            if (!t.error) await writeBlock(t, block, buf);
          } catch (e) {
            t.error ??= toEmtError(e, `Writing ${t.dev.drive.name} failed`);
          } finally {
            release();
          }
        });
      });
    }
    if (isComplete) await o.data.expectEnd();
  } finally {
    // Never return (or wipe, after a cancel) while writes or hashes still use the buffers.
    await Promise.all(lanes.map((l) => l.idle()));
    await Promise.allSettled([...hashing]);
  }
  if (isComplete && digests.size !== o.blocks.length) throw new Error('a block was not hashed');
  return digests;
}

/**
 * The end of a write: flush everything else to the stick, then write the first MiB and flush
 * again. Until this moment the stick has no partition table and no boot sector (they were wiped
 * before writing), so an interrupted write never leaves a stick that half boots.
 */
export async function writeHeldBlock(t: WriteTarget, block: Block | undefined, held: Buffer): Promise<void> {
  await t.dev.sync();
  if (block) await writeBlock(t, block, held);
  await t.dev.sync();
}
