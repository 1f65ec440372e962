import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli';
import { DriveSchema, WriteResultSchema } from '../contract/drives';
import { recordingIo } from '../release/testing/cli-io';
import { bundleWriter } from '../writer/bundle';

// `emt-media drives | flash | verify` in-process, with image files as test targets and the
// bundled writer (EMT_WRITER). Loop devices and `restore` are in e2e/boot/flash-*.test.ts.
const MiB = 1 << 20;
mkdirSync(join(process.cwd(), '.cache'), { recursive: true });
const dir = mkdtempSync(join(process.cwd(), '.cache', 'cli-flash-test-'));
const image = join(dir, 'emt.iso');
const stickA = join(dir, 'a.img');
const stickB = join(dir, 'b.img');
const tiny = join(dir, 'tiny.img');
const huge = join(dir, 'huge.img');
const src = randomBytes(6 * MiB);
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  writeFileSync(image, src);
  for (const [p, size] of [[stickA, 8 * MiB], [stickB, 8 * MiB], [tiny, 2 * MiB]] as const) writeFileSync(p, Buffer.alloc(size, 0xee));
  // A sparse 130 GB "drive": bigger than any usual stick, cheap on disk.
  writeFileSync(huge, '');
  truncateSync(huge, 130e9);
  env = {
    ...process.env,
    EMT_CONFIG_DIR: join(dir, 'config'),
    EMT_CACHE_DIR: join(dir, 'cache'),
    EMT_TEST_TARGETS: [stickA, stickB, tiny, huge].join(','),
    EMT_WRITER: await bundleWriter(join(dir, 'writer.cjs')),
  };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = async (...argv: string[]) => {
  const r = recordingIo(env, dir);
  const code = await main(argv, r.io);
  return { code, ...r };
};

describe('emt-media drives', () => {
  it('lists test targets, labelled, and hides system drives unless asked', async () => {
    const json = await run('drives', '--json');
    expect(json.code).toBe(0);
    const drives = DriveSchema.array().parse(JSON.parse(json.out.join('\n')).drives);
    expect(drives.filter((d) => d.isTestTarget).map((d) => d.name)).toEqual(['TEST TARGET a.img', 'TEST TARGET b.img', 'TEST TARGET tiny.img', 'TEST TARGET huge.img']);
    expect(drives.some((d) => d.isSystem)).toBe(false);
    const all = await run('drives', '--all', '--json');
    expect(JSON.parse(all.out.join('\n')).drives.some((d: { isSystem: boolean }) => d.isSystem)).toBe(true);
    const text = await run('drives');
    expect(text.text()).toMatch(/a\.img\s+8\.0 MiB\s+FILE\s+TEST TARGET a\.img/);
    expect(text.text()).toMatch(/\(\d+ system drive\(s\) hidden; --all shows them\)/);
  });
});

describe('emt-media flash and verify', () => {
  it('writes and verifies two sticks and says so', async () => {
    const r = await run('flash', 'emt.iso', '--target', stickA, '--target', stickB);
    expect(r.code).toBe(0);
    expect(r.text()).toMatch(/ok {4}.*a\.img.*written 6\.0 MiB, verified 6\.0 MiB/);
    expect(r.text()).toContain('All 2 stick(s) written.');
    for (const p of [stickA, stickB]) expect(readFileSync(p).subarray(0, src.length).equals(src)).toBe(true);
  });

  it('writes nothing at all when one target fails a safety rule, and names both sizes', async () => {
    writeFileSync(stickB, Buffer.alloc(8 * MiB, 0xee));
    const r = await run('flash', 'emt.iso', '--target', stickB, '--target', tiny);
    expect(r.code).toBe(1);
    expect(r.text()).toMatch(/error: The image needs 6\.0 MiB .* holds only 2\.0 MiB/);
    expect(r.text()).toContain('error E_TARGET_REFUSED: Nothing was written');
    expect(readFileSync(stickB).every((b) => b === 0xee)).toBe(true);
  });

  it('asks "is this a backup disk?" above 128 GB and writes only after --yes', async () => {
    const r = await run('flash', 'emt.iso', '--target', huge);
    expect(r.code).toBe(1);
    expect(r.text()).toMatch(/warning: TEST TARGET huge\.img holds 121\.1 GiB .*Is this a backup disk\?/);
    expect(r.text()).toContain('error E_NOT_CONFIRMED');
    expect(r.text()).toContain('add --yes');
    const yes = await run('flash', 'emt.iso', '--target', huge, '--yes', '--no-verify');
    expect(yes.code).toBe(0);
    expect(yes.text()).toMatch(/ok {4}.*huge\.img.*written 6\.0 MiB/);
  });

  it('prints one JSON document the contract accepts', async () => {
    const r = await run('flash', 'emt.iso', '--target', stickB, '--json', '--no-eject');
    expect(r.code).toBe(0);
    const result = WriteResultSchema.parse(JSON.parse(r.out.join('\n')));
    expect(result.targets[0]).toMatchObject({ ok: true, isVerified: true, bytesVerified: src.length });
  });

  it('verifies a stick against the image and fails a changed one with the offset', async () => {
    expect((await run('verify', 'emt.iso', '--target', stickA)).code).toBe(0);
    const disk = readFileSync(stickA);
    disk.writeUInt8(disk.readUInt8(5 * MiB) ^ 1, 5 * MiB);
    writeFileSync(stickA, disk);
    const r = await run('verify', 'emt.iso', '--target', stickA);
    expect(r.code).toBe(1);
    expect(r.text()).toMatch(/FAIL {2}.*error E_VERIFY_MISMATCH: Reading .* back found different bytes at byte 5242880/);
  });

  it('explains wrong usage with exit code 2', async () => {
    const r = await run('flash', 'emt.iso');
    expect(r.code).toBe(2);
    expect(r.text()).toContain('error E_USAGE: Name one image and at least one --target.');
  });
});
