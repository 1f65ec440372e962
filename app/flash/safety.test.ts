import { describe, expect, it } from 'vitest';
import type { Drive } from '../contract/drives';
import { accessBlock, blockingFindings, checkTarget, findingError, LARGE_DRIVE_BYTES, systemReasonOf } from './safety';

const GB = 1e9;

function stick(over: Partial<Drive> = {}): Drive {
  return {
    device: '/dev/sdz',
    name: 'SanDisk Cruzer (sdz)',
    description: 'SanDisk Cruzer',
    size: 16 * GB,
    bus: 'USB',
    kind: 'disk',
    logicalBlockSize: 512,
    isRemovable: true,
    isReadOnly: false,
    isSystem: false,
    systemReason: null,
    isTestTarget: false,
    mountpoints: [],
    partitions: [],
    ...over,
  };
}

const codes = (d: Drive, size = GB, ctx = {}) => checkTarget(d, { size }, ctx).map((f) => `${f.severity}:${f.code}`);

describe('safety rules', () => {
  it('lets a plain USB stick through with nothing to say', () => {
    expect(codes(stick())).toEqual([]);
  });

  it('classifies system drives: a mounted / or swap cannot be overridden, a fixed disk can', () => {
    expect(systemReasonOf(['/', '/home'], false)).toBe('in-use');
    expect(systemReasonOf(['[SWAP]'], false)).toBe('in-use');
    expect(systemReasonOf(['/media/me/STICK'], true)).toBe('fixed');
    expect(systemReasonOf(['/media/me/STICK'], false)).toBeNull();
  });

  it('refuses the drive holding the running system whatever is typed', () => {
    const d = stick({ isSystem: true, systemReason: 'in-use', mountpoints: ['/'], name: 'VirtIO (vda)' });
    const f = checkTarget(d, { size: GB }, { typedName: 'VirtIO (vda)' });
    expect(f[0]).toMatchObject({ code: 'E_SYSTEM_DRIVE_IN_USE', severity: 'error' });
    expect(f[0]!.message).toContain('(/)');
    expect(blockingFindings(f, { acceptWarnings: true }).map((x) => x.code)).toEqual(['E_SYSTEM_DRIVE_IN_USE']);
  });

  it('needs the exact drive name typed to write a fixed internal drive', () => {
    const d = stick({ isSystem: true, systemReason: 'fixed', isRemovable: false, name: 'Samsung SSD (sda)' });
    expect(codes(d)).toEqual(['confirm:E_SYSTEM_DRIVE']);
    expect(checkTarget(d, { size: GB })[0]!.hint).toContain('Samsung SSD (sda)');
    expect(codes(d, GB, { typedName: 'samsung ssd (sda)' })).toEqual(['confirm:E_SYSTEM_DRIVE']);
    expect(codes(d, GB, { typedName: 'Samsung SSD (sda)' })).toEqual(['info:I_SYSTEM_DRIVE_CONFIRMED']);
  });

  it('warns above 128 GB and asks whether it is a backup disk', () => {
    const f = checkTarget(stick({ size: LARGE_DRIVE_BYTES + 1 }), { size: GB });
    expect(f.map((x) => x.code)).toEqual(['W_LARGE_DRIVE']);
    expect(f[0]!.message).toMatch(/backup disk\?/);
    expect(blockingFindings(f)).toHaveLength(1);
    expect(blockingFindings(f, { acceptWarnings: true })).toHaveLength(0);
    expect(findingError(f[0]!).code).toBe('E_NOT_CONFIRMED');
    expect(codes(stick({ size: LARGE_DRIVE_BYTES }))).toEqual([]);
  });

  it('says both sizes when the stick is too small', () => {
    const [f] = checkTarget(stick({ size: 1_000_000_000 }), { size: 1_500_000_000 });
    expect(f).toMatchObject({ code: 'E_DRIVE_TOO_SMALL', severity: 'error', details: { needed: 1_500_000_000, available: 1_000_000_000 } });
    expect(f!.message).toContain('1.4 GiB (1500000000 bytes)');
    expect(f!.message).toContain('953.7 MiB (1000000000 bytes)');
    expect(codes(stick({ size: GB }), GB)).toEqual([]);
  });

  it('refuses read-only sticks and the drives holding the image or the cache', () => {
    expect(codes(stick({ isReadOnly: true }))).toEqual(['error:E_READ_ONLY']);
    expect(codes(stick(), GB, { sourceDevices: ['/dev/sdz'] })).toEqual(['error:E_SOURCE_ON_TARGET']);
    expect(codes(stick(), GB, { cacheDevices: ['/dev/sdz'] })).toEqual(['error:E_CACHE_ON_TARGET']);
    expect(codes(stick(), GB, { sourceDevices: ['/dev/sdy'], cacheDevices: ['/dev/sdx'] })).toEqual([]);
  });

  it('lists mounted partitions before they are unmounted, without blocking', () => {
    const d = stick({
      mountpoints: ['/media/me/EFI', '/media/me/DATA'],
      partitions: [
        { device: '/dev/sdz1', size: 1, label: 'EFI', fsType: 'vfat', mountpoints: ['/media/me/EFI'] },
        { device: '/dev/sdz2', size: 1, label: 'DATA', fsType: 'exfat', mountpoints: ['/media/me/DATA'] },
        { device: '/dev/sdz3', size: 1, label: null, fsType: null, mountpoints: [] },
      ],
    });
    const f = checkTarget(d, { size: GB });
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ code: 'I_MOUNTED', severity: 'info' });
    expect(f[0]!.message).toBe('These will be unmounted before writing: /dev/sdz1 (/media/me/EFI); /dev/sdz2 (/media/me/DATA).');
    expect(blockingFindings(f)).toEqual([]);
  });

  it('never treats a test target as a fixed system drive', () => {
    const t = stick({ device: '/dev/loop3', name: 'TEST TARGET loop3', kind: 'loop', bus: 'LOOP', isTestTarget: true, isRemovable: true });
    expect(codes(t)).toEqual([]);
  });

  it('lets the writer eject or read back sticks only: never the running system, an internal drive only by its typed name, no eject of the cache drive', () => {
    const code = (d: Drive, purpose: 'eject' | 'inspect', ctx = {}) => accessBlock(d, purpose, ctx)?.code ?? null;
    expect(code(stick(), 'eject')).toBeNull();
    expect(code(stick(), 'inspect')).toBeNull();
    const system = stick({ isSystem: true, systemReason: 'in-use', mountpoints: ['/'], name: 'VirtIO (vda)' });
    expect(code(system, 'inspect', { typedName: 'VirtIO (vda)' })).toBe('E_SYSTEM_DRIVE_IN_USE');
    expect(accessBlock(system, 'eject')!.message).toContain('ejects USB sticks only');
    const internal = stick({ isSystem: true, systemReason: 'fixed', isRemovable: false, name: 'Samsung SSD (sda)' });
    expect(code(internal, 'inspect')).toBe('E_SYSTEM_DRIVE');
    expect(code(internal, 'eject', { typedName: 'Samsung SSD (sda)' })).toBeNull();
    expect(code(stick(), 'eject', { cacheDevices: ['/dev/sdz'] })).toBe('E_CACHE_ON_TARGET');
    expect(code(stick(), 'inspect', { cacheDevices: ['/dev/sdz'] })).toBeNull();
  });
});
