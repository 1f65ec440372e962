import { z } from 'zod';
import { BuildManifestSchema, FindingSchema } from './build';

/** One hash the inspection checked: a file of the media against the manifest. */
export const HashCheckSchema = z.object({
  path: z.string(),
  expected: z.string(),
  actual: z.string().nullable(),
  isOk: z.boolean(),
});
export type HashCheck = z.infer<typeof HashCheckSchema>;

export const PartitionInfoSchema = z.object({
  number: z.number().int().positive(),
  scheme: z.enum(['gpt', 'mbr']),
  type: z.string(),
  name: z.string(),
  firstByte: z.number().nonnegative(),
  bytes: z.number().nonnegative(),
  /** What is on it, when the inspection can tell (ISO 9660, FAT32, exFAT, the ESP). */
  content: z.string().optional(),
  files: z.array(z.object({ path: z.string(), size: z.number() })).optional(),
});
export type PartitionInfo = z.infer<typeof PartitionInfoSchema>;

/** What `inspect` says about an ISO or a stick written by this tool (or any hybrid ISO). */
export const MediaInspectionSchema = z.object({
  kind: z.literal('media'),
  path: z.string(),
  size: z.number(),
  volumeId: z.string(),
  /** Null when the image has no /emt-media.json (not made by this tool). */
  manifest: BuildManifestSchema.nullable(),
  checks: z.array(HashCheckSchema),
  /** Every file hash matches the manifest (false when there is no manifest). */
  isVerified: z.boolean(),
  boot: z.object({
    bios: z.boolean(),
    uefi: z.boolean(),
    hybridMbr: z.boolean(),
    gpt: z.boolean(),
  }),
  partitions: z.array(PartitionInfoSchema),
  /** The customization as found in /boot/custom.img. */
  overlay: z.array(z.object({ path: z.string(), kind: z.string(), mode: z.string(), size: z.number() })),
  findings: z.array(FindingSchema),
});
export type MediaInspection = z.infer<typeof MediaInspectionSchema>;

export const InitramfsInspectionSchema = z.object({
  kind: z.literal('initramfs'),
  path: z.string(),
  size: z.number(),
  layout: z.enum(['bootkit', 'plain']).nullable(),
  reason: z.string(),
  segments: z.array(z.object({ offset: z.number(), length: z.number(), compression: z.string(), entries: z.number(), problems: z.array(z.string()) })),
  entryCount: z.number(),
  hooksDir: z.string().nullable(),
  rootfs: z
    .object({
      entries: z.number(),
      unpackedBytes: z.number(),
      units: z.array(z.object({ name: z.string(), wantedBy: z.array(z.string()), isMasked: z.boolean() })),
      binaries: z.array(z.string()),
    })
    .nullable(),
  findings: z.array(FindingSchema),
});
export type InitramfsInspection = z.infer<typeof InitramfsInspectionSchema>;

export const InspectionSchema = z.discriminatedUnion('kind', [MediaInspectionSchema, InitramfsInspectionSchema]);
export type Inspection = z.infer<typeof InspectionSchema>;
