import { createHash } from 'node:crypto';
import { BuildManifestSchema, type BuildManifest, type Finding } from '../contract/build';
import type { HashCheck, MediaInspection, PartitionInfo } from '../contract/inspect';
import { throwIfAborted } from '../errors';
import { readAll, type RandomAccess } from '../formats/byte-source';
import { walkInitramfs } from '../formats/cpio/initramfs';
import { openExfat } from '../formats/exfat/exfat-reader';
import { openFat } from '../formats/fat/fat-reader';
import type { FsVolume } from '../formats/fat/volume';
import { PLATFORM_BIOS, PLATFORM_EFI } from '../formats/iso9660/el-torito';
import { openIso, type IsoVolume } from '../formats/iso9660/reader';
import { readGpt } from '../formats/partition/gpt-read';
import { GPT_TYPE } from '../formats/partition/guid';
import { readMbr, SECTOR } from '../formats/partition/mbr';
import { readTar } from '../formats/tar/reader';
import { ProgressMeter, type OnProgress } from '../jobs/progress';
import { OVERLAY_ARCHIVE_PATH } from './dracut-hook';
import { PATHS } from './plan-media';

type OverlayItem = MediaInspection['overlay'][number];

// ECMA-119 §8.1: the first volume descriptor at sector 16 (2048-byte sectors) carries "CD001" after its type byte.
const ISO_MAGIC_OFFSET = 16 * 2048 + 1;

/** Whether bytes hold an ISO 9660 volume at the start (an ISO file, or a stick written from one). */
export async function hasIsoVolume(ra: RandomAccess): Promise<boolean> {
  return ra.size > ISO_MAGIC_OFFSET + 5 && (await ra.read(ISO_MAGIC_OFFSET, 5)).toString('latin1') === 'CD001';
}

const MAX_CUSTOM_IMG = 128 << 20;

/**
 * Reads media back (an ISO file, or a stick through its block device) into the picture the build
 * wrote: the manifest, every file's hash checked against it, the boot entries and partitions, the
 * customization found in custom.img, and what is on the stick's data partitions. Nothing is trusted
 * that was not read back.
 */
export async function inspectMedia(ra: RandomAccess, path: string, options: { signal?: AbortSignal; onProgress?: OnProgress } = {}): Promise<MediaInspection> {
  const iso = await openIso(ra);
  const findings: Finding[] = [];
  const manifest = await readManifest(iso, findings);
  const checks = manifest ? await checkFiles(iso, manifest, options) : [];
  const overlay = iso.lookup(PATHS.custom) ? await readOverlay(iso, manifest, checks, findings) : [];
  for (const c of checks.filter((x) => !x.isOk)) {
    findings.push({
      severity: 'error',
      code: 'E_INSPECT_HASH_MISMATCH',
      message: `${c.path} does not match the build manifest (${c.actual === null ? 'missing' : `sha256 ${c.actual.slice(0, 16)}…, expected ${c.expected.slice(0, 16)}…`}).`,
      hint: 'The media is damaged or was changed after it was built: write it again, or rebuild it.',
    });
  }
  const { partitions, hybridMbr, gpt } = await readPartitions(ra, findings);
  const entries = iso.elTorito?.entries ?? [];
  return {
    kind: 'media',
    path,
    size: ra.size,
    volumeId: iso.volumeId,
    manifest,
    checks,
    isVerified: manifest !== null && checks.length > 0 && checks.every((c) => c.isOk),
    boot: { bios: entries.some((e) => e.platform === PLATFORM_BIOS), uefi: entries.some((e) => e.platform === PLATFORM_EFI), hybridMbr, gpt },
    partitions,
    overlay,
    findings,
  };
}

async function readManifest(iso: IsoVolume, findings: Finding[]): Promise<BuildManifest | null> {
  if (!iso.lookup(PATHS.manifest)) {
    findings.push({ severity: 'warning', code: 'W_INSPECT_NO_MANIFEST', message: 'The media has no /emt-media.json: it was not made by EMT Media Builder, so nothing can be checked against a manifest.', hint: 'Inspect media built by this tool to verify it.' });
    return null;
  }
  const text = (await readAll(iso.readFile(PATHS.manifest), 16 << 20)).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    findings.push({ severity: 'error', code: 'E_INSPECT_MANIFEST', message: '/emt-media.json is not valid JSON.', hint: 'The media is damaged: write it again, or rebuild it.' });
    return null;
  }
  const parsed = BuildManifestSchema.safeParse(json);
  if (!parsed.success) {
    findings.push({ severity: 'error', code: 'E_INSPECT_MANIFEST', message: `/emt-media.json is not a build manifest this version understands (${parsed.error.issues[0]?.message}).`, hint: 'Inspect it with the EMT Media Builder version that built it, or rebuild the media.' });
    return null;
  }
  return parsed.data;
}

async function checkFiles(iso: IsoVolume, manifest: BuildManifest, options: { signal?: AbortSignal; onProgress?: OnProgress }): Promise<HashCheck[]> {
  const total = manifest.files.reduce((n, f) => n + f.size, 0);
  const meter = new ProgressMeter('verify', total, options.onProgress);
  let done = 0;
  const checks: HashCheck[] = [];
  for (const f of manifest.files) {
    throwIfAborted(options.signal);
    const node = iso.lookup(f.path);
    if (!node || node.kind !== 'file') {
      checks.push({ path: f.path, expected: f.sha256, actual: null, isOk: false });
      continue;
    }
    const h = createHash('sha256');
    for await (const c of iso.readFile(f.path).stream(options.signal)) {
      h.update(c);
      done += c.length;
      meter.set(done);
    }
    const actual = h.digest('hex');
    checks.push({ path: f.path, expected: f.sha256, actual, isOk: actual === f.sha256 && node.size === f.size });
  }
  meter.finish();
  return checks;
}

