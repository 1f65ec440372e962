import { posix } from 'node:path';
import { EmtError, throwIfAborted } from '../../errors';
import { concat, fromBuffer, zeros, type ByteSource } from '../byte-source';
import { gzipSource, type GzipOptions } from '../compression/gzip-encode';
import { BLOCK, encodeHeader, MAX_ID, MAX_LINKNAME, MAX_MTIME, MAX_NAME, MAX_OWNER_NAME, MAX_PREFIX, MAX_SIZE, type UstarHeader } from './header';
import { encodeRecords } from './pax';

interface TarCommon {
  /** Member path; a leading `/` is dropped (`/etc/foo` is stored as `etc/foo`). */
  path: string;
  /** Permission bits (07777); default 0644 for files, 0755 for directories, 0777 for links. */
  mode?: number;
  uid?: number;
  gid?: number;
  /** Owner and group names; default empty (extractors then use the numeric ids). */
  uname?: string;
  gname?: string;
  /** Seconds since the epoch; default 0 (reproducible). */
  mtime?: number;
}

export type TarInput =
  | (TarCommon & { type: 'file'; data: ByteSource | Uint8Array })
  | (TarCommon & { type: 'dir' })
  | (TarCommon & { type: 'symlink'; target: string })
  /** A hard link to an earlier member (`target` is that member's path). */
  | (TarCommon & { type: 'hardlink'; target: string });

const TYPEFLAG: Record<TarInput['type'], string> = { file: '0', dir: '5', symlink: '2', hardlink: '1' };
const DEFAULT_MODE: Record<TarInput['type'], number> = { file: 0o644, dir: 0o755, symlink: 0o777, hardlink: 0o644 };
const END_OF_ARCHIVE = 2 * BLOCK;

/**
 * A tar archive of `entries` as a ByteSource of known size: POSIX ustar headers, preceded by a pax
 * extended header when a value does not fit ustar (a path over 100 bytes that cannot be split at a
 * `/` into prefix and name, any non-ASCII path or link target or owner name, a link target over 100
 * bytes, a size of 8 GiB or more, ids or times beyond their octal fields), then two zero blocks.
 * Deterministic: the output depends on the entries only. Read by GNU tar and bsdtar alike.
 */
export function writeTar(entries: readonly TarInput[]): ByteSource {
  const parts: ByteSource[] = [];
  for (const e of entries) {
    const { blocks, data } = plan(e);
    parts.push(fromBuffer(blocks));
    if (data) {
      parts.push(checked(data, e.path));
      if (data.size % BLOCK) parts.push(zeros(BLOCK - (data.size % BLOCK)));
    }
  }
  parts.push(zeros(END_OF_ARCHIVE));
  const all = concat(parts);
  return {
    size: all.size,
    async *stream(signal) {
      for await (const c of all.stream(signal)) {
        throwIfAborted(signal);
        yield c;
      }
    },
  };
}

/** `writeTar` compressed with gzip (deterministic header), e.g. an overlay for `tar -xzf`. */
export function writeTarGz(entries: readonly TarInput[], options: GzipOptions = {}): Promise<ByteSource> {
  return gzipSource(writeTar(entries), options);
}

