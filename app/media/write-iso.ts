import { createHash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import type { BuildResult } from '../contract/build';
import { throwIfAborted, toEmtError } from '../errors';
import type { ByteSource } from '../formats/byte-source';
import { ProgressMeter, type OnProgress } from '../jobs/progress';
import type { MediaPlan } from './plan-media';

/**
 * Streams `source` into `path` through `path.part`, hashing as it goes; the file appears under its
 * name only when it is complete, and nothing is left behind on failure or cancel.
 */
export async function writeSourceToFile(source: ByteSource, path: string, options: { onProgress?: OnProgress; signal?: AbortSignal; phase?: string } = {}): Promise<string> {
  const part = `${path}.part`;
  const meter = new ProgressMeter(options.phase ?? 'build', source.size, options.onProgress);
  const hash = createHash('sha256');
  let fh;
  try {
    fh = await open(part, 'w');
    let pos = 0;
    for await (const chunk of source.stream(options.signal)) {
      throwIfAborted(options.signal);
      hash.update(chunk);
      let done = 0;
      while (done < chunk.length) done += (await fh.write(chunk, done, chunk.length - done, pos + done)).bytesWritten;
      pos += chunk.length;
      meter.set(pos);
    }
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(part, path);
    meter.finish();
    return hash.digest('hex');
  } catch (e) {
    await fh?.close().catch(() => {});
    await rm(part, { force: true });
    throw toEmtError(e, `Writing ${path} failed`);
  }
}

export async function writeIso(plan: MediaPlan, path: string, options: { onProgress?: OnProgress; signal?: AbortSignal } = {}): Promise<BuildResult> {
  const t0 = performance.now();
  const digest = await writeSourceToFile(plan.iso.source, path, options);
  return {
    output: path,
    size: plan.iso.source.size,
    sha256: digest,
    manifest: plan.manifest(),
    findings: plan.findings,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
}
