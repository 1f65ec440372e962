import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEmtError } from '../errors';
import { openRandomAccess, type RandomAccess } from '../formats/byte-source';
import { openExfat } from '../formats/exfat/exfat-reader';
import { SECTOR } from '../formats/partition/mbr';
import { saveProfile } from '../profile/profile-file';
import { SecretText } from '../profile/secrets';
import { classifyRelease } from '../release/read-release';
import { mediaSource, prepareBuild, type PreparedBuild } from './build';
import { inspectMedia } from './inspect-media';
import { planStandaloneStick } from './stick-layout';
import { makeTestKit, runCli } from './testing/media-oracles';
import { extractPartition, headOf, offsetsOf, readRange, sha256Sparse, stickProfile, writeStandaloneRelease, writeStickInputs, type StickInputs } from './testing/standalone-stick';
import { writeSourceToFile } from './write-iso';

// The standalone stick (DOMAIN.md §3) built from a small synthetic Bootkit release and read back
// with tools that are not ours: sgdisk for the table, fsck.fat/fsck.exfat for the file systems,
// mtools at the partition offsets for the files.

const MiB = 2 ** 20;
const DATE = new Date(Date.UTC(2026, 4, 26, 8, 0, 0));
const PASSWORD = 'Kiosk-stick-pw-4Rt9';
/** About the smallest stick this layout fits (1 GiB for p5, 256 MiB for p6, the rest for p7). */
const DISK = 1_600_000_000;
const MTOOLS_ENV = { ...process.env, MTOOLS_SKIP_CHECK: '1' };

let dir: string;
let kit: string;
let inputs: StickInputs;
let release: string;
let prepared: PreparedBuild;
let image: string;
let imageSha: string;
let isoPath: string;
const cleanups: Array<() => Promise<void>> = [];

async function prepare(kernelBytes?: number, releaseDir = release): Promise<PreparedBuild> {
  if (kernelBytes !== undefined) await writeStandaloneRelease(releaseDir, kernelBytes);
  const p = await prepareBuild({
    release: await classifyRelease([releaseDir]),
    profile: stickProfile(),
    profileDir: dir,
    password: new SecretText(PASSWORD),
    kitDir: kit,
    date: DATE,
  });
  cleanups.push(p.dispose);
  return p;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emt-stick-layout-'));
  kit = await makeTestKit(dir);
  inputs = await writeStickInputs(dir);
  release = await writeStandaloneRelease(join(dir, 'release'));
  prepared = await prepare();
  const media = await mediaSource(prepared, DISK);
  expect(media.kind).toBe('stick');
  image = join(dir, 'stick.img');
  imageSha = await writeSourceToFile(media.source, image);
  isoPath = join(dir, 'media.iso');
  await writeSourceToFile(prepared.plan.iso.source, isoPath);
}, 120_000);

afterAll(async () => {
  for (const c of cleanups) await c();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface SgdiskRow {
  number: number;
  first: number;
  last: number;
  code: string;
  name: string;
}

/** `sgdisk -p`: "   5          126976         2224127   1024.0 MiB  0700  EMT OS image". */
function sgdiskRows(path: string): SgdiskRow[] {
  const text = execFileSync('sgdisk', ['-p', path], { encoding: 'utf8' });
  return [...text.matchAll(/^\s+(\d+)\s+(\d+)\s+(\d+)\s+[\d.]+ \S+\s+([0-9A-F]{4})\s+(.*)$/gm)].map((m) => ({ number: Number(m[1]), first: Number(m[2]), last: Number(m[3]), code: m[4]!, name: m[5]!.trim() }));
}

const partition = (n: number): SgdiskRow => sgdiskRows(image).find((r) => r.number === n)!;

function files(root: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out[relative(root, join(d, e.name))] = readFileSync(join(d, e.name));
    }
  };
  walk(root);
  return out;
}

