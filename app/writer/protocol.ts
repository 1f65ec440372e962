import { z } from 'zod';
import { EjectResultSchema, FlashTargetSchema, RestoreFilesystemSchema, RestoreResultSchema, SafetyFindingSchema, WriteResultSchema } from '../contract/drives';
import { MediaInspectionSchema } from '../contract/inspect';
import { ErrorInfoSchema, ProgressEventSchema } from '../contract/jobs';

/**
 * The writer protocol: newline-delimited JSON, one object per line, over the writer's stdio (or,
 * where an elevated process cannot inherit stdio — Windows UAC — over the socket named by
 * `--ipc`). One job per writer process. The bytes to write never travel here (see SourceSchema).
 * Besides writing it does what only root may do to a stick and that changes nothing on it:
 * powering it down (eject) and reading it back (inspect).
 */
export const PROTOCOL_VERSION = 1;

const RangeSchema = z.object({ offset: z.number().int().nonnegative(), length: z.number().int().nonnegative() });

/** A file the writer reads source bytes from, as it was when the job was made. */
const MapFileSchema = z.object({ path: z.string().min(1), size: z.number().int().nonnegative(), mtimeMs: z.number() });
/** Bytes [offset, offset+length) of the source are bytes [at, at+length) of files[file]; file -1: zeros. */
const MapEntrySchema = z.object({ offset: z.number().int().nonnegative(), length: z.number().int().positive(), file: z.number().int().min(-1), at: z.number().int().nonnegative() });
export const MAP_MAX_FILES = 1024;
/** What the app sends on the data socket of a map source once its checks of the content have passed. */
export const CHECKS_PASSED = Buffer.from('checks-passed\n');
export const MAP_MAX_ENTRIES = 1 << 16;

/**
 * Where the writer gets the source bytes: from the socket (a UNIX socket path or a Windows named
 * pipe, with a one-time token) that the unprivileged side streams any ByteSource into; or, when the
 * source is a plain file, by reading the file itself with the rights of the user who asked; or, for
 * media composed from files (a stick: the release, the OS image, a small file of everything else),
 * by reading those files itself along a map, the socket carrying only the app's word that its own
 * checks of the content (the OS image's .sha256sum) passed, before the stick is finished.
 */
export const SourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('socket'), socket: z.string().min(1), token: z.string().min(16) }),
  z.object({ kind: z.literal('file'), path: z.string().min(1) }),
  z.object({
    kind: z.literal('map'),
    socket: z.string().min(1),
    token: z.string().min(16),
    files: z.array(MapFileSchema).min(1).max(MAP_MAX_FILES),
    map: z.array(MapEntrySchema).min(1).max(MAP_MAX_ENTRIES),
  }),
]);
export type Source = z.infer<typeof SourceSchema>;
export type MapSource = Extract<Source, { kind: 'map' }>;

const TargetsJobBase = {
  targets: z.array(FlashTargetSchema).min(1),
  size: z.number().int().nonnegative(),
  unused: z.array(RangeSchema),
  source: SourceSchema,
  /** Paths of the source and of the cache: the writer refuses the drives holding them. */
  sourcePaths: z.array(z.string()),
  cachePaths: z.array(z.string()),
  /** Loop devices and image files to accept as drives; anything else named here is refused. */
  testTargets: z.array(z.string()),
  acceptWarnings: z.boolean(),
  eject: z.boolean(),
};

export const WriteJobSchema = z.object({ type: z.literal('write'), verify: z.boolean(), ...TargetsJobBase });
export type WriteJob = z.infer<typeof WriteJobSchema>;

export const VerifyJobSchema = z.object({ type: z.literal('verify'), ...TargetsJobBase });
export type VerifyJob = z.infer<typeof VerifyJobSchema>;

export const RestoreJobSchema = z.object({
  type: z.literal('restore'),
  target: FlashTargetSchema,
  filesystem: RestoreFilesystemSchema,
  label: z.string(),
  cachePaths: z.array(z.string()),
  testTargets: z.array(z.string()),
  acceptWarnings: z.boolean(),
  eject: z.boolean(),
});
export type RestoreJob = z.infer<typeof RestoreJobSchema>;

/** Unmount and power down sticks after a write that did not eject them. */
export const EjectJobSchema = z.object({
  type: z.literal('eject'),
  targets: z.array(FlashTargetSchema).min(1),
  /** A drive holding the cache is not pulled away from under it. */
  cachePaths: z.array(z.string()),
  testTargets: z.array(z.string()),
});
export type EjectJob = z.infer<typeof EjectJobSchema>;

/** Read a stick back and check it against its manifest: what a user may not read on their own. */
export const InspectJobSchema = z.object({
  type: z.literal('inspect'),
  target: FlashTargetSchema,
  testTargets: z.array(z.string()),
});
export type InspectJob = z.infer<typeof InspectJobSchema>;

export const RequestSchema = z.discriminatedUnion('type', [
  WriteJobSchema,
  VerifyJobSchema,
  RestoreJobSchema,
  EjectJobSchema,
  InspectJobSchema,
  z.object({ type: z.literal('cancel') }),
  /** The parent's heartbeat: without one for a while the writer assumes its parent is gone. */
  z.object({ type: z.literal('ping') }),
]);
export type Request = z.infer<typeof RequestSchema>;
export type Job = WriteJob | VerifyJob | RestoreJob | EjectJob | InspectJob;

export const WriterEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), version: z.literal(PROTOCOL_VERSION), pid: z.number(), isRoot: z.boolean() }),
  z.object({ type: z.literal('heartbeat') }),
  z.object({ type: z.literal('progress'), event: ProgressEventSchema }),
  z.object({ type: z.literal('findings'), device: z.string(), findings: z.array(SafetyFindingSchema) }),
  z.object({ type: z.literal('write-result'), result: WriteResultSchema }),
  z.object({ type: z.literal('restore-result'), result: RestoreResultSchema }),
  z.object({ type: z.literal('eject-result'), result: EjectResultSchema }),
  /** Only media (an ISO 9660 at the start of the stick) is read: never a release or anything else. */
  z.object({ type: z.literal('inspect-result'), result: MediaInspectionSchema }),
  /** The job as a whole failed (bad request, no drive list); per-stick failures are in the result. */
  z.object({ type: z.literal('error'), error: ErrorInfoSchema }),
]);
export type WriterEvent = z.infer<typeof WriterEventSchema>;
