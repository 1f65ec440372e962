import { EmtError, throwIfAborted } from '../../errors';
import { fromBuffer, type ByteSource } from '../byte-source';
import { encodeHeader, HEADER_SIZE, MAX_FILE_SIZE, modeOf, pad4, PATH_MAX, TRAILER, type CpioFileType, type NewcHeader } from './newc';

interface CpioCommon {
  /** Path in the unpacked root, `/etc/foo` or `etc/foo` (stored without the leading slash). */
  path: string;
  /** Permission bits (07777); default 0644 for files, 0755 for directories, 0777 for symlinks. */
  mode?: number;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch; default 0 (reproducible). */
  mtime?: number;
}

/** One entry to write. List directories before what they contain: the kernel does not create parents. */
export type CpioInput =
  | (CpioCommon & { type: 'file'; data: ByteSource | Uint8Array })
  | (CpioCommon & { type: 'dir' })
  | (CpioCommon & { type: 'symlink'; target: string })
  | (CpioCommon & { type: 'char' | 'block'; rdevMajor: number; rdevMinor: number });

export interface CpioWriteOptions {
  /** Inode number of the first entry; the others follow in order. Default 1. */
  firstIno?: number;
}

interface Planned {
  head: Buffer;
  data: ByteSource | null;
  dataPad: number;
}

const DEFAULT_MODE: Record<CpioInput['type'], number> = { file: 0o644, dir: 0o755, symlink: 0o777, char: 0o600, block: 0o600 };

/**
 * A newc cpio archive of `entries`, ended by TRAILER!!!, as a ByteSource whose size is known before
 * streaming; file data is streamed from its ByteSource when the archive is. Deterministic: inode
 * numbers count up from `firstIno`, nlink is 1 for everything but directories (2), and nothing
 * depends on the clock. Every entry is validated here, so a bad one fails before any byte is written.
 */
export function writeCpio(entries: readonly CpioInput[], options: CpioWriteOptions = {}): ByteSource {
  const firstIno = options.firstIno ?? 1;
  checkField('firstIno', firstIno, '(first inode number)');
  const planned = entries.map((e, i) => plan(e, firstIno + i));
  const trailerName = Buffer.from(`${TRAILER}\0`, 'latin1');
  const trailer = entryHead({ ...zeroHeader(), nlink: 1, namesize: trailerName.length }, trailerName);
  const size = planned.reduce((n, p) => n + p.head.length + (p.data?.size ?? 0) + p.dataPad, 0) + trailer.length;
  return {
    size,
    async *stream(signal) {
      for (const p of planned) {
        throwIfAborted(signal);
        yield p.head;
        if (p.data) {
          let n = 0;
          for await (const c of p.data.stream(signal)) {
            n += c.length;
            yield c;
          }
          if (n !== p.data.size) {
            throw new EmtError('E_CPIO_SOURCE_CHANGED', `A file for the archive gave ${n} bytes instead of ${p.data.size}.`, 'A source file changed while the archive was written. Build again.', {
              details: { expected: p.data.size, actual: n },
            });
          }
        }
        if (p.dataPad) yield Buffer.alloc(p.dataPad);
      }
      yield trailer;
    },
  };
}

function plan(e: CpioInput, ino: number): Planned {
  const name = nameBytes(e.path);
  checkField('inode number', ino, e.path);
  const perms = e.mode ?? DEFAULT_MODE[e.type];
  checkField('mode', perms, e.path, 0o7777);
  const h: NewcHeader = {
    ...zeroHeader(),
    ino,
    mode: modeOf(e.type as CpioFileType, perms),
    uid: e.uid ?? 0,
    gid: e.gid ?? 0,
    nlink: e.type === 'dir' ? 2 : 1,
    mtime: e.mtime ?? 0,
    namesize: name.length,
  };
  for (const f of ['uid', 'gid', 'mtime'] as const) checkField(f, h[f], e.path);
  let data: ByteSource | null = null;
  if (e.type === 'file') {
    data = e.data instanceof Uint8Array ? fromBuffer(e.data) : e.data;
    if (data.size > MAX_FILE_SIZE) {
      throw new EmtError('E_CPIO_FILE_TOO_LARGE', `${e.path} is ${data.size} bytes; a cpio archive holds files of at most 4 GiB - 1 byte.`, 'Leave the file out of the initramfs or split it.', {
        details: { path: e.path, size: data.size },
      });
    }
  } else if (e.type === 'symlink') {
    data = fromBuffer(linkBytes(e.path, e.target));
  } else if (e.type === 'char' || e.type === 'block') {
    checkField('rdevMajor', e.rdevMajor, e.path);
    checkField('rdevMinor', e.rdevMinor, e.path);
    h.rdevMajor = e.rdevMajor;
    h.rdevMinor = e.rdevMinor;
  }
  h.filesize = data?.size ?? 0;
  return { head: entryHead(h, name), data, dataPad: pad4(h.filesize) };
}

function entryHead(h: NewcHeader, name: Buffer): Buffer {
  // buffer-format.rst: the header and name together are padded to a multiple of 4.
  return Buffer.concat([encodeHeader(h), name, Buffer.alloc(pad4(HEADER_SIZE + name.length))]);
}

function zeroHeader(): NewcHeader {
  return { ino: 0, mode: 0, uid: 0, gid: 0, nlink: 0, mtime: 0, filesize: 0, devMajor: 0, devMinor: 0, rdevMajor: 0, rdevMinor: 0, namesize: 0, check: 0 };
}

/** The stored name: UTF-8, relative, NUL-terminated; c_namesize counts these bytes. */
function nameBytes(path: string): Buffer {
  const rel = path.replace(/^\/+/, '') || '.';
  const isBad = path.includes('\0') || rel.split('/').includes('..') || rel === TRAILER;
  if (isBad) {
    throw new EmtError('E_CPIO_PATH', `"${path.replace(/\0/g, '\\0')}" cannot be a path in a cpio archive.`, 'Use a plain path without NUL bytes or "..", and not TRAILER!!!.', {
      details: { path },
    });
  }
  const b = Buffer.from(`${rel}\0`, 'utf8');
  if (b.length > PATH_MAX) {
    throw new EmtError('E_CPIO_PATH', `The path ${path.slice(0, 60)}… is ${b.length} bytes; the kernel skips names longer than ${PATH_MAX}.`, 'Use a shorter path.', {
      details: { path },
    });
  }
  return b;
}

function linkBytes(path: string, target: string): Buffer {
  // init/initramfs.c: a symlink's target is its data; the kernel needs c_filesize > 0 and at most PATH_MAX.
  if (target.length === 0) {
    throw new EmtError('E_CPIO_SYMLINK_EMPTY', `The symlink ${path} has an empty target.`, 'Give the symlink a target.', { details: { path } });
  }
  const b = Buffer.from(target, 'utf8');
  if (b.length > PATH_MAX || target.includes('\0')) {
    throw new EmtError('E_CPIO_SYMLINK_TARGET', `The target of the symlink ${path} is over ${PATH_MAX} bytes or contains a NUL byte.`, 'Use a shorter target without NUL bytes.', {
      details: { path },
    });
  }
  return b;
}

function checkField(field: string, v: number, path: string, max = 0xffffffff): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new EmtError('E_CPIO_FIELD_RANGE', `The ${field} ${v} of ${path} does not fit a cpio header.`, `Use a whole number from 0 to ${max}.`, {
      details: { path, field, value: v },
    });
  }
}
