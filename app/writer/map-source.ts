import { closeSync, fstatSync, read } from 'node:fs';
import { promisify } from 'node:util';
import { EmtError, cancelledError, toEmtError } from '../errors';
import type { BlockPiece } from '../flash/extents';
import { SocketReader, type SourceReader } from './data-channel';
import { openAsUser, type InvokingUser } from './file-source';
import { CHECKS_PASSED, type MapSource } from './protocol';

const readAsync = promisify(read);

type Entry = MapSource['map'][number];

/** The map must cover [0, size) exactly, in order, and stay inside the files it names. */
export function checkMap(source: Pick<MapSource, 'files' | 'map'>, size: number): void {
  const bad = (why: string) => new EmtError('E_WRITER_PROTOCOL', `The source map of the job is not valid: ${why}.`, 'This is a bug in EMT Media Builder. Save the log and report it.');
  let pos = 0;
  for (const e of source.map) {
    if (e.offset !== pos) throw bad(`entry at ${e.offset} does not follow the one ending at ${pos}`);
    if (e.file >= source.files.length) throw bad(`entry at ${e.offset} names file ${e.file} of ${source.files.length}`);
    if (e.file >= 0 && e.at + e.length > source.files[e.file]!.size) throw bad(`entry at ${e.offset} reads past the end of ${source.files[e.file]!.path}`);
    pos += e.length;
  }
  if (pos !== size) throw bad(`it covers ${pos} bytes of ${size}`);
}

/**
 * The writer composes the source itself: each piece is read from the files of the map (opened
 * with the rights of the user who asked, like a plain image file), zeros where the map says so.
 * Every file must keep the size and time it had when the app made the map, checked when opened
 * and again at the end, before the stick is finished; the app's checks of the content (hashes)
 * arrive on the data socket, and without them the stick is never finished.
 */
export class MapSourceReader implements SourceReader {
  private constructor(
    private readonly source: MapSource,
    private readonly fds: number[],
    private readonly channel: SocketReader,
  ) {}

  static async open(source: MapSource, size: number, user: InvokingUser | null, signal: AbortSignal): Promise<MapSourceReader> {
    checkMap(source, size);
    const fds: number[] = [];
    try {
      for (const f of source.files) {
        try {
          fds.push(openAsUser(f.path, user));
        } catch (e) {
          throw toEmtError(e, `Reading ${f.path} failed`);
        }
      }
      const channel = await SocketReader.connect(source.socket, source.token, signal);
      const reader = new MapSourceReader(source, fds, channel);
      reader.checkFiles();
      return reader;
    } catch (e) {
      for (const fd of fds) closeSync(fd);
      throw e;
    }
  }

  private checkFiles(): void {
    this.source.files.forEach((f, i) => {
      const st = fstatSync(this.fds[i]!);
      if (st.size !== f.size || st.mtimeMs !== f.mtimeMs) {
        throw new EmtError('E_SOURCE_CHANGED', `${f.path} changed while the media was being written.`, 'Wait until whatever changes that file has finished, then write again.', { details: { path: f.path } });
      }
    });
  }

  /** The first map entry that ends after `offset` (binary search: the map is sorted). */
  private entryAt(offset: number): number {
    const map = this.source.map;
    let lo = 0;
    let hi = map.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (map[mid]!.offset + map[mid]!.length <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  async readPiece(buf: Buffer, piece: BlockPiece, signal: AbortSignal): Promise<void> {
    const end = piece.offset + piece.length;
    let pos = piece.offset;
    for (let i = this.entryAt(pos); pos < end; i++) {
      if (signal.aborted) throw cancelledError();
      const e: Entry | undefined = this.source.map[i];
      if (!e) throw new EmtError('E_SOURCE_ENDED', `The source map ends before byte ${end}.`, 'This is a bug in EMT Media Builder. Save the log and report it.');
      const n = Math.min(end, e.offset + e.length) - pos;
      const into = piece.bufOffset + (pos - piece.offset);
      if (e.file < 0) buf.fill(0, into, into + n);
      else await this.readFile(e.file, buf, into, n, e.at + (pos - e.offset));
      pos += n;
    }
  }

  private async readFile(file: number, buf: Buffer, into: number, length: number, at: number): Promise<void> {
    let got = 0;
    while (got < length) {
      const { bytesRead } = await readAsync(this.fds[file]!, buf, into + got, length - got, at + got);
      if (bytesRead === 0) {
        this.checkFiles();
        throw new EmtError('E_SOURCE_ENDED', `${this.source.files[file]!.path} ended early, at byte ${at + got}.`, 'Check the file, then write again.');
      }
      got += bytesRead;
    }
  }

  async expectEnd(): Promise<void> {
    this.checkFiles();
    const word = Buffer.alloc(CHECKS_PASSED.length);
    await this.channel.readPiece(word, { offset: 0, length: word.length, bufOffset: 0 }, new AbortController().signal);
    if (!word.equals(CHECKS_PASSED)) throw new EmtError('E_WRITER_PROTOCOL', 'The app sent something else than the end of its checks.', 'This is a bug in EMT Media Builder. Save the log and report it.');
    await this.channel.expectEnd();
  }

  close(): void {
    for (const fd of this.fds) closeSync(fd);
    this.channel.close();
  }
}
