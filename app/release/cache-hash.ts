import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { cancelledError } from '../errors';
import { ProgressMeter, type OnProgress } from '../jobs/progress';

export interface HashOptions {
  onProgress?: OnProgress;
  signal?: AbortSignal;
  /** Phase name of the progress events. */
  phase?: string;
  /** Hash only the first `length` bytes. */
  length?: number;
  /** Progress `total` when the file is part of something larger. */
  total?: number;
}

/** sha256 and size of a file (or of its first `length` bytes), streamed in 1 MiB reads. */
export async function hashFile(path: string, opts: HashOptions = {}): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  const meter = new ProgressMeter(opts.phase ?? 'verify', opts.total ?? opts.length ?? (await stat(path)).size, opts.onProgress, { target: path });
  let size = 0;
  const end = opts.length === undefined ? undefined : opts.length - 1;
  if (end === -1) return { sha256: hash.digest('hex'), size: 0 };
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, end, signal: opts.signal })) {
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
