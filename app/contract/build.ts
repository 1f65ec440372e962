import { z } from 'zod';
import { ErrorInfoSchema } from './jobs';

/** Whether the media can boot with UEFI Secure Boot enabled, and why. */
export const SecureBootStatusSchema = z.object({
  /** `off-required`: the kit's unsigned GRUB; `possible`: a signed shim chain was supplied. */
  state: z.enum(['off-required', 'possible']),
  /** One plain sentence for people ("Turn Secure Boot off in the firmware setup before booting."). */
  explanation: z.string(),
  bootChain: z
    .object({
      source: z.string(),
      files: z.array(z.object({ name: z.string(), sha256: z.string(), isSigned: z.boolean() })),
    })
    .optional(),
});
export type SecureBootStatus = z.infer<typeof SecureBootStatusSchema>;

export const ManifestFileSchema = z.object({
  path: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  mode: z.string().regex(/^[0-7]{3,4}$/).optional(),
});
export type ManifestFile = z.infer<typeof ManifestFileSchema>;

/**
 * `/emt-media.json` on every ISO: what was built from what. Never contains a secret (no password,
 * no private key); `inspect` reads it back and checks every hash.
 */
export const BuildManifestSchema = z.object({
  schema: z.literal('emt-media/manifest@1'),
  tool: z.object({ name: z.literal('emt-media-builder'), version: z.string() }),
  builtAt: z.string(),
  release: z.object({
    id: z.string().optional(),
    source: z.string(),
    layout: z.enum(['bootkit', 'plain']),
    kernel: z.object({ name: z.string(), size: z.number(), sha256: z.string() }),
    initramfs: z.object({ name: z.string(), size: z.number(), sha256: z.string() }),
  }),
  mode: z.enum(['emf', 'standalone', 'none']),
  profileDigest: z.string().optional(),
  kernelCommandLine: z.string(),
  bootLoader: z.object({ kit: z.string(), packages: z.array(z.object({ name: z.string(), version: z.string() })) }),
  secureBoot: SecureBootStatusSchema,
  overlay: z.array(z.object({ path: z.string(), kind: z.enum(['file', 'dir', 'symlink']), mode: z.string(), sha256: z.string().optional(), target: z.string().optional() })),
  files: z.array(ManifestFileSchema),
});
export type BuildManifest = z.infer<typeof BuildManifestSchema>;

export const FindingSchema = z.object({
  severity: z.enum(['error', 'warning', 'info']),
  code: z.string(),
  message: z.string(),
  hint: z.string(),
  field: z.string().optional(),
});
export type Finding = z.infer<typeof FindingSchema>;

export const StickPartitionSchema = z.object({
  number: z.number().int().positive(),
  name: z.string(),
  firstByte: z.number().nonnegative(),
  bytes: z.number().nonnegative(),
  filesystem: z.string(),
  files: z.array(z.string()),
});
export type StickPartition = z.infer<typeof StickPartitionSchema>;

export const BuildResultSchema = z.object({
  output: z.string(),
  /** `iso` for the hybrid ISO alone; `stick` for the whole standalone stick layout (ISO + partitions 3-7). */
  kind: z.enum(['iso', 'stick']),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
  manifest: BuildManifestSchema,
  findings: z.array(FindingSchema),
  seconds: z.number(),
  /** The stick's partitions, for a standalone stick layout. */
  partitions: z.array(StickPartitionSchema).optional(),
});
export type BuildResult = z.infer<typeof BuildResultSchema>;

/** One file of a signed boot chain, as the engine read it from its PE security directory. */
export const BootChainFileInfoSchema = z.object({
  /** The name on the media: BOOTX64.EFI (shim), grubx64.efi, mmx64.efi. */
  name: z.string(),
  path: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
  /** It carries an Authenticode signature (who trusts the signer is the firmware's business). */
  isSigned: z.boolean(),
  signers: z.array(z.object({ subject: z.string(), issuer: z.string() })),
});
export type BootChainFileInfo = z.infer<typeof BootChainFileInfoSchema>;

/** A folder holding shim + signed GRUB (+ MokManager) that replaces the kit's unsigned GRUB. */
export const BootChainInfoSchema = z.object({
  dir: z.string(),
  files: z.array(BootChainFileInfoSchema),
  /** Shim and GRUB both carry a signature. */
  isSigned: z.boolean(),
  /** The packages the files came from, when the folder has a kit.json (`npm run kit` writes one). */
  packages: z.array(z.object({ name: z.string(), version: z.string() })),
});
export type BootChainInfo = z.infer<typeof BootChainInfoSchema>;

/**
 * What a build would find, without making media: the release read and inspected as the build
 * reads it, the profile rendered against it (its preflight: EMF units, installer tools, yq), the
 * files of a standalone stick, the Secure Boot status of the boot chain and kernel, and the space
 * the media needs.
 */
export const BuildCheckSchema = z.object({
  release: z.object({ name: z.string(), layout: z.enum(['bootkit', 'plain']) }),
  findings: z.array(FindingSchema),
  secureBoot: SecureBootStatusSchema,
  bootChain: BootChainInfoSchema.nullable(),
  media: z.object({
    /** The ISO's exact size; null when an error keeps the media from being laid out. */
    isoBytes: z.number().int().nonnegative().nullable(),
    /** The smallest stick a standalone layout fits on; null for EMF media (the ISO is all). */
    stickMinBytes: z.number().int().nonnegative().nullable(),
  }),
});
export type BuildCheck = z.infer<typeof BuildCheckSchema>;

export const BuildFailureSchema = z.object({ ok: z.literal(false), error: ErrorInfoSchema });
