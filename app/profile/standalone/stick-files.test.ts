import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { standaloneProfile } from '../testing/profiles';
import { checkStickFiles } from './stick-files';

let dir: string;
const IMAGE = 'images/edge-readonly-3.0.20260526.0123.raw.gz';
const HASH = 'a'.repeat(64);
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'emt-stick-files-'));
  mkdirSync(join(dir, 'images'));
  mkdirSync(join(dir, 'apps'));
  writeFileSync(join(dir, IMAGE), gzipSync(Buffer.alloc(4096)));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const codes = async (over: Parameters<typeof standaloneProfile>[0] = {}) => (await checkStickFiles(standaloneProfile(over), dir)).findings.map((f) => f.code);

describe('stick files on this computer', () => {
  it('accepts an image with its checksum and a user-apps folder, and returns the expected hash', async () => {
    writeFileSync(join(dir, `${IMAGE}.sha256sum`), `${HASH}  edge-readonly-3.0.20260526.0123.raw.gz\n`);
    const r = await checkStickFiles(standaloneProfile({ userAppsDir: 'apps' }), dir);
    expect(r.findings).toEqual([]);
    expect(r.expectedSha256).toBe(HASH);
    expect(r.imageSize).toBeGreaterThan(0);
  });

  it('reports a missing image, a missing or broken checksum, a checksum of another file, and a missing folder', async () => {
    expect(await codes({ osImage: { path: 'images/nope.raw.gz' } })).toEqual(['E_OS_IMAGE_NOT_FOUND']);
    writeFileSync(join(dir, `${IMAGE}.sha256sum`), 'not a hash\n');
    expect(await codes()).toEqual(['E_OS_IMAGE_CHECKSUM_FORMAT']);
    writeFileSync(join(dir, `${IMAGE}.sha256sum`), `${HASH}  edge-readonly-dv.raw.gz\n`);
    expect(await codes()).toEqual(['W_OS_IMAGE_CHECKSUM_NAME']);
    rmSync(join(dir, `${IMAGE}.sha256sum`));
    expect(await codes()).toEqual(['E_OS_IMAGE_CHECKSUM_MISSING']);
    writeFileSync(join(dir, `${IMAGE}.sha256sum`), `${HASH}  edge-readonly-3.0.20260526.0123.raw.gz\n`);
    expect(await codes({ userAppsDir: 'no-such-folder' })).toEqual(['E_USER_APPS_NOT_FOUND']);
  });

  it('reports an image that is not gzip, since the installer runs gzip -dc on it', async () => {
    writeFileSync(join(dir, 'images/plain.raw.gz'), Buffer.alloc(1024));
    writeFileSync(join(dir, 'images/plain.raw.gz.sha256sum'), `${HASH}  plain.raw.gz\n`);
    expect(await codes({ osImage: { path: 'images/plain.raw.gz' } })).toEqual(['E_OS_IMAGE_NOT_GZIP']);
  });
});
