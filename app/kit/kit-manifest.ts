import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { EmtError } from '../errors';

/**
 * `kit.json`: what a boot loader kit folder holds and where each file came from. Written by
 * `npm run kit` (scripts/kit/kit-maker.ts), read by locateKit and readBootChain. The same shape
 * describes the boot loader kit (`kind: boot-kit`) and a signed boot chain (`kind: boot-chain`).
 */
export const KIT_SCHEMA_VERSION = 1;
export const KIT_MANIFEST_NAME = 'kit.json';

/** What each file is for; the media layer asks for files by role, never by path. */
export const KitRoleSchema = z.enum([
  // boot-kit
  'uefi-grub', // GRUB for CDs: finds the disc by /.disk/info, reads /boot/grub/grub.cfg
  'bios-isolinux', // El Torito no-emulation boot image
  'bios-hybrid-mbr', // isohybrid MBR code (432 bytes)
  'bios-ldlinux', // ISOLINUX's second stage, required since syslinux 5
  // boot-chain
  'shim',
  'grub',
  'mok-manager',
]);
export type KitRole = z.infer<typeof KitRoleSchema>;

const relativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split('/').some((s) => s === '..' || s === '.' || s === ''), 'must be a plain relative path');

export const KitPackageSchema = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  architecture: z.string().min(1),
  /** `installed`: copied from the machine's installed package; `download`: from the .deb. */
  source: z.enum(['installed', 'download']),
});
export type KitPackage = z.infer<typeof KitPackageSchema>;

export const KitFileSchema = z.object({
  role: KitRoleSchema,
  path: relativePath,
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  origin: z.object({ package: z.string().min(1), path: z.string().startsWith('/') }),
});
export type KitFile = z.infer<typeof KitFileSchema>;

export const KitManifestSchema = z.object({
  schemaVersion: z.literal(KIT_SCHEMA_VERSION),
  kind: z.enum(['boot-kit', 'boot-chain']),
  createdAt: z.iso.datetime(),
  packages: z.array(KitPackageSchema).min(1),
  files: z.array(KitFileSchema).min(1),
});
export type KitManifest = z.infer<typeof KitManifestSchema>;

export async function sha256OfFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Reads and checks `<dir>/kit.json`; null when there is none. Corrupt or wrong-kind manifests throw E_KIT_CORRUPT. */
export async function readKitManifest(dir: string, kind: KitManifest['kind']): Promise<KitManifest | null> {
  const path = join(dir, KIT_MANIFEST_NAME);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw corrupt(dir, `${path} is not valid JSON.`);
  }
  const r = KitManifestSchema.safeParse(parsed);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw corrupt(dir, `${path} does not describe a kit (${issue?.path.join('.') || 'root'}: ${issue?.message}).`);
  }
  if (r.data.kind !== kind) throw corrupt(dir, `${path} describes a ${r.data.kind}, not a ${kind}.`);
  return r.data;
}

/** Checks every listed file's size and sha256 against the manifest; throws E_KIT_CORRUPT naming the first bad file. */
export async function verifyKitFiles(dir: string, manifest: KitManifest): Promise<void> {
  for (const f of manifest.files) {
    const path = join(dir, f.path);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      throw corrupt(dir, `The kit file ${f.path} is missing.`, { file: f.path });
    }
    if (size !== f.size) {
      throw corrupt(dir, `The kit file ${f.path} has ${size} bytes; the manifest says ${f.size}.`, { file: f.path, expectedSize: f.size, actualSize: size });
    }
    const sha256 = await sha256OfFile(path);
    if (sha256 !== f.sha256) {
      throw corrupt(dir, `The kit file ${f.path} has sha256 ${sha256}; the manifest expects ${f.sha256}.`, { file: f.path, expected: f.sha256, actual: sha256 });
    }
  }
}

function corrupt(dir: string, message: string, details: Record<string, unknown> = {}): EmtError {
  return new EmtError('E_KIT_CORRUPT', message, `Make the kit again: run \`npm run kit\` in a checkout, or reinstall EMT Media Builder (kit folder: ${dir}).`, {
    details: { dir, ...details },
  });
}
