import { z } from 'zod';
import { ErrorInfoSchema } from './jobs';

/**
 * Drives, the safety findings about writing to them, and the per-stick results of a write, a
 * verify or a restore: what the engine hands to the GUI and what `emt-media ... --json` prints.
 */

export const PartitionSchema = z.object({
  device: z.string(),
  size: z.number().nonnegative(),
  label: z.string().nullable(),
  fsType: z.string().nullable(),
  mountpoints: z.array(z.string()),
});
export type Partition = z.infer<typeof PartitionSchema>;

/** `loop` and `file` exist only as test targets (EMT_TEST_TARGETS / the `testTargets` setting). */
export const DriveKindSchema = z.enum(['disk', 'loop', 'file']);
export type DriveKind = z.infer<typeof DriveKindSchema>;

/**
 * Why a drive counts as a system drive: `fixed` = an internal, non-removable disk (hidden unless
 * the user types its name); `in-use` = it holds the running system (`/`, `/boot`, swap …), which
 * nothing can override.
 */
export const SystemReasonSchema = z.enum(['fixed', 'in-use']);
export type SystemReason = z.infer<typeof SystemReasonSchema>;

export const DriveSchema = z.object({
  /** The path to open: `/dev/sdb`, `/dev/disk4`, `\\.\PhysicalDrive2`, or a test image file. */
  device: z.string(),
  /** What the user reads, and types to confirm a system drive. Test targets start with "TEST TARGET". */
  name: z.string(),
  description: z.string(),
  size: z.number().nonnegative(),
  /** USB, SATA, NVME, SD, SCSI, VIRTIO, LOOP, FILE, UNKNOWN … */
  bus: z.string(),
  kind: DriveKindSchema,
  logicalBlockSize: z.number().int().positive(),
  isRemovable: z.boolean(),
  isReadOnly: z.boolean(),
  isSystem: z.boolean(),
  systemReason: SystemReasonSchema.nullable(),
  isTestTarget: z.boolean(),
  /** Every mount point on the drive, partitions included. */
  mountpoints: z.array(z.string()),
  partitions: z.array(PartitionSchema),
});
export type Drive = z.infer<typeof DriveSchema>;

/**
 * One thing the safety rules found about a target. `error` blocks; `confirm` blocks until the
 * user types the drive's name; `warning` needs an explicit yes; `info` is shown before writing.
 */
export const FindingSeveritySchema = z.enum(['error', 'confirm', 'warning', 'info']);
export type FindingSeverity = z.infer<typeof FindingSeveritySchema>;

export const SafetyFindingSchema = z.object({
  code: z.string().regex(/^[EWI]_[A-Z0-9_]+$/),
  severity: FindingSeveritySchema,
  message: z.string(),
  hint: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type SafetyFinding = z.infer<typeof SafetyFindingSchema>;

/** What the user chose for one stick. */
export const FlashTargetSchema = z.object({
  device: z.string(),
  /** The drive's name as typed by the user: needed to write a `fixed` system drive. */
  typedName: z.string().optional(),
});
export type FlashTarget = z.infer<typeof FlashTargetSchema>;

export const FlashPhaseSchema = z.enum(['check', 'unmount', 'write', 'flush', 'verify', 'eject', 'wipe', 'restore', 'done']);
export type FlashPhase = z.infer<typeof FlashPhaseSchema>;

/** How one stick ended. `ok` means written and (when asked) verified, byte for byte. */
export const TargetResultSchema = z.object({
  device: z.string(),
  name: z.string(),
  ok: z.boolean(),
  /** The phase the stick was in when it finished or failed. */
  phase: FlashPhaseSchema,
  bytesWritten: z.number().nonnegative(),
  /** Bytes read back from the device and found equal. Skipped (unused) ranges never count. */
  bytesVerified: z.number().nonnegative(),
  /** Bytes of the source declared unused (free filesystem space) and neither written nor verified. */
  bytesSkipped: z.number().nonnegative(),
  isVerified: z.boolean(),
  /** False when the target cannot be read around the OS cache (an image file on tmpfs). */
  isCacheBypassed: z.boolean(),
  isEjected: z.boolean(),
  /** After a failure or cancel: the first MiB (and the end) were zeroed, so the stick cannot boot. */
  isWiped: z.boolean(),
  writeSeconds: z.number().nonnegative(),
  verifySeconds: z.number().nonnegative(),
  findings: z.array(SafetyFindingSchema),
  error: ErrorInfoSchema.nullable(),
});
export type TargetResult = z.infer<typeof TargetResultSchema>;

export const WriteResultSchema = z.object({
  ok: z.boolean(),
  size: z.number().nonnegative(),
  targets: z.array(TargetResultSchema),
  /** Peak resident memory of the writer process. */
  writerMaxRssBytes: z.number().nonnegative(),
});
export type WriteResult = z.infer<typeof WriteResultSchema>;

export const RestoreFilesystemSchema = z.enum(['fat32', 'exfat']);
export type RestoreFilesystem = z.infer<typeof RestoreFilesystemSchema>;

export const RestoreResultSchema = z.object({
  device: z.string(),
  name: z.string(),
  filesystem: RestoreFilesystemSchema,
  label: z.string(),
  /** Null where the OS tool places the partition itself and does not say (macOS diskutil). */
  partitionOffset: z.number().nonnegative().nullable(),
  partitionSize: z.number().nonnegative().nullable(),
  isEjected: z.boolean(),
});
export type RestoreResult = z.infer<typeof RestoreResultSchema>;

/** How one stick ended an eject: powered down (it may be unplugged), or why not. */
export const EjectTargetResultSchema = z.object({
  device: z.string(),
  name: z.string(),
  isEjected: z.boolean(),
  error: ErrorInfoSchema.nullable(),
});
export type EjectTargetResult = z.infer<typeof EjectTargetResultSchema>;

export const EjectResultSchema = z.object({ targets: z.array(EjectTargetResultSchema) });
export type EjectResult = z.infer<typeof EjectResultSchema>;
