import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import type { BuildResult } from '../contract/build';
import { throwIfAborted, toEmtError } from '../errors';
import type { ByteSource } from '../formats/byte-source';
import type { ByteRange } from '../formats/fat/sparse-image';
import { OffThreadHash } from '../jobs/hash-worker';
import { ProgressMeter, type OnProgress } from '../jobs/progress';
import type { MediaPlan } from './plan-media';

/**
 * Streams `source` into `path` through `path.part`, hashing as it goes; the file appears under its
 * name only when it is complete, and nothing is left behind on failure or cancel. Ranges the source
 * marks unused (free space of a stick layout) are not written: the file is sized first, so they
 * read as zeros and cost no disk space (a sparse file) — the hash still covers them.
 */
export async function writeSourceToFile(source: ByteSource & { unusedRanges?: readonly ByteRange[] }, path: string, options: { onProgress?: OnProgress; signal?: AbortSignal; phase?: string } = {}): Promise<string> {
  const part = `${path}.part`;
  const meter = new ProgressMeter(options.phase ?? 'build', source.size, options.onProgress);
  const hash = new OffThreadHash();
  let fh;
  const inFlight = new Set<Promise<void>>();
  try {
    fh = await open(part, 'w');
    await fh.truncate(source.size);
    const file = fh;
    const unused = source.unusedRanges ?? [];
    let next = 0;
    let pos = 0;
    for await (const chunk of source.stream(options.signal)) {
      throwIfAborted(options.signal);
      await hash.update(chunk);
      for (const [from, to] of usedParts(pos, chunk.length, unused, (i) => (next = i), next)) {
        // Several writes in flight (positions are explicit): reading the next chunk overlaps
        // writing this one. A chunk is never changed once yielded (ByteSource contract).
        const w = writeAll(file, chunk, from, to, pos).finally(() => inFlight.delete(w));
        inFlight.add(w);
        if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
      }
      pos += chunk.length;
      meter.set(pos);
    }
    await Promise.all(inFlight);
    await fh.sync();
    await fh.close();
    fh = undefined;
    const digest = await hash.digest();
    await rename(part, path);
    meter.finish();
    return digest;
  } catch (e) {
    hash.dispose();
    await Promise.allSettled(inFlight);
    await fh?.close().catch(() => {});
    await rm(part, { force: true });
    throw toEmtError(e, `Writing ${path} failed`);
  }
}

const MAX_IN_FLIGHT = 4;

async function writeAll(fh: FileHandle, chunk: Buffer, from: number, to: number, pos: number): Promise<void> {
  let done = from;
  while (done < to) done += (await fh.write(chunk, done, to - done, pos + done)).bytesWritten;
}

/** The parts [from, to) of a chunk at `pos` that lie outside the (sorted) unused ranges. */
function usedParts(pos: number, length: number, unused: readonly ByteRange[], setNext: (i: number) => void, start: number): Array<[number, number]> {
  const parts: Array<[number, number]> = [];
  let i = start;
  while (i < unused.length && unused[i]!.offset + unused[i]!.length <= pos) i++;
  setNext(i);
  let at = 0;
  for (let j = i; j < unused.length && unused[j]!.offset < pos + length; j++) {
    const from = Math.max(unused[j]!.offset - pos, 0);
    if (from > at) parts.push([at, from]);
    at = Math.max(at, Math.min(unused[j]!.offset + unused[j]!.length - pos, length));
  }
  if (at < length) parts.push([at, length]);
  return parts;
}

export async function writeIso(plan: MediaPlan, path: string, options: { onProgress?: OnProgress; signal?: AbortSignal } = {}): Promise<BuildResult> {
  const t0 = performance.now();
  const digest = await writeSourceToFile(plan.iso.source, path, options);
  return {
    output: path,
    kind: 'iso',
    size: plan.iso.source.size,
    sha256: digest,
    manifest: plan.manifest(),
    findings: plan.findings,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
}
