import { describe, expect, it } from 'vitest';
import type { Drive } from '../contract/drives';
import { driveHolding, mountOf, parseProcMounts } from './locate';

const drive = (device: string, partitions: Array<[string, string[]]>, mountpoints: string[] = partitions.flatMap(([, m]) => m)): Drive => ({
  device,
  name: device,
  description: '',
  size: 1,
  bus: 'USB',
  kind: 'disk',
  logicalBlockSize: 512,
  isRemovable: true,
  isReadOnly: false,
  isSystem: false,
  systemReason: null,
  isTestTarget: false,
  mountpoints,
  partitions: partitions.map(([d, m]) => ({ device: d, size: 1, label: null, fsType: null, mountpoints: m })),
});

describe('which drive holds a path', () => {
  const mounts = parseProcMounts(
    [
      '/dev/vda / ext4 rw,relatime 0 0',
      'tmpfs /tmp tmpfs rw 0 0',
      '/dev/sdb1 /media/me/MY\\040STICK vfat rw 0 0',
      '/dev/mapper/luks-1 /media/me/secret ext4 rw 0 0',
      '/dev/sdb2 /media/me/MY\\040STICK/inner ext4 rw 0 0',
    ].join('\n'),
  );
  const drives = [drive('/dev/vda', [], ['/']), drive('/dev/sdb', [['/dev/sdb1', ['/media/me/MY STICK']], ['/dev/sdb2', ['/media/me/MY STICK/inner']]]), drive('/dev/sdc', [['/dev/sdc1', ['/media/me/secret']]])];

  it('unescapes /proc/self/mounts fields', () => {
    expect(mounts[2]).toEqual({ source: '/dev/sdb1', mountpoint: '/media/me/MY STICK' });
  });

  it('takes the longest mount point that contains the path, on whole path components', () => {
    expect(mountOf('/media/me/MY STICK/inner/x.iso', mounts)?.source).toBe('/dev/sdb2');
    expect(mountOf('/media/me/MY STICKER/x.iso', mounts)?.source).toBe('/dev/vda');
    expect(mountOf('/tmp/x.iso', mounts)?.source).toBe('tmpfs');
  });

  it('maps a partition, or a volume stacked on one, to its disk; tmpfs to nothing', () => {
    expect(driveHolding('/media/me/MY STICK/isos/emt.iso', drives, mounts)?.device).toBe('/dev/sdb');
    expect(driveHolding('/media/me/secret/emt.iso', drives, mounts)?.device).toBe('/dev/sdc');
    expect(driveHolding('/home/me/emt.iso', drives, mounts)?.device).toBe('/dev/vda');
    expect(driveHolding('/tmp/emt.iso', drives, mounts)).toBeUndefined();
  });
});
