import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, realpathSync, rmdirSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * Real block devices for tests: loop devices over sparse files, partitions added with partx
 * (kernels without partition parsers never create them), ext4 mounted on them, tmpfs to fill.
 * Everything is undone by `cleanup()` — only what this lab made, by name — also after a failure,
 * so call it from `afterAll`. Needs root.
 */
export class LoopLab {
  readonly dir: string;
  /** Loop devices this lab attached, with the file each was attached over. */
  private readonly loops: Array<{ dev: string; file: string }> = [];
  private readonly mounts: string[] = [];
  /** blkio cgroups made by `slowWrites`, removed once empty, and how to leave the one this process is in. */
  private readonly cgroups: string[] = [];
  private leaveCgroup: (() => void) | null = null;

  constructor(prefix = 'flash-lab-') {
    mkdirSync(join(process.cwd(), '.cache'), { recursive: true });
    // On the disk, not tmpfs: loop devices over it then behave like a device with real storage.
    this.dir = mkdtempSync(join(process.cwd(), '.cache', prefix));
  }

  /** A sparse file of `size` bytes filled with `fill` in its first and last MiB (so a wipe shows). */
  file(name: string, size: number, fill = 0xee, where = this.dir): string {
    const path = join(where, name);
    writeFileSync(path, Buffer.alloc(Math.min(size, 1 << 20), fill));
    truncateSync(path, size);
    if (size > 2 << 20) {
      const fd = openSync(path, 'r+');
      writeSync(fd, Buffer.alloc(1 << 20, fill), 0, 1 << 20, size - (1 << 20));
      closeSync(fd);
    }
    return path;
  }

  /** `losetup` over a file (or a range of it); `isReadOnly` gives a device the kernel refuses to write (losetup -r). */
  attach(file: string, options: { isReadOnly?: boolean; isDirectIo?: boolean; offset?: number; sizeLimit?: number } = {}): string {
    const args = [
      '--find',
      '--show',
      ...(options.isReadOnly ? ['--read-only'] : []),
      ...(options.isDirectIo ? ['--direct-io=on'] : []),
      ...(options.offset !== undefined ? ['--offset', String(options.offset)] : []),
      ...(options.sizeLimit !== undefined ? ['--sizelimit', String(options.sizeLimit)] : []),
      file,
    ];
    const dev = execFileSync('losetup', args, { encoding: 'utf8' }).trim();
    this.loops.push({ dev, file: realpathSync(file) });
    return dev;
  }

  /** A loop device of `size` bytes over a fresh file. */
  loop(name: string, size: number, options: { isReadOnly?: boolean; isDirectIo?: boolean } = {}): { dev: string; file: string } {
    const file = this.file(name, size);
    return { dev: this.attach(file, options), file };
  }

  /** An MBR with one partition from 1 MiB, its node added with partx, formatted ext4 and mounted. */
  mountPartition(dev: string, label = 'LABDATA'): { part: string; mountpoint: string } {
    execFileSync('sfdisk', ['--quiet', dev], { input: 'label: dos\n2048,,83\n' });
    execFileSync('partx', ['--add', dev]);
    const part = `${dev}p1`;
    execFileSync('mkfs.ext4', ['-q', '-F', '-L', label, part]);
    const mountpoint = join(this.dir, `mnt-${label}`);
    mkdirSync(mountpoint, { recursive: true });
    execFileSync('mount', [part, mountpoint]);
    this.mounts.push(mountpoint);
    return { part, mountpoint };
  }

  /** A tmpfs of `size` bytes: files in it hit a real ENOSPC when it is full. */
  tmpfs(name: string, size: number): string {
    const mountpoint = join(this.dir, name);
    mkdirSync(mountpoint, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mountpoint]);
    this.mounts.push(mountpoint);
    return mountpoint;
  }

  /**
   * Writes to `dev` from this process, and from the processes it starts from now on (a writer),
   * are held to `bytesPerSecond`, as on a slow stick: a blkio cgroup (v1) with a write throttle on
   * the device, which applies to direct I/O. `release()` puts this process back where it was.
   */
  slowWrites(dev: string, bytesPerSecond: number): { release(): void } {
    if (!existsSync(join(BLKIO, 'cgroup.procs'))) throw new Error(`No blkio cgroup hierarchy at ${BLKIO}: a loop device cannot be slowed down here.`);
    const home = /^\d+:blkio:(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '/';
    const group = mkdtempSync(join(BLKIO, 'emt-slow-'));
    this.cgroups.push(group);
    const device = readFileSync(`/sys/block/${basename(dev)}/dev`, 'utf8').trim();
    writeFileSync(join(group, 'blkio.throttle.write_bps_device'), `${device} ${bytesPerSecond}`);
    writeFileSync(join(group, 'cgroup.procs'), String(process.pid));
    this.leaveCgroup = () => {
      writeFileSync(join(BLKIO, home, 'cgroup.procs'), String(process.pid));
      this.leaveCgroup = null;
    };
    return {
      release: () => {
        this.leaveCgroup?.();
        this.removeEmptyCgroups();
      },
    };
  }

  private removeEmptyCgroups(): void {
    for (const group of [...this.cgroups]) {
      try {
        rmdirSync(group);
        this.cgroups.splice(this.cgroups.indexOf(group), 1);
      } catch {
        // A process started in it (a writer) is still running.
      }
    }
  }

  cleanup(): void {
    // Mounts on loop devices must go before the loops; loops over files in a tmpfs before the tmpfs.
    const unmountAll = () => {
      for (const m of [...this.mounts].reverse()) {
        try {
          execFileSync('umount', [m], { stdio: 'ignore' });
          this.mounts.splice(this.mounts.indexOf(m), 1);
        } catch {
          // Still busy (a loop over a file in it) or already unmounted by the writer.
        }
      }
    };
    unmountAll();
    for (const { dev, file } of this.loops) {
      // A test may have detached it already (an eject does), and the number may now be another
      // test's loop device: detach only what is still ours.
      if (backingFile(dev) !== file) continue;
      try {
        execFileSync('partx', ['--delete', dev], { stdio: 'ignore' });
      } catch {
        // No partitions were added.
      }
      try {
        execFileSync('losetup', ['--detach', dev], { stdio: 'ignore' });
      } catch {
        // Already detached.
      }
    }
    unmountAll();
    this.leaveCgroup?.();
    this.removeEmptyCgroups();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const BLKIO = '/sys/fs/cgroup/blkio';

/** The file a loop device is attached over (as the kernel reports it), or null when it is not attached. */
export function backingFile(dev: string): string | null {
  try {
    return readFileSync(`/sys/block/${basename(dev)}/loop/backing_file`, 'utf8').trim();
  } catch {
    return null;
  }
}
