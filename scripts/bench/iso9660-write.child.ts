/**
 * The measured side of iso9660-write.bench.ts, in a process of its own so that its peak RSS is ours
 * alone: `node --import tsx iso9660-write.child.ts <payload> <esp> <out.iso>`. Writes a hybrid ISO
 * (Rock Ridge, Joliet, El Torito, MBR/GPT) holding the payload, fsyncs it, and prints one JSON line.
 */
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fromBuffer, fromFile } from '../../app/formats/byte-source';
import { isoImage } from '../../app/formats/iso9660/writer';

const [payload, esp, out] = process.argv.slice(2);
if (!payload || !esp || !out) throw new Error('usage: iso9660-write.child.ts <payload> <esp> <out.iso>');
const started = performance.now();
const { source } = await isoImage({
  volumeId: 'EMT_BENCH',
  date: new Date(Date.UTC(2025, 6, 10)),
  entries: [
    { kind: 'file', path: '/boot/initrd', content: await fromFile(payload) },
    { kind: 'file', path: '/boot/grub/grub.cfg', content: fromBuffer(Buffer.from('echo bench\n')) },
  ],
  boot: { efi: { image: await fromFile(esp), path: '/boot/efi.img' } },
  hybrid: { guidSeed: 'bench' },
});
await pipeline(Readable.from(source.stream()), createWriteStream(out));
// Count the time to get the bytes onto the disk, as `cp && sync` does on the other side.
const fh = await open(out, 'r');
await fh.sync();
await fh.close();
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ seconds, size: source.size, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
