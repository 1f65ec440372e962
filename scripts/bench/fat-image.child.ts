/**
 * The measured side of fat-image.bench.ts, in a process of its own so that its peak RSS is ours
 * alone: `node --import tsx fat-image.child.ts <payload> <out.img|-> <size>`. Builds a FAT image of
 * <size> bytes holding the payload and writes it (fsynced) to <out.img>, or with `-` only streams
 * it (generation alone). Prints one JSON line.
 */
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fromFile } from '../../app/formats/byte-source';
import { fatImage } from '../../app/formats/fat/fat-image';

const [payload, out, size] = process.argv.slice(2);
if (!payload || !out || !size) throw new Error('usage: fat-image.child.ts <payload> <out.img|-> <size>');
const started = performance.now();
const image = fatImage({ label: 'EMT_BENCH', volumeId: 1, size: Number(size), files: [{ path: 'os/payload.raw.gz', content: await fromFile(payload) }] });
if (out === '-') {
  await pipeline(Readable.from(image.stream()), new Writable({ write: (_chunk, _enc, done) => done() }));
} else {
  await pipeline(Readable.from(image.stream()), createWriteStream(out));
  // Count the time to get the bytes onto the disk, as `cp && sync` does on the other side.
  const fh = await open(out, 'r');
  await fh.sync();
  await fh.close();
}
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ seconds, size: image.size, fatType: image.layout.fatType, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