/** What mtools finds on a partition of the image: every file, copied out by mcopy. */
function mtoolsFiles(row: SgdiskRow, paths: string[]): Record<string, Buffer> {
  const at = `${image}@@${row.first * SECTOR}`;
  const listed = execFileSync('mdir', ['-i', at, '-/', '-b', '-a', '::'], { encoding: 'utf8', env: MTOOLS_ENV })
    .split('\n')
    .filter((l) => l && !l.endsWith('/'))
    .map((l) => l.replace(/^::\//, ''));
  expect(listed.sort()).toEqual([...paths].sort());
  const out = join(dir, `mcopy-p${row.number}`);
  execFileSync('mkdir', ['-p', out]);
  for (const p of paths) {
    execFileSync('mkdir', ['-p', join(out, p, '..')]);
    execFileSync('mcopy', ['-n', '-i', at, `::/${p}`, join(out, p)], { env: MTOOLS_ENV });
  }
  return files(out);
}

describe('the standalone stick image, read by sgdisk, fsck and mtools', () => {
  it('has a GPT sgdisk finds no problem with and exactly seven partitions, named and typed', () => {
    expect(execFileSync('sgdisk', ['-v', image], { encoding: 'utf8' })).toContain('No problems found.');
    const rows = sgdiskRows(image);
    expect(rows.map((r) => [r.number, r.code, r.name])).toEqual([
      [1, '0700', 'ISO9660'],
      [2, 'EF00', 'EFI System'],
      [3, '8301', 'EMT reserved'],
      [4, '8301', 'EMT reserved'],
      [5, '0700', 'EMT OS image'],
      [6, '0700', 'EMT config'],
      [7, '0700', 'EMT user apps'],
    ]);
    // p3-p7 on MiB boundaries in order; p7 takes the disk up to the backup table.
    for (const r of rows.slice(2)) expect(r.first % 2048, `p${r.number}`).toBe(0);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.first).toBeGreaterThan(rows[i - 1]!.last);
    expect(rows[6]!.last).toBe(Math.floor(DISK / SECTOR) - 34);
    expect((rows[4]!.last - rows[4]!.first + 1) * SECTOR).toBe(1024 * MiB);
    expect((rows[5]!.last - rows[5]!.first + 1) * SECTOR).toBe(256 * MiB);
  });

  it('keeps the ISO: p1 and p2 are the ISO\'s own, the ESP and the ISO 9660 data byte-identical, the MBR boot code and its boot file address unchanged', () => {
    const isoGpt = prepared.plan.iso.layout.partitions!.gpt.partitions;
    for (const n of [1, 2]) {
      const ours = partition(n);
      expect([ours.first, ours.last], `p${n}`).toEqual([isoGpt[n - 1]!.firstLba, isoGpt[n - 1]!.lastLba]);
    }
    const p2 = partition(2);
    const dataEnd = (p2.last + 1) * SECTOR;
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    // Everything after the ISO's own tables (LBA 34 on) up to the end of the ESP.
    expect(sha(readRange(image, 34 * SECTOR, dataEnd - 34 * SECTOR))).toBe(sha(readRange(isoPath, 34 * SECTOR, dataEnd - 34 * SECTOR)));
    // isohdpfx.bin (432 bytes), then the LBA of isolinux.bin it loads (u64), then the disk signature.
    expect(readRange(image, 0, 444).equals(readRange(isoPath, 0, 444))).toBe(true);
    expect(readRange(isoPath, 432, 8).readBigUInt64LE()).toBe(BigInt(prepared.plan.iso.layout.biosBoot!.lba * 4));
    // The ISO's own backup GPT (at its end) is gone, so nothing takes it for this disk's.
    const isoSize = statSync(isoPath).size;
    expect(readRange(isoPath, isoSize - 512, 8).toString('latin1')).toBe('EFI PART');
    expect(readRange(image, dataEnd, isoSize - dataEnd).every((b) => b === 0)).toBe(true);
    expect(readRange(image, DISK - 512, 8).toString('latin1')).toBe('EFI PART');
  });

  it('has data partitions that fsck.fat passes, holding exactly the OS image, config-file + .psswd and user-apps/, byte-identical', () => {
    const expected: Record<number, Record<string, Buffer>> = {
      5: { [inputs.image.split('/').pop()!]: readFileSync(inputs.image), [inputs.checksum.split('/').pop()!]: readFileSync(inputs.checksum) },
      6: { 'config-file': Buffer.from(prepared.rendered!.stick!.configFile), '.psswd': Buffer.from(`passwd=${PASSWORD}\n`) },
      7: inputs.apps,
    };
    for (const n of [5, 6, 7]) {
      const row = partition(n);
      const part = extractPartition(image, row.first * SECTOR, (row.last - row.first + 1) * SECTOR, join(dir, `p${n}.img`));
      expect(execFileSync('fsck.fat', ['-n', part], { encoding: 'utf8' }), `p${n}`).toMatch(/\d+ files, \d+\/\d+ clusters/);
      expect(execFileSync('file', ['-s', part], { encoding: 'utf8' }), `p${n}`).toContain('FAT (32 bit)');
      const got = mtoolsFiles(row, Object.keys(expected[n]!));
      for (const [path, bytes] of Object.entries(expected[n]!)) expect(got[path]?.equals(bytes), `p${n} ${path}`).toBe(true);
    }
    expect(prepared.rendered!.stick!.configFile).toMatch(/^user_name="edgeuser"$/m);
  });

  it('reads back with inspect: the manifest verified, seven partitions, the files of p5-p7 listed', async () => {
    const ra = await openRandomAccess(image);
    try {
      const r = await inspectMedia(ra, image);
      expect(r.isVerified).toBe(true);
      expect(r.partitions.map((p) => p.number)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(r.partitions[4]!.files!.map((f) => f.path).sort()).toEqual([`/${inputs.image.split('/').pop()}`, `/${inputs.checksum.split('/').pop()}`]);
      expect(r.partitions[5]!.files!.map((f) => f.path).sort()).toEqual(['/.psswd', '/config-file']);
      expect(r.partitions[6]!.files!.map((f) => f.path).sort()).toEqual(Object.keys(inputs.apps).map((p) => `/${p}`).sort());
    } finally {
      await ra.close();
    }
  });

  it('holds the password in .psswd on p6 and nowhere else: one occurrence in the whole image, none in the manifest', () => {
    const p6 = partition(6);
    const found = offsetsOf(image, Buffer.from(PASSWORD));
    expect(found).toHaveLength(1);
    expect(found[0]).toBeGreaterThanOrEqual(p6.first * SECTOR);
    expect(found[0]).toBeLessThan((p6.last + 1) * SECTOR);
    expect(readRange(image, found[0]! - 'passwd='.length, PASSWORD.length + 8).toString()).toBe(`passwd=${PASSWORD}\n`);
    expect(JSON.stringify(prepared.plan.manifest())).not.toContain(PASSWORD);
  });

  it('is a sparse file (free space never written) that hashes like the whole stream', () => {
    const st = statSync(image);
    expect(st.size).toBe(DISK);
    expect(st.blocks * 512).toBeLessThan(st.size / 50);
    expect(sha256Sparse(image)).toBe(imageSha);
  });

  it('is the same image, byte for byte, when built again from the same inputs and date', async () => {
    const again = await mediaSource(await prepare(), DISK);
    const h = createHash('sha256');
    for await (const c of again.source.stream()) h.update(c);
    expect(h.digest('hex')).toBe(imageSha);
  });
});

describe('what the layout refuses', () => {
  it('a stick too small: E_STICK_TOO_SMALL with both sizes, and the size it names is enough', async () => {
    const err = await mediaSource(prepared, 1_000_000_000).catch((e: unknown) => e);
    expect(isEmtError(err) && err.code).toBe('E_STICK_TOO_SMALL');
    const e = err as Error & { details: { diskBytes: number; needed: number } };
    expect(e.message).toMatch(/^The stick is 1\.0 GB; this standalone media needs 1\.\d GB /);
    expect(e.details.diskBytes).toBe(1_000_000_000);
    const needed = e.details.needed;
    expect(e.message).toContain(`needs ${(needed / 1e9).toFixed(1)} GB`);
    await expect(mediaSource(prepared, needed - SECTOR)).rejects.toMatchObject({ code: 'E_STICK_TOO_SMALL' });
    const fits = await mediaSource(prepared, needed);
    expect(fits.partitions!.map((p) => p.number)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('no OS image: E_STICK_NO_OS_IMAGE; no password: E_STICK_NO_PASSWORD', async () => {
    const stick = prepared.rendered!.stick!;
    await expect(planStandaloneStick(prepared.plan.iso, { ...stick, osImage: null }, DISK, 'seed', DATE)).rejects.toMatchObject({ code: 'E_STICK_NO_OS_IMAGE' });
    await expect(planStandaloneStick(prepared.plan.iso, { ...stick, passwordFile: null }, DISK, 'seed', DATE)).rejects.toMatchObject({ code: 'E_STICK_NO_PASSWORD' });
  });

  it('emt-media build of a standalone stick image without a password stops with E_STICK_NO_PASSWORD and leaves no file', async () => {
    await saveProfile(join(dir, 'kiosk.yaml'), stickProfile());
    const r = await runCli(['build', '--release', release, '--profile', 'kiosk.yaml', '--kit', kit, '--out', 'nopw.img', '--size', '1600MB'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain('error E_STICK_NO_PASSWORD:');
    expect(existsSync(join(dir, 'nopw.img'))).toBe(false);
    expect(existsSync(join(dir, 'nopw.img.part'))).toBe(false);
  });
});

describe('p5 for an OS image of 4 GiB or more', () => {
  /** A RandomAccess over the first bytes of the stick stream: the volume's metadata, no file data. */
  function prefixAccess(bytes: Buffer, size: number): RandomAccess {
    return {
      size,
      read: async (offset, length) => {
        if (offset + length > bytes.length) throw new Error(`read past the captured prefix at ${offset}`);
        return Buffer.from(bytes.subarray(offset, offset + length));
      },
      close: async () => {},
    };
  }

  it('is exFAT from 4 GiB on (FAT32 up to 4 GiB - 1), which fsck.exfat passes and our reader lists', async () => {
    const stick = prepared.rendered!.stick!;
    // Sparse files: planning reads sizes only, and the check below reads the metadata only.
    const big = (name: string, size: number) => {
      const path = join(dir, name);
      writeFileSync(path, '');
      truncateSync(path, size);
      return { path, checksumPath: inputs.checksum };
    };
    const justFat = await planStandaloneStick(prepared.plan.iso, { ...stick, osImage: big('fat-max.raw.gz', 2 ** 32 - 1) }, 6e9, 'seed', DATE);
    expect(justFat.partitions.map((p) => p.filesystem)).toEqual(['iso9660', 'esp', 'reserved', 'reserved', 'fat32', 'fat32', 'fat32']);

    const layout = await planStandaloneStick(prepared.plan.iso, { ...stick, osImage: big('huge.raw.gz', 2 ** 32) }, 6e9, 'seed', DATE);
    expect(layout.partitions.map((p) => p.filesystem)).toEqual(['iso9660', 'esp', 'reserved', 'reserved', 'exfat', 'fat32', 'fat32']);
    const p5 = layout.partitions[4]!;
    expect(p5.bytes).toBeGreaterThanOrEqual(2 ** 32 + 256 * MiB);
    const head = await headOf(layout, p5.firstByte + 8 * MiB);
    const part = join(dir, 'p5-exfat.img');
    writeFileSync(part, head.subarray(p5.firstByte));
    truncateSync(part, p5.bytes);
    expect(execFileSync('fsck.exfat', ['-n', part], { encoding: 'utf8' })).toMatch(/clean|files/);
    const volume = await openExfat(prefixAccess(head, layout.size), p5.firstByte);
    expect(volume.label).toBe('EMT_OSIMAGE');
    expect((await volume.stat('/huge.raw.gz')).size).toBe(2 ** 32);
    expect((await volume.stat(`/${inputs.checksum.split('/').pop()}`)).size).toBe(statSync(inputs.checksum).size);
  });
});

describe('an ISO whose ESP ends on a MiB boundary', () => {
  it('puts p3 right there, over the ISO\'s own backup table, which stays zeroed', async () => {
    // Grow the kernel until the ESP (the ISO's last extent) ends exactly on a MiB: p3 then starts
    // where the ISO's backup GPT lies. The manifest records the kernel's size, so aim more than once.
    const releaseDir = join(dir, 'release-aligned');
    let kernel = 64 << 10;
    let p: PreparedBuild = await prepare(kernel, releaseDir);
    for (let i = 0; i < 4; i++) {
      const end = (p.plan.iso.layout.partitions!.gpt.partitions[1]!.lastLba + 1) * SECTOR;
      const short = (MiB - (end % MiB)) % MiB;
      if (short === 0) break;
      kernel += short;
      p = await prepare(kernel, releaseDir);
    }
    const espEnd = (p.plan.iso.layout.partitions!.gpt.partitions[1]!.lastLba + 1) * SECTOR;
    expect(espEnd % MiB).toBe(0);
    expect(p.plan.iso.source.size).toBeGreaterThan(espEnd);

    const media = await mediaSource(p, DISK);
    const p3 = media.partitions![2]!;
    expect(p3.firstByte).toBe(espEnd);
    const head = await headOf(media.source, p3.firstByte + p3.bytes);
    expect(head.subarray(espEnd).every((b) => b === 0)).toBe(true);
    const isoHead = await headOf(p.plan.iso.source, espEnd);
    expect(head.subarray(34 * SECTOR, espEnd).equals(isoHead.subarray(34 * SECTOR))).toBe(true);
  });
});

describe('the OS image against its .sha256sum', () => {
  it('fails the write at the end of a damaged image, with both hashes, and leaves no file', async () => {
    const stick = prepared.rendered!.stick!;
    const damaged = join(dir, 'damaged.raw.gz');
    const bytes = readFileSync(inputs.image);
    const at = bytes.length >> 1;
    bytes[at] = bytes[at]! ^ 0xff;
    writeFileSync(damaged, bytes);
    const layout = await planStandaloneStick(prepared.plan.iso, { ...stick, osImage: { path: damaged, checksumPath: inputs.checksum } }, DISK, 'seed', DATE);
    const out = join(dir, 'damaged-stick.img');
    const err = await writeSourceToFile(layout, out).catch((e: unknown) => e);
    expect(isEmtError(err) && err.code).toBe('E_OS_IMAGE_HASH');
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.part`)).toBe(false);
  });

  it('is refused before anything is written when the checksum file is missing or not a hash', async () => {
    const stick = prepared.rendered!.stick!;
    const notAHash = join(dir, 'bad.sha256sum');
    writeFileSync(notAHash, 'not a hash  image.raw.gz\n');
    for (const [checksumPath, code] of [[join(dir, 'absent.sha256sum'), 'E_OS_IMAGE_CHECKSUM_MISSING'], [notAHash, 'E_OS_IMAGE_CHECKSUM_FORMAT']] as const) {
      const err = await planStandaloneStick(prepared.plan.iso, { ...stick, osImage: { path: inputs.image, checksumPath } }, DISK, 'seed', DATE).catch((e: unknown) => e);
      expect(isEmtError(err) && err.code).toBe(code);
    }
  });
});