function plan(e: TarInput): { blocks: Buffer; data: ByteSource | null } {
  const rel = memberPath(e.path, 'E_TAR_PATH');
  const stored = e.type === 'dir' ? `${rel}/` : rel;
  const data = e.type === 'file' ? (e.data instanceof Uint8Array ? fromBuffer(e.data) : e.data) : null;
  const size = data?.size ?? 0;
  const mode = e.mode ?? DEFAULT_MODE[e.type];
  check(e.path, 'mode', mode, 0o7777);
  const uid = e.uid ?? 0;
  const gid = e.gid ?? 0;
  const mtime = e.mtime ?? 0;
  for (const [name, v] of [['uid', uid], ['gid', gid], ['mtime', mtime]] as const) check(e.path, name, v, 2 ** 53 - 1);
  check(e.path, 'size', size, 2 ** 53 - 1);

  const pax: Array<[string, string]> = [];
  const h: UstarHeader = {
    name: Buffer.alloc(0),
    mode,
    uid: fits(uid, MAX_ID, pax, 'uid'),
    gid: fits(gid, MAX_ID, pax, 'gid'),
    size: fits(size, MAX_SIZE, pax, 'size'),
    mtime: fits(mtime, MAX_MTIME, pax, 'mtime'),
    typeflag: TYPEFLAG[e.type],
    linkname: Buffer.alloc(0),
    uname: text(e.uname ?? '', MAX_OWNER_NAME, pax, 'uname'),
    gname: text(e.gname ?? '', MAX_OWNER_NAME, pax, 'gname'),
    devMajor: 0,
    devMinor: 0,
    prefix: Buffer.alloc(0),
  };
  const split = splitUstar(stored);
  if (split) {
    h.name = split.name;
    h.prefix = split.prefix;
  } else {
    pax.push(['path', stored]);
    h.name = fallbackName(stored, MAX_NAME);
  }
  if (e.type === 'symlink' || e.type === 'hardlink') {
    if (e.target === '' || e.target.includes('\0')) {
      throw new EmtError('E_TAR_LINK', `The link ${e.path} has an empty target or one with a NUL byte.`, 'Give the link a plain target.', { details: { path: e.path } });
    }
    const target = e.type === 'hardlink' ? memberPath(e.target, 'E_TAR_LINK') : e.target;
    h.linkname = text(target, MAX_LINKNAME, pax, 'linkpath');
  }
  const header = encodeHeader(h);
  if (pax.length === 0) return { blocks: header, data };
  const records = encodeRecords(pax);
  const paxHeader = encodeHeader({
    ...h,
    name: fallbackName(posix.join(posix.dirname(rel), 'PaxHeaders', posix.basename(rel)), MAX_NAME),
    prefix: Buffer.alloc(0),
    linkname: Buffer.alloc(0),
    size: records.length,
    typeflag: 'x',
    mode: 0o644,
  });
  const padding = Buffer.alloc((BLOCK - (records.length % BLOCK)) % BLOCK);
  return { blocks: Buffer.concat([paxHeader, records, padding, header]), data };
}

/** ustar name/prefix for an ASCII path: the whole path in `name`, or split at a `/`. */
function splitUstar(path: string): { name: Buffer; prefix: Buffer } | null {
  // eslint-disable-next-line no-control-regex -- ustar fields carry the portable (ASCII) set; the rest goes to pax.
  if (!/^[\x01-\x7f]*$/.test(path)) return null;
  if (path.length <= MAX_NAME) return { name: Buffer.from(path, 'latin1'), prefix: Buffer.alloc(0) };
  for (let i = path.indexOf('/'); i >= 0 && i <= MAX_PREFIX; i = path.indexOf('/', i + 1)) {
    const name = path.slice(i + 1);
    if (name.length > 0 && name.length <= MAX_NAME) return { name: Buffer.from(name, 'latin1'), prefix: Buffer.from(path.slice(0, i), 'latin1') };
  }
  return null;
}

/** What readers without pax support see: ASCII, cut to the field. */
function fallbackName(path: string, max: number): Buffer {
  return Buffer.from(path.replace(/[^\x20-\x7e]/g, '_').slice(0, max), 'latin1');
}

function text(value: string, max: number, pax: Array<[string, string]>, key: string): Buffer {
  const b = Buffer.from(value, 'utf8');
  // eslint-disable-next-line no-control-regex -- see splitUstar
  if (b.length <= max && /^[\x00-\x7f]*$/.test(value)) return b;
  pax.push([key, value]);
  return fallbackName(value, max);
}

function fits(v: number, max: number, pax: Array<[string, string]>, key: string): number {
  if (v <= max) return v;
  pax.push([key, String(v)]);
  return 0;
}

function memberPath(path: string, code: string): string {
  const rel = path.replace(/^\/+/, '');
  const parts = rel.split('/');
  if (rel === '' || path.includes('\0') || parts.includes('..') || parts.includes('.') || parts.includes('')) {
    throw new EmtError(code, `"${path.replace(/\0/g, '\\0')}" cannot be a path in a tar archive.`, 'Use a plain path without "..", "." or empty parts and without NUL bytes.', {
      details: { path },
    });
  }
  return rel;
}

function check(path: string, field: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new EmtError('E_TAR_FIELD_RANGE', `The ${field} ${v} of ${path} cannot be stored.`, `Use a whole number from 0 to ${max}.`, { details: { path, field, value: v } });
  }
}

/** Fails the stream if a source does not give the bytes it promised (the headers already said so). */
function checked(src: ByteSource, path: string): ByteSource {
  return {
    size: src.size,
    async *stream(signal) {
      let n = 0;
      for await (const c of src.stream(signal)) {
        n += c.length;
        if (n > src.size) break;
        yield c;
      }
      if (n !== src.size) {
        throw new EmtError('E_TAR_SOURCE_CHANGED', `${path} gave ${n} bytes instead of ${src.size}.`, 'A source file changed while the archive was written. Build again.', {
          details: { path, expected: src.size, actual: n },
        });
      }
    },
  };
}
