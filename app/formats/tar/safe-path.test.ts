import { describe, expect, it } from 'vitest';
import { safeMemberPath } from './safe-path';

describe('safeMemberPath', () => {
  it('normalizes harmless member paths', () => {
    expect(safeMemberPath('./etc//systemd/./system/')).toBe('etc/systemd/system');
    expect(safeMemberPath('.')).toBe('.');
    expect(safeMemberPath('./')).toBe('.');
    expect(safeMemberPath('usr/lib/..data')).toBe('usr/lib/..data');
    expect(safeMemberPath('naïve/файл')).toBe('naïve/файл');
  });

  it('refuses paths that escape the target folder', () => {
    for (const p of ['/etc/passwd', '//etc', '../x', 'a/../../b', 'a/..', 'a\0b', './..']) {
      expect(() => safeMemberPath(p), p).toThrow(expect.objectContaining({ code: 'E_TAR_PATH_ESCAPE' }));
    }
  });
});
