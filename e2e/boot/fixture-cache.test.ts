import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFixtures } from '../../scripts/fixtures/make-fixtures';

// The fixture scripts rebuild only when they must. The plain fixture is built into a private folder
// (the shared .cache/fixtures is in use by the other boot tests); the kernel .deb comes from the
// checkout's cache that prepare-test-assets.sh filled.
const DEB_CACHE = resolve(__dirname, '../../.cache/debs');

let out: string;
const lines: string[] = [];
const log = (l: string) => lines.push(l);

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'emt-fixture-cache-'));
});

afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

describe('make-fixtures', () => {
  it('builds once, leaves an intact fixture alone, and rebuilds a damaged one', async () => {
    const [first] = await makeFixtures(['plain'], { outDir: out, debCache: DEB_CACHE, log });
    expect(lines.pop()).toMatch(/^fixture plain: built in/);
    const manifestPath = join(out, 'plain', 'fixture.json');
    const before = { text: await readFile(manifestPath, 'utf8'), mtime: (await stat(manifestPath)).mtimeMs };

    const [second] = await makeFixtures(['plain'], { outDir: out, debCache: DEB_CACHE, log });
    expect(lines.pop()).toMatch(/^fixture plain: up to date/);
    expect(second).toEqual(first);
    expect(await readFile(manifestPath, 'utf8')).toBe(before.text);
    expect((await stat(manifestPath)).mtimeMs).toBe(before.mtime);

    await writeFile(join(out, 'plain', first!.initramfs.file), 'damaged');
    const [third] = await makeFixtures(['plain'], { outDir: out, debCache: DEB_CACHE, log });
    expect(lines.pop()).toMatch(/^fixture plain: built in/);
    expect(third!.inputHash).toBe(first!.inputHash);
    expect((await stat(join(out, 'plain', third!.initramfs.file))).size).toBe(third!.initramfs.size);
  });
});
