import { describe, expect, it } from 'vitest';
import { EmtError, toEmtError } from './errors';

describe('errors', () => {
  it('maps system errors to codes with a plain sentence and a fix', () => {
    const e = toEmtError(Object.assign(new Error('nospace'), { code: 'ENOSPC', path: '/tmp/x.iso' }), 'Writing the ISO failed');
    expect(e.code).toBe('E_DISK_FULL');
    expect(e.message).toContain('/tmp/x.iso');
    expect(e.hint).toMatch(/Free some space/);
  });

  it('refuses malformed codes', () => {
    expect(() => new EmtError('bad', 'm', 'h')).toThrow(/bad error code/);
  });
});
