import { describe, expect, it } from 'vitest';
import { bootCatalog, parseBootCatalog } from './el-torito';
import { comparePrimaryIds, jolietIds, primaryIds } from './names';
import { planSystemUse } from './susp';

const files = (...names: string[]) => names.map((name) => ({ name, isDir: false }));

describe('primary identifiers', () => {
  it('maps to d-characters with ";1", keeping the extension', () => {
    expect(primaryIds(files('vmlinuz', 'initrd.img', 'emt-media.json', '.hidden', 'ldlinux.c32'))).toEqual([
      'VMLINUZ.;1',
      'INITRD.IMG;1',
      'EMT_MEDIA.JSON;1',
      '_HIDDEN.;1',
      'LDLINUX.C32;1',
    ]);
    expect(primaryIds([{ name: '.disk', isDir: true }])).toEqual(['_DISK']);
  });

  it('makes collisions unique with a counter and keeps names within 30 characters', () => {
    const ids = primaryIds(files('a-b.txt', 'a_b.txt', 'A-B.TXT', `${'x'.repeat(40)}1.tar.gz`, `${'x'.repeat(40)}2.tar.gz`));
    expect(ids).toEqual(['A_B.TXT;1', 'A_B000.TXT;1', 'A_B001.TXT;1', `${'X'.repeat(27)}.GZ;1`, `${'X'.repeat(24)}000.GZ;1`]);
    for (const id of ids) expect(id.replace(/;1$/, '').length).toBeLessThanOrEqual(30);
  });

  it('treats "NAME." (a file) and "NAME" (a folder) as the same name', () => {
    expect(primaryIds([{ name: 'boot', isDir: true }, { name: 'boot', isDir: false }])).toEqual(['BOOT', 'BOOT000.;1']);
  });

  it('sorts by name then extension, padded with spaces (ECMA-119 §9.3)', () => {
    expect(['AB.X;1', 'A.Z;1', 'A.;1', 'A_', 'A0.B;1'].sort(comparePrimaryIds)).toEqual(['A.;1', 'A.Z;1', 'A0.B;1', 'AB.X;1', 'A_']);
  });
});

describe('Joliet identifiers', () => {
  it('keeps real names, replaces what Joliet forbids, shortens to 64 keeping the extension', () => {
    expect(jolietIds(files('Grüße.txt', 'a:b*c', '😀'), '/')).toEqual(['Grüße.txt;1', 'a_b_c;1', '_;1']);
    const [long] = jolietIds(files(`${'y'.repeat(70)}.iso`), '/');
    expect(long).toBe(`${'y'.repeat(60)}.iso;1`);
  });

  it('refuses two names that become one', () => {
    expect(() => jolietIds(files('a:b', 'a?b'), '/dir')).toThrow(expect.objectContaining({ code: 'E_ISO_NAME_COLLISION', message: expect.stringContaining('/dir') }));
  });
});

describe('System Use planning', () => {
  it('keeps entries inline when they fit, else moves the rest to areas of at most one block', () => {
    const e = (n: number) => Buffer.alloc(n, 1);
    expect(planSystemUse([e(36), e(26)], 100)).toEqual({ inline: [e(36), e(26)], areas: [] });
    const plan = planSystemUse([e(36), e(26), e(255), e(255), ...Array.from({ length: 10 }, () => e(250))], 150);
    expect(plan.inline).toEqual([e(36), e(26)]);
    expect(plan.areas.length).toBe(2);
    for (const a of plan.areas) expect(a.reduce((n, b) => n + b.length, 0)).toBeLessThanOrEqual(2048 - 28);
  });
});

describe('boot catalog', () => {
  it('groups images after the default entry into sections by platform and parses back', () => {
    const images = [
      { platform: 0, sectorCount: 4, loadRba: 40 },
      { platform: 0xef, sectorCount: 2048, loadRba: 50 },
      { platform: 0xef, sectorCount: 100, loadRba: 60 },
      { platform: 0, sectorCount: 8, loadRba: 70 },
    ];
    const cat = bootCatalog(images);
    expect([cat[64], cat[65], cat.readUInt16LE(66)]).toEqual([0x90, 0xef, 2]);
    expect([cat[160], cat[161], cat.readUInt16LE(162)]).toEqual([0x91, 0, 1]);
    expect(parseBootCatalog(cat).map((e) => [e.platform, e.sectorCount, e.loadRba])).toEqual(images.map((i) => [i.platform, i.sectorCount, i.loadRba]));
    cat.writeUInt8(cat.readUInt8(4) ^ 1, 4);
    expect(() => parseBootCatalog(cat)).toThrow(expect.objectContaining({ code: 'E_ISO_BOOT_CATALOG' }));
  });
});
