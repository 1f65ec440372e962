import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromBuffer, readAll } from '../formats/byte-source';
import { lateJson, StreamHashes } from './hashing';

describe('StreamHashes', () => {
  it('records the digest of what actually streamed', async () => {
    const hashes = new StreamHashes();
    const data = Buffer.alloc(3 << 20, 7);
    const src = hashes.wrap('k', fromBuffer(data));
    expect(() => hashes.get('k')).toThrow(expect.objectContaining({ code: 'E_INTERNAL' }));
    await readAll(src);
    expect(hashes.get('k')).toBe(createHash('sha256').update(data).digest('hex'));
  });
});

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
