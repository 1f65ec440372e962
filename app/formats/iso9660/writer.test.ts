import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBuffer, fromFile, type ByteSource } from '../byte-source';
import type { IsoEntry, IsoSpec } from './spec';
import { run, runAll, sha256Source, tempDir, writeSource } from './test-support';
import { isoImage } from './writer';

const tmp = tempDir('emt-iso-writer-');
afterAll(() => tmp.remove());

const DATE = new Date(Date.UTC(2025, 6, 10, 12, 34, 56));

/** Deterministic pseudo-random bytes (a hash chain), so that contents are not trivially compressible or aligned. */
function bytes(n: number, seed: string): Buffer {
  const out = Buffer.alloc(n);
  let block = createHash('sha256').update(seed).digest();
  for (let at = 0; at < n; at += block.length) {
    block.copy(out, at, 0, Math.min(block.length, n - at));
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

const longTarget = Array.from({ length: 4 }, (_, i) => `${String(i).repeat(3)}-${'x'.repeat(200)}`).join('/');
const longName = `${'n'.repeat(251)}.txt`;

const files: Record<string, { data: Buffer; mode?: number; mtime?: Date }> = {
  '/boot/vmlinuz': { data: bytes(300_001, 'kernel') },
  '/boot/initrd': { data: bytes(1_234_567, 'initrd') },
  '/bin/tool': { data: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o755 },
  '/etc/secret': { data: Buffer.from('s3cret'), mode: 0o600, mtime: new Date(Date.UTC(2001, 1, 3, 4, 5, 6)) },
  '/d1/d2/d3/d4/d5/d6/d7/deepest.txt': { data: Buffer.from('level 8 folder') },
  [`/names/${longName}`]: { data: Buffer.from('long name') },
  '/names/ünïcødé-名前.txt': { data: Buffer.from('unicode') },
  '/names/😀 smile.txt': { data: Buffer.from('astral') },
  '/names/a-b.txt': { data: Buffer.from('1') },
  '/names/a_b.txt': { data: Buffer.from('2') },
  '/names/A-B.TXT': { data: Buffer.from('3') },
  '/names/.hidden': { data: Buffer.from('dot') },
  '/names/empty': { data: Buffer.alloc(0) },
  '/exact-block.bin': { data: bytes(4096, 'block') },
};
for (let i = 0; i < 300; i++) files[`/many/file-number-${String(i).padStart(4, '0')}.dat`] = { data: Buffer.from(`file ${i}\n`) };

const links: Record<string, string> = {
  '/links/rel': '../boot/vmlinuz',
  '/links/abs': '/etc/secret',
  '/links/dotty': './x/../y',
  '/links/dangling': 'nowhere/at/all',
  '/links/root': '/',
  '/links/long': longTarget,
};

const dirs: Record<string, number> = { '/private': 0o700, '/bin': 0o755, '/sticky': 0o1777 };

function entries(): IsoEntry[] {
  return [
    ...Object.entries(files).map(([path, f]): IsoEntry => ({ kind: 'file', path, content: fromBuffer(f.data), mode: f.mode, mtime: f.mtime })),
    ...Object.entries(links).map(([path, target]): IsoEntry => ({ kind: 'symlink', path, target })),
    ...Object.entries(dirs).map(([path, mode]): IsoEntry => ({ kind: 'dir', path, mode })),
  ];
}

const spec = (over: Partial<IsoSpec> = {}): IsoSpec => ({ volumeId: 'EMT_TEST', date: DATE, entries: entries(), ...over });

let iso: string;
beforeAll(async () => {
  iso = join(tmp.path, 'tree.iso');
  await writeSource((await isoImage(spec())).source, iso);
});

describe('isoImage tree (checked by osirrox, isoinfo, bsdtar)', () => {
  it('extracts with osirrox to the same contents, modes, dates and symlinks', () => {
    const out = join(tmp.path, 'extract');
    runAll('osirrox', ['-indev', iso, '-extract', '/', out]);
    for (const [path, f] of Object.entries(files)) {
      const st = lstatSync(join(out, path));
      expect(st.isFile(), path).toBe(true);
      expect(readFileSync(join(out, path)).equals(f.data), path).toBe(true);
      expect(st.mode & 0o7777, path).toBe(f.mode ?? 0o644);
      expect(st.mtime.getTime(), path).toBe((f.mtime ?? DATE).getTime());
    }
    for (const [path, target] of Object.entries(links)) expect(readlinkSync(join(out, path)), path).toBe(target);
    for (const [path, mode] of Object.entries(dirs)) expect(lstatSync(join(out, path)).mode & 0o7777, path).toBe(mode);
    const found: string[] = [];
    const walk = (rel: string) => {
      for (const name of readdirSync(join(out, rel))) {
        const p = `${rel}/${name}`;
        found.push(p);
        if (lstatSync(join(out, p)).isDirectory()) walk(p);
      }
    };
    walk('');
    const leaves = [...Object.keys(files), ...Object.keys(links), ...Object.keys(dirs)];
    const expected = new Set(leaves.flatMap((p) => p.split('/').slice(1).map((_, i, a) => `/${a.slice(0, i + 1).join('/')}`)));
    expect(found.sort()).toEqual([...expected].sort());
  });

  it('is recognized by isoinfo as ISO 9660 with Rock Ridge, Joliet and our volume name', () => {
    const d = run('isoinfo', ['-d', '-i', iso]);
    expect(d).toContain('Volume id: EMT_TEST');
    expect(d).toContain('Joliet with UCS level 3 found');
    expect(d).toMatch(/Rock Ridge signatures version 1 found/);
    expect(d).toMatch(/Logical block size is: 2048/);
  });

  it('has unique d-character primary names with ";1" versions', () => {
    const names = run('isoinfo', ['-f', '-i', iso]).trim().split('\n');
    expect(names.length).toBe(new Set(names).size);
    for (const n of names) expect(n).toMatch(/^(\/[A-Z0-9_]*(\.[A-Z0-9_]*;1)?)+$/);
    const inNames = names.filter((n) => n.startsWith('/NAMES/'));
    expect(inNames.length).toBe(8);
    expect(inNames).toContain('/NAMES/A_B.TXT;1');
  });

  it('has a Joliet tree with the real names (up to 64 UCS-2 characters)', () => {
    const found = run('xorriso', ['-local_charset', 'UTF-8', '-read_fs', 'norock', '-indev', iso, '-find', '/']);
    const names = found.trim().split('\n').map((l) => l.replace(/^'|'$/g, ''));
    expect(names).toContain('/names/ünïcødé-名前.txt');
    expect(names).toContain('/names/_ smile.txt');
    expect(names).toContain('/names/A-B.TXT');
    expect(names).toContain(`/names/${'n'.repeat(60)}.txt`);
    expect(names).toContain('/d1/d2/d3/d4/d5/d6/d7/deepest.txt');
    expect(names.some((n) => n.startsWith('/links'))).toBe(true);
    expect(names.some((n) => n.startsWith('/links/'))).toBe(false);
  });

  it('lists every entry through libarchive (bsdtar) with Rock Ridge names and link targets', () => {
    const listing = run('bsdtar', ['-tvf', iso]);
    expect(listing).toContain(`names/${longName}`);
    expect(listing).toContain('links/rel -> ../boot/vmlinuz');
    expect(listing).toContain('links/dotty -> ./x/../y');
    // links/long is not checked here: libarchive 3.6 drops the "/" between components that span two SL
    // entries, for xorriso's own images too (osirrox above and our reader check that link).
    expect(listing).toMatch(/links\/long -> 000-x+111-x+/);
    expect(listing).toMatch(/^-rw------- .* etc\/secret$/m);
    expect(listing).toMatch(/^drwxrwxrwt .* sticky$/m);
  });
});

describe('path tables', () => {
  /** ECMA-119 §9.4: parse a path table as [parent, lba, identifier] per record. */
  function parseTable(b: Buffer, isBigEndian: boolean): [number, number, string][] {
    const out: [number, number, string][] = [];
    for (let at = 0; at < b.length; ) {
      const len = b[at]!;
      const lba = isBigEndian ? b.readUInt32BE(at + 2) : b.readUInt32LE(at + 2);
      const parent = isBigEndian ? b.readUInt16BE(at + 6) : b.readUInt16LE(at + 6);
      out.push([parent, lba, b.subarray(at + 8, at + 8 + len).toString('hex')]);
      at += 8 + len + (len % 2);
    }
    return out;
  }

  it('has L and M tables that agree, for both trees, and match isoinfo -p', () => {
    const img = readFileSync(iso);
    const descriptors = [16, 17, 18].map((lba) => img.subarray(lba * 2048, lba * 2048 + 2048));
    const volumes = descriptors.filter((d) => d[0] === 1 || d[0] === 2);
    expect(volumes.length).toBe(2);
    for (const vd of volumes) {
      const size = vd.readUInt32LE(132);
      expect(vd.readUInt32BE(136)).toBe(size);
      const l = parseTable(img.subarray(vd.readUInt32LE(140) * 2048, vd.readUInt32LE(140) * 2048 + size), false);
      const m = parseTable(img.subarray(vd.readUInt32BE(148) * 2048, vd.readUInt32BE(148) * 2048 + size), true);
      expect(m).toEqual(l);
      expect(l[0]).toEqual([1, vd.readUInt32LE(158), '00']);
    }
    const pvd = img.subarray(16 * 2048, 17 * 2048);
    const l = parseTable(img.subarray(pvd.readUInt32LE(140) * 2048, pvd.readUInt32LE(140) * 2048 + pvd.readUInt32LE(132)), false);
    const listed = run('isoinfo', ['-p', '-i', iso]).trim().split('\n').slice(1).map((line) => line.trim().split(/\s+/));
    expect(listed.map((p) => [Number(p[1]), parseInt(p[2]!, 16), Buffer.from(p[3] ?? '\0', 'latin1').toString('hex')])).toEqual(l);
  });
});

describe('isoImage determinism', () => {
  it('gives identical bytes for the same spec, and other bytes for another date', async () => {
    const a = await sha256Source((await isoImage(spec())).source);
    const b = await sha256Source((await isoImage(spec())).source);
    const c = await sha256Source((await isoImage(spec({ date: new Date(DATE.getTime() + 1000) }))).source);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('does not depend on the order of the entries', async () => {
    const a = await sha256Source((await isoImage(spec())).source);
    const b = await sha256Source((await isoImage(spec({ entries: entries().reverse() }))).source);
    expect(b).toBe(a);
  });

  it('reports the layout: every file with its LBA and size, in LBA order', async () => {
    const { layout, source } = await isoImage(spec());
    expect(layout.size).toBe(source.size);
    expect(layout.size % 2048).toBe(0);
    const kernel = layout.files.find((f) => f.path === '/boot/vmlinuz')!;
    expect(kernel.size).toBe(300_001);
    const fd = readFileSync(iso);
    expect(fd.subarray(kernel.lba * 2048, kernel.lba * 2048 + kernel.size).equals(files['/boot/vmlinuz']!.data)).toBe(true);
    const lbas = layout.files.map((f) => f.lba);
    expect([...lbas].sort((x, y) => x - y)).toEqual(lbas);
  });
});

/** A source that promises more bytes than exist: refused before anything is written. */
const sizeOnly = (size: number): ByteSource => ({
  size,
  stream() {
    throw new Error('must not be read');
  },
});

describe('isoImage refuses clearly', () => {
  const base = { volumeId: 'V', date: DATE };
  it.each([
    ['a file of 4 GiB', [{ kind: 'file', path: '/big', content: sizeOnly(2 ** 32) }], 'E_ISO_FILE_TOO_LARGE'],
    ['a folder 9 levels deep', [{ kind: 'dir', path: '/1/2/3/4/5/6/7/8' }], 'E_ISO_TOO_DEEP'],
    ['two names equal in Joliet', [{ kind: 'file', path: '/a:b', content: fromBuffer(Buffer.from('1')) }, { kind: 'file', path: '/a?b', content: fromBuffer(Buffer.from('2')) }], 'E_ISO_NAME_COLLISION'],
    ['the same path twice', [{ kind: 'dir', path: '/x' }, { kind: 'dir', path: '/x/' }], 'E_ISO_DUPLICATE_PATH'],
    ['a file used as a folder', [{ kind: 'file', path: '/f', content: fromBuffer(Buffer.from('1')) }, { kind: 'file', path: '/f/g', content: fromBuffer(Buffer.from('2')) }], 'E_ISO_PATH_CONFLICT'],
    ['a relative path', [{ kind: 'dir', path: 'rel' }], 'E_ISO_PATH'],
  ] as [string, IsoEntry[], string][])('%s', async (_, list, code) => {
    await expect(isoImage({ ...base, entries: list })).rejects.toMatchObject({ code });
  });

  it('a volume name that is not d-characters', async () => {
    await expect(isoImage({ ...base, volumeId: 'emt media', entries: [] })).rejects.toMatchObject({ code: 'E_ISO_VOLUME_ID' });
  });

  it('an ESP larger than El Torito can describe, or not whole sectors', async () => {
    await expect(isoImage({ ...base, entries: [], boot: { efi: { image: sizeOnly(65536 * 512) } } })).rejects.toMatchObject({ code: 'E_ISO_ESP_TOO_LARGE' });
    await expect(isoImage({ ...base, entries: [], boot: { efi: { image: sizeOnly(1000) } } })).rejects.toMatchObject({ code: 'E_ISO_ESP_SIZE' });
  });

  it('more folders than a path table can number', async () => {
    const many: IsoEntry[] = Array.from({ length: 0x10000 }, (_, i) => ({ kind: 'dir', path: `/d${i}` }));
    await expect(isoImage({ ...base, entries: many })).rejects.toMatchObject({ code: 'E_ISO_TOO_MANY_FOLDERS' });
  });

  it('a cancelled write, as E_CANCELLED', async () => {
    const path = join(tmp.path, 'eight-mib.bin');
    writeFileSync(path, Buffer.alloc(8 << 20, 1));
    const { source } = await isoImage({ ...base, entries: [{ kind: 'file', path: '/f', content: await fromFile(path) }] });
    const ac = new AbortController();
    const consume = async () => {
      let seen = 0;
      for await (const c of source.stream(ac.signal)) {
        seen += c.length;
        if (seen > 2 << 20) ac.abort();
      }
    };
    await expect(consume()).rejects.toMatchObject({ code: 'E_CANCELLED' });
  });

  it('a source that changes size while the image is written', async () => {
    const shrinking: ByteSource = {
      size: 5000,
      async *stream() {
        yield Buffer.alloc(4000);
      },
    };
    const { source } = await isoImage({ ...base, entries: [{ kind: 'file', path: '/f', content: shrinking }] });
    await expect(sha256Source(source)).rejects.toMatchObject({ code: 'E_ISO_SOURCE_CHANGED' });
  });
});
