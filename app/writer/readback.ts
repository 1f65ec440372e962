import { EmtError, cancelledError } from '../errors';
import type { Block } from '../flash/extents';
import type { Device } from './device';
import { blockDigest } from './fanout';

export interface ReadBackOptions {
  dev: Device;
  blocks: readonly Block[];
  digests: ReadonlyMap<number, Buffer>;
  /** Aligned block buffers: one is hashed while the others are being read (3 keep two reads in flight). */
  bufs: readonly Buffer[];
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
 * cache) and compare its SHA-256 with the one taken while writing. While one block is hashed the
 * next ones are already being read, so the stick never waits for the hash. Returns the bytes found
 * equal; skipped ranges are in no block, so they are never counted.
 */
export async function readBack(o: ReadBackOptions): Promise<number> {
  const { blocks, bufs } = o;
  const ahead = bufs.length - 1;
  const reads: Array<Promise<boolean>> = [];
  const start = (i: number) => {
    if (i >= blocks.length) return;
    reads[i] = readBlock(o.dev, blocks[i]!, bufs[i % bufs.length]!);
    // Handled when awaited in turn; this keeps a failure that lands early from counting as unhandled.
    reads[i]!.catch(() => {});
  };
  for (let i = 0; i < ahead; i++) start(i);
  let verified = 0;
  try {
    for (let i = 0; i < blocks.length; i++) {
      const isComplete = await reads[i]!;
      if (o.signal.aborted) throw cancelledError();
      start(i + ahead);
      const block = blocks[i]!;
      if (!isComplete) throw mismatch(o.dev, block, 'ended early');
      if (!blockDigest(block, bufs[i % bufs.length]!).equals(o.digests.get(block.index)!)) throw mismatch(o.dev, block, 'found different bytes');
      verified += block.dataLength;
      o.onVerified(block.dataLength);
    }
  } finally {
    // Never leave reads running into buffers that are about to be reused or freed.
    await Promise.allSettled(reads);
  }
  return verified;
}