/** The customization as custom.img really carries it: the cpio tree, or the Bootkit hook's overlay tar. */
async function readOverlay(iso: IsoVolume, manifest: BuildManifest | null, checks: HashCheck[], findings: Finding[]): Promise<OverlayItem[]> {
  const items: OverlayItem[] = [];
  const hashes = new Map<string, string>();
  let tar: Buffer | null = null;
  const src = iso.readFile(PATHS.custom);
  if (src.size > MAX_CUSTOM_IMG) {
    findings.push({ severity: 'warning', code: 'W_INSPECT_CUSTOM_LARGE', message: `/boot/custom.img is ${src.size} bytes, more than a customization should be; it was not listed.`, hint: 'Rebuild the media with EMT Media Builder.' });
    return items;
  }
  await walkInitramfs(src.stream(), {
    size: src.size,
    onEntry: async (e, body) => {
      if (e.path === `/${OVERLAY_ARCHIVE_PATH}`) {
        const parts: Buffer[] = [];
        for await (const c of body) parts.push(c);
        tar = Buffer.concat(parts);
        return;
      }
      items.push({ path: e.path, kind: e.type, mode: e.mode.toString(8).padStart(3, '0'), size: e.size });
      if (e.type === 'file') hashes.set(e.path, await digest(body));
    },
  });
  if (tar) {
    // The Bootkit layout: what the running system gets is the tar; the cpio only carries it and the hook.
    items.length = 0;
    hashes.clear();
    const bytes: Buffer = tar;
    for await (const e of readTar((async function* () {
      yield bytes;
    })())) {
      const p = `/${e.path.replace(/^\.?\/+/, '')}`;
      items.push({ path: p, kind: e.type, mode: e.mode.toString(8).padStart(3, '0'), size: e.size });
      if (e.type === 'file') hashes.set(p, await digest(e.body));
    }
  }
  for (const o of manifest?.overlay ?? []) {
    if (o.kind !== 'file' || !o.sha256) continue;
    const actual = hashes.get(o.path) ?? null;
    checks.push({ path: `overlay:${o.path}`, expected: o.sha256, actual, isOk: actual === o.sha256 });
  }
  return items;
}

async function digest(body: AsyncIterable<Buffer>): Promise<string> {
  const h = createHash('sha256');
  for await (const c of body) h.update(c);
  return h.digest('hex');
}

const GPT_NAMES: Record<string, string> = {
  [GPT_TYPE.efiSystem]: 'EFI System',
  [GPT_TYPE.microsoftBasicData]: 'Basic data',
  [GPT_TYPE.linuxFilesystem]: 'Linux filesystem',
  '8DA63339-0007-60C0-C436-083AC8230908': 'Linux reserved',
};

async function readPartitions(ra: RandomAccess, findings: Finding[]): Promise<{ partitions: PartitionInfo[]; hybridMbr: boolean; gpt: boolean }> {
  const mbr = readMbr(await ra.read(0, SECTOR));
  const hybridMbr = mbr.bootCode.some((b) => b !== 0);
  const gpt = await readGpt(ra).catch(() => null);
  const partitions: PartitionInfo[] = [];
  if (gpt) {
    for (const p of gpt.problems) findings.push({ severity: 'info', code: 'I_INSPECT_GPT', message: p, hint: 'Nothing to do for a stick: the table describes the image that was written.' });
    for (const [i, p] of gpt.table.partitions.entries()) {
      if (!p) continue;
      const info: PartitionInfo = { number: i + 1, scheme: 'gpt', type: GPT_NAMES[p.typeGuid] ?? p.typeGuid, name: p.name, firstByte: p.firstLba * SECTOR, bytes: (p.lastLba - p.firstLba + 1) * SECTOR };
      await describeFilesystem(ra, info);
      partitions.push(info);
    }
  } else {
    for (const [i, p] of mbr.partitions.entries()) {
      if (!p || p.type === 0xee) continue;
      const info: PartitionInfo = { number: i + 1, scheme: 'mbr', type: `0x${p.type.toString(16).padStart(2, '0')}`, name: '', firstByte: p.firstLba * SECTOR, bytes: p.sectors * SECTOR };
      await describeFilesystem(ra, info);
      partitions.push(info);
    }
  }
  return { partitions, hybridMbr, gpt: gpt !== null };
}

/** FAT or exFAT on a partition: say which and list its files (the standalone stick's p5-p7). */
async function describeFilesystem(ra: RandomAccess, info: PartitionInfo): Promise<void> {
  if (info.firstByte + info.bytes > ra.size) return;
  let volume: FsVolume | null = null;
  for (const open of [openFat, openExfat]) {
    volume = await open(ra, info.firstByte).catch(() => null);
    if (volume) break;
  }
  if (!volume) return;
  info.content = `${volume.type.toUpperCase()}${volume.label ? ` "${volume.label}"` : ''}`;
  info.files = (await volume.list()).filter((e) => !e.isDirectory).slice(0, 200).map((e) => ({ path: e.path, size: e.size }));
}
