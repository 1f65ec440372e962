import { HOLD_BACK_BYTES } from '../flash/extents';
import type { Device } from './device';

/**
 * Zero the first MiB (MBR, GPT header, ISO system area and volume descriptors) and the last MiB
 * (backup GPT) of a target and flush: a stick in that state boots nothing and shows no partitions.
 * Done before writing (so a crash or a pulled stick never leaves a half-bootable image) and after
 * a cancel or failure. `zero` is an aligned buffer of at least 1 MiB.
 */
export async function wipeEnds(dev: Device, size: number, zero: Buffer): Promise<void> {
  zero.fill(0, 0, HOLD_BACK_BYTES);
  const a = dev.writeAlign;
  const head = Math.floor(Math.min(HOLD_BACK_BYTES, size) / a) * a;
  if (head > 0) await dev.write(zero, 0, head, 0);
  const tailStart = Math.max(head, Math.ceil((size - HOLD_BACK_BYTES) / a) * a);
  const tail = Math.floor((size - tailStart) / a) * a;
  if (tail > 0) await dev.write(zero, 0, tail, tailStart);
  await dev.sync();
}
