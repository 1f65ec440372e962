import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runsOf, type ByteSource } from '../formats/byte-source';
import { mediaSource, prepareBuild, type PreparedBuild } from '../media/build';
import { makeTestKit } from '../media/testing/media-oracles';
import { stickProfile, writeStandaloneRelease, writeStickInputs } from '../media/testing/standalone-stick';
import { SecretText } from '../profile/secrets';
import { classifyRelease } from '../release/read-release';
import { checkMap, MapSourceReader } from '../writer/map-source';
import { CHECKS_PASSED, type MapSource } from '../writer/protocol';
import { mappedPaths, planSourceMap, type SourceMap } from './source-map';

// The privileged writer composes a standalone stick from the files it is made of, along a map,
// instead of receiving every byte: the map (and its glue file) must give exactly the bytes the
// layout streams, and the writer's reader must refuse a file that changed and a missing word
// that the app's checks passed.

const MiB = 2 ** 20;
let dir: string;
let prepared: PreparedBuild;
let stick: ByteSource;
let osImage: string;

async function sha(chunks: AsyncIterable<Buffer>): Promise<string> {
  const h = createHash('sha256');
  for await (const c of chunks) h.update(c);
  return h.digest('hex');
}

/** The bytes a map gives, read the way the writer reads them (files by offset, zeros). */
function* mapped(source: SourceMap['source']): Generator<Buffer> {
  const files = source.files.map((f) => readFileSync(f.path));
  for (const e of source.map) yield e.file < 0 ? Buffer.alloc(e.length) : files[e.file]!.subarray(e.at, e.at + e.length);
}

async function* asAsync(chunks: Iterable<Buffer>): AsyncIterable<Buffer> {
  yield* chunks;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emt-source-map-'));
  const kit = await makeTestKit(dir);
  const inputs = await writeStickInputs(dir);
  // An OS image that does not compress: big enough for the writer to read it itself.
  const image = randomBytes(3 * MiB);
  await writeFile(inputs.image, image);
  await writeFile(inputs.checksum, `${createHash('sha256').update(image).digest('hex')}  image\n`);
  osImage = inputs.image;
  const release = await writeStandaloneRelease(join(dir, 'release'), 2 * MiB);
  prepared = await prepareBuild({ release: await classifyRelease([release]), profile: stickProfile(), profileDir: dir, password: new SecretText('Map-test-pw-1'), kitDir: kit, cacheDir: join(dir, 'cache'), date: new Date(Date.UTC(2026, 4, 26)) });
  stick = (await mediaSource(prepared, 1_600_000_000)).source;
}, 120_000);

afterAll(async () => {
  await prepared?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the runs of composed media', () => {
  it('are the bytes the ISO and the stick layout stream, in order', async () => {
    for (const source of [prepared.plan.iso.source, stick]) {
      const runs = runsOf(source);
      expect(runs.reduce((n, r) => n + r.length, 0)).toBe(source.size);
      const fromRuns = async function* () {
        for (const r of runs) {
          if (r.kind === 'bytes') yield* r.source.stream();
          else if (r.kind === 'zeros') yield Buffer.alloc(r.length);
          else yield readFileSync(r.path).subarray(r.at, r.at + r.length);
        }
      };
      expect(await sha(fromRuns())).toBe(await sha(source.stream()));
    }
  });
});

describe('planSourceMap', () => {
  it('maps the stick to the release kernel, the OS image and a small glue file that give the same bytes', async () => {
    const map = (await planSourceMap(stick))!;
    try {
      expect(map).not.toBeNull();
      checkMap(map.source, stick.size);
      expect(await sha(asAsync(mapped(map.source)))).toBe(await sha(stick.stream()));
      const paths = map.source.files.map((f) => f.path);
      expect(paths).toContain(osImage);
      expect(paths).toContain(prepared.release.kernel.path);
      // Known before the map is made, for the drive checks: the drives holding them are refused.
      expect(mappedPaths(stick).sort()).toEqual(map.paths.sort());
      // Everything the writer cannot read from an input file is a few MiB, whatever the stick size.
      const glue = map.source.files.find((f) => !map.paths.includes(f.path))!;
      expect(glue.size).toBeLessThan(16 * MiB);
      expect(map.checks).toHaveLength(1);
      await expect(map.checks[0]!()).resolves.toBeUndefined();
    } finally {
      await map.dispose();
    }
  });

  it('carries the OS image check, which fails on a damaged image with both hashes', async () => {
    const map = (await planSourceMap(stick))!;
    const good = readFileSync(osImage);
    try {
      const bad = Buffer.from(good);
      bad[bad.length >> 1] = bad[bad.length >> 1]! ^ 1;
      await writeFile(osImage, bad);
      await expect(map.checks[0]!()).rejects.toMatchObject({ code: 'E_OS_IMAGE_HASH' });
    } finally {
      await writeFile(osImage, good);
      await map.dispose();
    }
  });

  it('checks an OS image once: a later stick from it has no check, until the image changes', async () => {
    // A stick planned now: the test before rewrote the image.
    const first = (await planSourceMap((await mediaSource(prepared, 1_600_000_000)).source))!;
    await first.checks[0]!();
    await first.dispose();
    const again = (await planSourceMap((await mediaSource(prepared, 1_600_000_000)).source))!;
    expect(again.checks).toHaveLength(0);
    await again.dispose();
    await utimes(osImage, new Date(), new Date(Date.now() + 10_000));
    const touched = (await planSourceMap((await mediaSource(prepared, 1_600_000_000)).source))!;
    expect(touched.checks).toHaveLength(1);
    await touched.dispose();
  });

  it('is null for a source made of nothing but generated bytes', async () => {
    const source: ByteSource = { size: 8 * MiB, stream: async function* () { yield Buffer.alloc(8 * MiB, 1); } };
    expect(await planSourceMap(source)).toBeNull();
  });
});

