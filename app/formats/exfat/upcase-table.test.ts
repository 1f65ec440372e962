import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRandomAccess } from '../byte-source';
import { upcase } from '../fat/upcase';
import { tool, withTempDir } from '../fat/image-test-support';
import { decodeBootRegion } from './boot-region';
import { parseDirectory } from './entry-sets';
import { tableChecksum, upcaseTableBytes } from './upcase-table';

describe('the up-case table', () => {
  it('is byte for byte the recommended table that mkfs.exfat writes, checksum E619D30D', async () => {
    await withTempDir(async (dir) => {
      const img = join(dir, 'mkfs.img');
      expect(tool('truncate', ['-s', '8M', img]).status).toBe(0);
      expect(tool('mkfs.exfat', [img]).status).toBe(0);
      const ra = await openRandomAccess(img);
      try {
        const boot = decodeBootRegion(await ra.read(0, 12 * 512));
        const cluster = (n: number): number => boot.heapOffset + (n - 2) * boot.clusterSize;
        const root = parseDirectory(await ra.read(cluster(boot.rootCluster), boot.clusterSize), (why) => new Error(why));
        const theirs = await ra.read(cluster(root.upcase!.firstCluster), root.upcase!.length);
        expect(upcaseTableBytes().length).toBe(theirs.length);
        expect(upcaseTableBytes().equals(theirs)).toBe(true);
        expect(tableChecksum(upcaseTableBytes())).toBe(0xe619d30d);
        expect(root.upcase!.checksum).toBe(0xe619d30d);
      } finally {
        await ra.close();
      }
    });
  });

  it('folds names the way the table says, not the way today\'s Unicode does', () => {
    expect(upcase('grub.cfg')).toBe('GRUB.CFG');
    expect(upcase('ärger ÿ')).toBe('ÄRGER Ÿ');
    expect(upcase('straße')).toBe('STRAßE'); // one code unit each: ß has no single upper case
    expect(upcase('ı')).toBe('ı'); // dotless i is not in the table
    expect(upcase('ⱥ')).toBe('ⱥ'); // U+2C65 came after the table; U+023A maps *to* it instead
    expect(upcase('Ⱥ')).toBe('ⱥ');
  });
});
