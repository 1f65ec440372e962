import type { Drive, RestoreFilesystem } from '../contract/drives';
import { darwin } from './platform-darwin';
import { linux } from './platform-linux';
import { win32 } from './platform-win32';

/**
 * What differs between operating systems, kept small so that the write path itself is shared.
 * Only the Linux part runs in this project's tests; see the report of each for what is untested.
 */
export interface Platform {
  /** Unmount every filesystem of the drive; E_BUSY naming the holders when the OS refuses. */
  unmount(drive: Drive): Promise<void>;
  /** Who keeps the drive busy ("nautilus (pid 1234)"), when the OS can tell. */
  holders(drive: Drive): Promise<string[]>;
  /** Whether the drive is still attached (to tell a pulled stick from an I/O error). */
  isPresent(drive: Drive): Promise<boolean>;
  /** Flush the OS buffers and power the stick down; false when it cannot be ejected. */
  eject(drive: Drive): Promise<boolean>;
  /** After the ends are wiped: one partition with a labelled filesystem; where it is, when the tool says. */
  partitionAndFormat(drive: Drive, filesystem: RestoreFilesystem, label: string): Promise<{ offset: number; size: number } | null>;
}

export const platform: Platform = process.platform === 'darwin' ? darwin : process.platform === 'win32' ? win32 : linux;
