import { describe, expect, it } from 'vitest';
import { normalizeLabel } from './restore-job';

describe('restore labels', () => {
  it('upper-cases FAT labels and keeps exFAT labels as typed', () => {
    expect(normalizeLabel('emt stick', 'fat32')).toBe('EMT STICK');
    expect(normalizeLabel('Data Stick', 'exfat')).toBe('Data Stick');
    expect(normalizeLabel('Übung', 'exfat')).toBe('Übung');
  });

  it('refuses what the filesystem cannot hold, with a fix', () => {
    for (const [label, fs] of [
      ['', 'fat32'],
      ['TWELVE CHARS', 'fat32'],
      ['A:B', 'fat32'],
      ['Übung', 'fat32'],
      ['a/b', 'exfat'],
      ['twelve chars', 'exfat'],
      ['tab\there', 'exfat'],
    ] as const) {
      expect(() => normalizeLabel(label, fs), `${fs} ${label}`).toThrow(expect.objectContaining({ code: 'E_BAD_LABEL' }));
    }
  });
});
