import { describe, expect, it } from 'vitest';
import { readAll } from '../formats/byte-source';
import { lateJson } from './hashing';

describe('lateJson', () => {
  it('keeps the planned size when late values have the planned length', async () => {
    let hash = '0'.repeat(64);
    const src = lateJson(() => ({ h: '0'.repeat(64), n: 1 }), () => ({ h: hash, n: 1 }));
    hash = 'a'.repeat(64);
    const text = (await readAll(src)).toString();
    expect(text.length).toBe(src.size);
    expect(JSON.parse(text)).toEqual({ h: hash, n: 1 });
  });

  it('refuses a document that grew', async () => {
    const src = lateJson(() => ({ a: 1 }), () => ({ a: 12345 }));
    await expect(readAll(src)).rejects.toMatchObject({ code: 'E_INTERNAL' });
  });
});
