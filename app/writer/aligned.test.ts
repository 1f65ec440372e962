import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BufferPool, alignedBuffers } from './aligned';

// The oracle is the kernel: an O_DIRECT read into a misaligned buffer fails with EINVAL.
// The test file sits under the working folder: tmpfs (a common /tmp) refuses O_DIRECT altogether.
const dir = mkdtempSync(join(process.cwd(), '.cache-aligned-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'data');
writeFileSync(file, Buffer.alloc(1 << 20, 7));

function directRead(buf: Buffer, offset: number): 'ok' | string {
  const fd = openSync(file, constants.O_RDONLY | constants.O_DIRECT);
  try {
    readSync(fd, buf, offset, 4096, 0);
    return 'ok';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? 'error';
  } finally {
    closeSync(fd);
  }
}

describe('aligned buffers', () => {
  it('serve O_DIRECT reads at every 4 KiB offset, where a plain Buffer fails', () => {
    const [a, b] = alignedBuffers((4 << 20) + 100, 2);
    for (const buf of [a!, b!]) for (let off = 0; off < 64 * 1024; off += 4096) expect(directRead(buf, off)).toBe('ok');
    expect(a!.subarray(0, 4096).every((x) => x === 7)).toBe(true);
    // Node's own allocation is 16 bytes past a page here: the same read is refused.
    expect(directRead(Buffer.alloc((4 << 20) + 4096), 0)).toBe('EINVAL');
  });

  it('hands buffers out in turn and makes a taker wait for a release', async () => {
    const pool = new BufferPool(alignedBuffers(4096, 1));
    const first = await pool.acquire();
    let got: Buffer | null = null;
    const waiting = pool.acquire().then((b) => (got = b));
    await new Promise((r) => setTimeout(r, 10));
    expect(got).toBeNull();
    pool.release(first);
    await waiting;
    expect(got).toBe(first);
    const ac = new AbortController();
    const cancelled = pool.acquire(ac.signal);
    ac.abort();
    await expect(cancelled).rejects.toMatchObject({ code: 'E_CANCELLED' });
  });
});