describe('the writer reading along a map', () => {
  let server: Server;
  let word: Buffer | null;
  const socket = () => join(dir, 'data.sock');
  const token = 't'.repeat(32);

  beforeAll(async () => {
    server = createServer((s) => {
      s.on('error', () => {});
      s.once('data', () => {
        if (word) s.end(word);
        else s.destroy();
      });
    });
    await new Promise<void>((resolve) => server.listen(socket(), resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function twoFiles(): Promise<MapSource> {
    const a = join(dir, 'a.bin');
    const b = join(dir, 'b.bin');
    await writeFile(a, Buffer.alloc(2 * MiB, 0xaa));
    await writeFile(b, Buffer.alloc(MiB, 0xbb));
    const files = [a, b].map((path) => ({ path, size: statSync(path).size, mtimeMs: statSync(path).mtimeMs }));
    return {
      kind: 'map',
      socket: socket(),
      token,
      files,
      map: [
        { offset: 0, length: MiB, file: 0, at: MiB },
        { offset: MiB, length: 4096, file: -1, at: 0 },
        { offset: MiB + 4096, length: MiB, file: 1, at: 0 },
      ],
    };
  }

  it('reads pieces across entries, zeros included, and ends on the word that the checks passed', async () => {
    word = CHECKS_PASSED;
    const source = await twoFiles();
    const reader = await MapSourceReader.open(source, 2 * MiB + 4096, null, new AbortController().signal);
    try {
      const buf = Buffer.alloc(4096 + 40);
      await reader.readPiece(buf, { offset: MiB - 10, length: 4096 + 30, bufOffset: 10 }, new AbortController().signal);
      expect(buf.subarray(10, 20).every((x) => x === 0xaa)).toBe(true);
      expect(buf.subarray(20, 20 + 4096).every((x) => x === 0)).toBe(true);
      expect(buf.subarray(20 + 4096, 40 + 4096).every((x) => x === 0xbb)).toBe(true);
      await expect(reader.expectEnd()).resolves.toBeUndefined();
    } finally {
      reader.close();
    }
  });

  it('refuses at the end a file that changed since the map was made', async () => {
    word = CHECKS_PASSED;
    const source = await twoFiles();
    const reader = await MapSourceReader.open(source, 2 * MiB + 4096, null, new AbortController().signal);
    try {
      await utimes(source.files[1]!.path, new Date(), new Date(Date.now() + 10_000));
      await expect(reader.expectEnd()).rejects.toMatchObject({ code: 'E_SOURCE_CHANGED' });
    } finally {
      reader.close();
    }
  });

  it('never ends without the word: an app whose check failed hangs up', async () => {
    word = null;
    const reader = await MapSourceReader.open(await twoFiles(), 2 * MiB + 4096, null, new AbortController().signal);
    try {
      await expect(reader.expectEnd()).rejects.toMatchObject({ code: 'E_SOURCE_ENDED' });
    } finally {
      reader.close();
    }
  });

  it('refuses a map with a gap, a short map, and an entry past the end of its file', async () => {
    const source = await twoFiles();
    const size = 2 * MiB + 4096;
    expect(() => checkMap({ ...source, map: [source.map[0]!, source.map[2]!] }, size)).toThrow(expect.objectContaining({ code: 'E_WRITER_PROTOCOL' }));
    expect(() => checkMap(source, size + 1)).toThrow(expect.objectContaining({ code: 'E_WRITER_PROTOCOL' }));
    expect(() => checkMap({ ...source, map: [{ ...source.map[0]!, at: 2 * MiB }, ...source.map.slice(1)] }, size)).toThrow(expect.objectContaining({ code: 'E_WRITER_PROTOCOL' }));
    expect(() => checkMap({ ...source, map: [{ ...source.map[0]!, file: 5 }, ...source.map.slice(1)] }, size)).toThrow(expect.objectContaining({ code: 'E_WRITER_PROTOCOL' }));
  });
});
