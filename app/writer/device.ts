import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Drive } from '../contract/drives';
import { deviceError } from './device-errors';

/**
 * A target opened for writing and reading back, around the OS cache:
 * - Linux: O_DIRECT, and O_EXCL, which fails while anything is mounted from the disk and keeps the
 *   desktop from mounting it while we work;
 * - macOS: the raw node /dev/rdiskN, which the kernel does not cache (F_NOCACHE is not reachable
 *   from Node, and the raw node needs no flag);
 * - Windows: libuv turns UV_FS_O_DIRECT into FILE_FLAG_NO_BUFFERING (libuv src/win/fs.c).
 * Image files (test targets) are written through the cache and read back with O_DIRECT where the
 * filesystem allows it (not tmpfs): `isReadDirect` says which.
 */
export interface Device {
  readonly drive: Drive;
  readonly isDirect: boolean;
  readonly isReadDirect: boolean;
  /** Lengths and offsets of writes are multiples of this (1: any). */
  readonly writeAlign: number;
  /** Lengths and offsets of reads are multiples of this (1: any). */
  readonly readAlign: number;
  write(buf: Buffer, bufOffset: number, length: number, position: number): Promise<void>;
  /** Reads up to `length` bytes; fewer only at the end of an image file. */
  read(buf: Buffer, bufOffset: number, length: number, position: number): Promise<number>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

const WIN_O_DIRECT = 0x02000000;

function directFlag(): number {
  if (process.platform === 'linux') return constants.O_DIRECT;
  if (process.platform === 'win32') return WIN_O_DIRECT;
  return 0;
}

export function rawPath(drive: Drive): string {
  return process.platform === 'darwin' && drive.kind === 'disk' ? drive.device.replace(/^\/dev\/disk/, '/dev/rdisk') : drive.device;
}

/** `read` opens without exclusivity, for a verify that must not disturb a mounted or read-only stick. */
export async function openDevice(drive: Drive, mode: 'rw' | 'read' = 'rw'): Promise<Device> {
  const path = rawPath(drive);
  const isFile = drive.kind === 'file';
  const exclusive = process.platform === 'linux' && !isFile && mode === 'rw' ? constants.O_EXCL : 0;
  const flags = (mode === 'rw' ? constants.O_RDWR : constants.O_RDONLY) | exclusive | (isFile ? 0 : directFlag());
  let fh: FileHandle;
  try {
    fh = await open(path, flags);
  } catch (e) {
    throw await deviceError(e, drive, 'open');
  }
  let reader = fh;
  let isReadDirect = !isFile;
  if (isFile && process.platform === 'linux') {
    // tmpfs and some FUSE filesystems refuse O_DIRECT with EINVAL: then read through the cache.
    const direct = await open(path, constants.O_RDONLY | constants.O_DIRECT).catch(() => null);
    if (direct) [reader, isReadDirect] = [direct, true];
  }
  const sector = Math.max(512, drive.logicalBlockSize);
  return {
    drive,
    isDirect: !isFile,
    isReadDirect,
    writeAlign: isFile ? 1 : sector,
    readAlign: isReadDirect ? sector : 1,
    async write(buf, bufOffset, length, position) {
      try {
        while (length > 0) {
          const { bytesWritten } = await fh.write(buf, bufOffset, length, position);
          if (bytesWritten <= 0) throw Object.assign(new Error('the device accepted no more bytes'), { code: 'ENOSPC' });
          bufOffset += bytesWritten;
          length -= bytesWritten;
          position += bytesWritten;
        }
      } catch (e) {
        throw await deviceError(e, drive, 'write', position);
      }
    },
    async read(buf, bufOffset, length, position) {
      let got = 0;
      try {
        while (got < length) {
          const { bytesRead } = await reader.read(buf, bufOffset + got, length - got, position + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
      } catch (e) {
        throw await deviceError(e, drive, 'read', position + got);
      }
      return got;
    },
    async sync() {
      try {
        await fh.sync();
      } catch (e) {
        throw await deviceError(e, drive, 'flush');
      }
    },
    async close() {
      if (reader !== fh) await reader.close().catch(() => {});
      await fh.close().catch(() => {});
    },
  };
}
