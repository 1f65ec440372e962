import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { throwIfAborted } from '../errors';
import { runsOf, type ByteRun, type ByteSource } from '../formats/byte-source';
import type { MapSource } from '../writer/protocol';
import { MAP_MAX_ENTRIES, MAP_MAX_FILES } from '../writer/protocol';

/**
 * A composed source (a standalone stick: the ISO with the release's kernel and initramfs, the OS
 * image on partition 5) as a map the privileged writer follows to read the big files itself,
 * instead of receiving every byte through the data socket (which, on two cores, ran at a third of
 * the speed of the writer reading a file). Everything that is not a big file region (file system
 * structures, the ISO's directories, boot files, small files) is written once to a small "glue"
 * file in a private folder, which the map names like any other file.
 */
export interface SourceMap {
  source: Omit<MapSource, 'socket' | 'token'>;
  /** The content checks of the files (the OS image against its .sha256sum), to run beside the write. */
  checks: Array<(signal?: AbortSignal) => Promise<void>>;
  /** The files the writer reads: the drives holding them are refused as targets. */
  paths: string[];
  /** Remove the glue file. */
  dispose(): Promise<void>;
}

/** File regions smaller than this are copied into the glue: a map entry costs more than their bytes. */
const MIN_FILE_RUN = 1 << 20;
/** Shorter zero runs go into the glue with their neighbours. */
const MIN_ZERO_RUN = 64 << 10;
/** More glue than this means the source is mostly generated: the socket is then as good. */
const MAX_GLUE = 256 << 20;

type Entry = MapSource['map'][number];

const isBigFile = (r: ByteRun): r is Extract<ByteRun, { kind: 'file' }> => r.kind === 'file' && r.length >= MIN_FILE_RUN;

/** The files a map of the source would have the writer read (before the map is made: the drive checks). */
export function mappedPaths(source: ByteSource): string[] {
  return [...new Set(runsOf(source).filter(isBigFile).map((r) => r.path))];
}

/** Null when a map would not help: no big file region, or too much that only the source can produce. */
export async function planSourceMap(source: ByteSource, signal?: AbortSignal): Promise<SourceMap | null> {
  const runs = runsOf(source);
  const isMapped = (r: ByteRun) => isBigFile(r) || (r.kind === 'zeros' && r.length >= MIN_ZERO_RUN);
  if (!runs.some(isBigFile)) return null;
  const glueBytes = runs.filter((r) => !isMapped(r)).reduce((n, r) => n + r.length, 0);
  if (glueBytes > MAX_GLUE) return null;

  const dir = await mkdtemp(join(tmpdir(), 'emt-map-'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    const gluePath = join(dir, 'glue.bin');
    const files: MapSource['files'] = [];
    const fileIndex = new Map<string, number>();
    const indexOf = (path: string, size: number, mtimeMs: number) => {
      const key = `${path}\0${size}\0${mtimeMs}`;
      let i = fileIndex.get(key);
      if (i === undefined) {
        i = files.push({ path, size, mtimeMs }) - 1;
        fileIndex.set(key, i);
      }
      return i;
    };
    const glue = indexOf(gluePath, glueBytes, 0);
    const map: Entry[] = [];
    const add = (e: Entry) => {
      const last = map.at(-1);
      if (last && last.file === e.file && (e.file < 0 || last.at + last.length === e.at)) last.length += e.length;
      else map.push(e);
    };
    const checks = new Set<(signal?: AbortSignal) => Promise<void>>();
    const fh = await open(gluePath, 'wx', 0o600);
    try {
      let offset = 0;
      let glueAt = 0;
      const writeGlue = async (chunk: Buffer) => {
        for (let done = 0; done < chunk.length; ) done += (await fh.write(chunk, done, chunk.length - done, glueAt + done)).bytesWritten;
        glueAt += chunk.length;
      };
      for (const r of runs) {
        throwIfAborted(signal);
        if (r.kind === 'file' && r.check) checks.add(r.check);
        if (isBigFile(r)) {
          add({ offset, length: r.length, file: indexOf(r.path, r.stamp.size, r.stamp.mtimeMs), at: r.at });
        } else if (r.kind === 'zeros' && r.length >= MIN_ZERO_RUN) {
          add({ offset, length: r.length, file: -1, at: 0 });
        } else {
          const at = glueAt;
          let n = 0;
          for await (const chunk of bytesOf(r, signal)) {
            n += chunk.length;
            await writeGlue(chunk);
          }
          if (n !== r.length) throw new Error(`internal: a run of the source gave ${n} of ${r.length} bytes`);
          add({ offset, length: r.length, file: glue, at });
        }
        offset += r.length;
      }
      // No fsync: the writer reads the glue through the same page cache.
      if (offset !== source.size) throw new Error(`internal: the runs of the source cover ${offset} of ${source.size} bytes`);
    } finally {
      await fh.close();
    }
    if (files.length > MAP_MAX_FILES || map.length > MAP_MAX_ENTRIES) {
      await dispose();
      return null;
    }
    files[glue]!.mtimeMs = (await stat(gluePath)).mtimeMs;
    return { source: { kind: 'map', files, map }, checks: [...checks], paths: files.map((f) => f.path).filter((p) => p !== gluePath), dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}

const ZERO = Buffer.alloc(MIN_ZERO_RUN);

async function* bytesOf(r: ByteRun, signal?: AbortSignal): AsyncIterable<Buffer> {
  if (r.kind === 'bytes') yield* r.source.stream(signal);
  else if (r.kind === 'zeros') yield ZERO.subarray(0, r.length);
  else if (r.length > 0) yield* createReadStream(r.path, { start: r.at, end: r.at + r.length - 1, signal }) as AsyncIterable<Buffer>;
}
