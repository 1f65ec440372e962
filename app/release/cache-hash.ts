import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { cancelledError } from '../errors';
import { ProgressMeter, type OnProgress } from '../jobs/progress';

/** sha256 and size of a file, streamed in 1 MiB reads, with `verify` progress. */
export async function hashFile(path: string, opts: { onProgress?: OnProgress; signal?: AbortSignal } = {}): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  const meter = new ProgressMeter('verify', (await stat(path)).size, opts.onProgress, { target: path });
  let size = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, signal: opts.signal })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
      meter.set(size);
    }
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw cancelledError();
    throw e;
  }
  meter.finish();
  return { sha256: hash.digest('hex'), size };
}
