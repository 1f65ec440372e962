import { EmtError, cancelledError } from '../errors';
import type { Block } from '../flash/extents';
import type { Device } from './device';
import { blockDigest } from './fanout';

export interface ReadBackOptions {
  dev: Device;
  blocks: readonly Block[];
  digests: ReadonlyMap<number, Buffer>;
  /** Two aligned block buffers: one is read while the other is hashed. */
  bufs: readonly [Buffer, Buffer];
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
 * cache) and compare its SHA-256 with the one taken while writing. Reading the next block overlaps
 * hashing the current one. Returns the bytes found equal; skipped ranges are not in any block.
 */
export async function readBack(o: ReadBackOptions): Promise<number> {
  let verified = 0;
  const blocks = o.blocks;
  let pending = blocks.length > 0 ? readBlock(o.dev, blocks[0]!, o.bufs[0]) : null;
  for (let i = 0; i < blocks.length; i++) {
    const isComplete = await pending!;
    if (o.signal.aborted) throw cancelledError();
    const block = blocks[i]!;
    const buf = o.bufs[i % 2]!;
    pending = i + 1 < blocks.length ? readBlock(o.dev, blocks[i + 1]!, o.bufs[(i + 1) % 2]!) : null;
    try {
      if (!isComplete) throw mismatch(o.dev, block, 'ended early');
      if (!blockDigest(block, buf).equals(o.digests.get(block.index)!)) throw mismatch(o.dev, block, 'found different bytes');
    } catch (e) {
      await pending?.catch(() => {});
      throw e;
    }
    verified += block.dataLength;
    o.onVerified(block.dataLength);
  }
  return verified;
}
