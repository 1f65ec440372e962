import { describe, expect, it } from 'vitest';
import { CASE_LOWER_BASE, CASE_LOWER_EXT, ShortNameAllocator, shortNameText } from './short-name';

const text = (b: Buffer): string => b.toString('latin1');

describe('ShortNameAllocator', () => {
  it('stores plain 8.3 names without a long name, lower case through the NT case flags', () => {
    const a = new ShortNameAllocator();
    expect(a.allocate('BOOTX64.EFI')).toEqual({ bytes: Buffer.from('BOOTX64 EFI'), caseFlags: 0, needsLongName: false });
    expect(a.allocate('grub.cfg')).toEqual({ bytes: Buffer.from('GRUB    CFG'), caseFlags: CASE_LOWER_BASE | CASE_LOWER_EXT, needsLongName: false });
    expect(a.allocate('readme.TXT')).toMatchObject({ caseFlags: CASE_LOWER_BASE, needsLongName: false });
    expect(a.allocate('NOEXT')).toMatchObject({ bytes: Buffer.from('NOEXT      '), needsLongName: false });
    expect(a.allocate('v1_2')).toMatchObject({ bytes: Buffer.from('V1_2       '), caseFlags: CASE_LOWER_BASE, needsLongName: false });
  });

  it('keeps a mixed-case 8.3 name exact in the short entry and adds a long name', () => {
    const a = new ShortNameAllocator();
    expect(a.allocate('Readme.txt')).toEqual({ bytes: Buffer.from('README  TXT'), caseFlags: 0, needsLongName: true });
  });

  it('numbers lossy or truncated names with ~N, shortening the base to make room', () => {
    const a = new ShortNameAllocator();
    const names = Array.from({ length: 11 }, (_, i) => text(a.allocate(`A long file name ${i}.text`).bytes));
    expect(names.slice(0, 2)).toEqual(['ALONGF~1TEX', 'ALONGF~2TEX']);
    expect(names[9]).toBe('ALONG~10TEX');
    expect(new Set(names).size).toBe(11);
    expect(text(a.allocate('.bashrc').bytes)).toBe('BASHRC~1   ');
    expect(text(a.allocate('a.b.c').bytes)).toBe('AB~1    C  ');
    expect(text(a.allocate('x+y=z[1].tar.gz').bytes)).toBe('X_Y_Z_~1GZ ');
    expect(text(a.allocate('ünïcödé.bin').bytes)).toBe('_N_C_D~1BIN');
    expect(text(a.allocate('ß.txt').bytes)).toBe('_~1     TXT');
  });

  it('gives a plain name that collides with an earlier alias an alias of its own', () => {
    const a = new ShortNameAllocator();
    expect(text(a.allocate('Long name.txt').bytes)).toBe('LONGNA~1TXT');
    expect(a.allocate('longna~1.txt')).toMatchObject({ bytes: Buffer.from('LONGNA~2TXT'), needsLongName: true });
  });
});

describe('short name helpers', () => {
  it('shows a short entry as its name with case flags applied', () => {
    expect(shortNameText(Buffer.from('GRUB    CFG'), CASE_LOWER_BASE | CASE_LOWER_EXT)).toBe('grub.cfg');
    expect(shortNameText(Buffer.from('README  TXT'), CASE_LOWER_EXT)).toBe('README.txt');
    expect(shortNameText(Buffer.from('EFI        '), 0)).toBe('EFI');
    // mtools stores "ünïcödé.bin" as an 8.3 name in code page 850, upper case, with the case flags.
    expect(shortNameText(Buffer.from('9a4ed843994490204249 4e'.replace(/ /g, ''), 'hex'), CASE_LOWER_BASE | CASE_LOWER_EXT)).toBe('ünïcödé.bin');
  });
});
