import { createHash } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PinSchema, type Pin } from '../contract/catalog';
import { readJsonIfExists, writeJsonAtomic } from '../settings/atomic-json';

/**
 * Trust-on-first-use pins: the sha256 a release had when it was first downloaded, keyed by release
 * id and URL. Intel publishes no checksum for Bootkit tarballs, so a later download that differs
 * from the pin is refused until the user re-pins on purpose. Pins outlive the cached files
 * (removing a release from the cache must not forget what it looked like).
 */
export function pinKey(id: string, url: string): string {
  return createHash('sha256').update(`${id}\n${url}`).digest('hex').slice(0, 32);
}

export async function readPin(pinsDir: string, id: string, url: string): Promise<Pin | null> {
  const raw = await readJsonIfExists(join(pinsDir, `${pinKey(id, url)}.json`));
  const pin = raw === null ? null : PinSchema.safeParse(raw);
  return pin?.success ? pin.data : null;
}

export async function writePin(pinsDir: string, pin: Pin): Promise<void> {
  await mkdir(pinsDir, { recursive: true });
  // Not flushed, like all cache metadata (cache.ts): a pin lost in a power cut is taken again.
  await writeJsonAtomic(join(pinsDir, `${pinKey(pin.id, pin.url)}.json`), PinSchema.parse(pin), { isDurable: false });
}

export async function listPins(pinsDir: string): Promise<Pin[]> {
  let names: string[];
  try {
    names = await readdir(pinsDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const pins: Pin[] = [];
  for (const n of names.filter((f) => /^[0-9a-f]{32}\.json$/.test(f))) {
    const p = PinSchema.safeParse(await readJsonIfExists(join(pinsDir, n)));
    if (p.success) pins.push(p.data);
  }
  return pins;
}
