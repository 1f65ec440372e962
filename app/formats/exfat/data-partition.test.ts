import { describe, expect, it } from 'vitest';
import { fromBuffer, type ByteSource } from '../byte-source';
import { chooseDataFilesystem, dataPartitionImage } from './data-partition';

const GIB = 2 ** 30;
const unread = (size: number): ByteSource => ({ size, stream: () => { throw new Error('must not be streamed'); } });

describe('data partitions of the standalone stick', () => {
  it('choose exFAT exactly when a file is 4 GiB or more', () => {
    expect(chooseDataFilesystem([{ content: unread(4 * GIB - 1) }, { content: unread(10) }])).toBe('fat32');
    expect(chooseDataFilesystem([{ content: unread(10) }, { content: unread(4 * GIB) }])).toBe('exfat');
    expect(chooseDataFilesystem([])).toBe('fat32');
  });

  it('build the partition at its exact size, FAT32 when it fits, FAT16 for a small one', () => {
    const os = dataPartitionImage({ volumeId: 1, size: 10 * GIB, files: [{ path: 'edge.raw.gz', content: unread(4.5 * GIB) }] });
    expect(os.filesystem).toBe('exfat');
    expect(os.image.size).toBe(10 * GIB);
    const config = { path: 'config-file', content: fromBuffer(Buffer.from('user_name="tech"\n')) };
    const big = dataPartitionImage({ volumeId: 2, label: 'EMT_CONFIG', size: GIB, files: [config] });
    expect([big.filesystem, big.image.size]).toEqual(['fat32', GIB]);
    expect(big.image.unusedRanges.reduce((n, r) => n + r.length, 0)).toBeGreaterThan(0.99 * GIB);
    const small = dataPartitionImage({ volumeId: 3, size: 16 * 2 ** 20, files: [config] });
    expect(small.filesystem).toBe('fat16');
  });
});
