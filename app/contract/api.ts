import { z } from 'zod';
import { ErrorInfoSchema, ProgressEventSchema, type ErrorInfo } from './jobs';
import { CacheEntrySchema, DownloadRequestSchema, DownloadResultSchema, ImportRequestSchema, ReleaseIdSchema, ReleaseListSchema, VerifyResultSchema } from './catalog';
import { SettingsInfoSchema, SettingsPatchSchema } from './settings';
import { EmbeddedFileSchema, ProfilePreviewSchema, ProfileSchema } from './profile';
import { DriveSchema, EjectResultSchema, FlashTargetSchema, RestoreFilesystemSchema, RestoreResultSchema, SafetyFindingSchema, WriteResultSchema } from './drives';
import { BootChainInfoSchema, BuildCheckSchema, BuildResultSchema, FindingSchema } from './build';
import { InspectionSchema } from './inspect';

/**
 * The one map of everything the UI may ask of the engine and hear from it. Main registers every
 * handler through one gate built from this map (main/gate.ts), the preload builds `window.emt` from
 * its keys (main/preload.ts), and the Playwright bridge serves the same map over HTTP. A call that
 * is not here does not exist for the UI.
 *
 * Calls are `namespace.method(...args) → Promise<result>`. A *job* is a long call (download, build,
 * write): its first argument is a job id the UI picks, its progress arrives as `jobProgress`
 * events tagged with that id, and `jobs.cancel(id)` aborts it (the call then rejects with
 * E_CANCELLED). A failed call rejects with a plain `ErrorInfo` object `{code, message, hint}`:
 * only plain data crosses Electron's context bridge intact, so it is deliberately not an Error.
 */

export interface CallSpec<A extends readonly z.ZodType[] = readonly z.ZodType[], R extends z.ZodType = z.ZodType, K extends 'call' | 'job' = 'call' | 'job'> {
  readonly kind: K;
  /** Schemas of the arguments after the job id (jobs) or of all arguments (calls). */
  readonly args: A;
  readonly result: R;
}

export function call<const A extends readonly z.ZodType[], R extends z.ZodType>(args: A, result: R): CallSpec<A, R, 'call'> {
  return { kind: 'call', args, result };
}

export function job<const A extends readonly z.ZodType[], R extends z.ZodType>(args: A, result: R): CallSpec<A, R, 'job'> {
  return { kind: 'job', args, result };
}

export type ContractMap = Record<string, Record<string, CallSpec>>;
export type EventMap = Record<string, z.ZodType>;

/** A job id: chosen by the UI, unique per job, safe to put in a log line. */
export const JobIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
export type JobId = z.infer<typeof JobIdSchema>;

export const JobProgressSchema = z.object({ jobId: JobIdSchema, event: ProgressEventSchema });
export type JobProgress = z.infer<typeof JobProgressSchema>;

/** Why a file is being picked: decides the dialog's filters and whether its text comes back. */
export const PickPurposeSchema = z.enum(['certificate', 'config', 'installer', 'profile', 'release', 'osImage', 'bootChain', 'userApps', 'inspect', 'output', 'report']);
export type PickPurpose = z.infer<typeof PickPurposeSchema>;

/** A file chosen in a native dialog. `text` is there for small text files (certificates, configs, profiles). */
export const PickedFileSchema = z.object({
  path: z.string(),
  name: z.string(),
  size: z.number().int().nonnegative(),
  text: z.string().optional(),
});
export type PickedFile = z.infer<typeof PickedFileSchema>;

export const AppInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  platform: z.enum(['linux', 'win32', 'darwin', 'other']),
  /** Where the persistent log is written ("Open logs" shows it). */
  logFile: z.string(),
  /** True when the shell runs in a browser through the test bridge rather than in Electron. */
  isTestBridge: z.boolean(),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

/** Only https links leave the app, and only to hosts main allows (main/external-links.ts). */
export const ExternalUrlSchema = z.url({ protocol: /^https$/ });

/** What the application menu asks the UI to show. */
export const MenuCommandSchema = z.enum(['settings', 'inspect', 'restore', 'about']);
export type MenuCommand = z.infer<typeof MenuCommandSchema>;

/** A drive as the drive picker shows it: with what the safety rules say about writing this image to it. */
export const DriveListingSchema = z.object({ drive: DriveSchema, findings: z.array(SafetyFindingSchema) });
export type DriveListing = z.infer<typeof DriveListingSchema>;

/** A profile read from a file or a dropped text, with what the reader noticed. */
export const LoadedProfileSchema = z.object({
  profile: ProfileSchema,
  /** The file it came from; null for a dropped or pasted text. */
  path: z.string().nullable(),
  format: z.enum(['yaml', 'json']),
  /** The file was written by an older version and was upgraded on load. */
  migratedFrom: z.number().int().nullable(),
  findings: z.array(FindingSchema),
});
export type LoadedProfile = z.infer<typeof LoadedProfileSchema>;

/**
 * A profile as the form holds it while the user types: it may be incomplete (an import chosen but
 * its file not given yet). The engine parses it itself and reports what is missing as findings on
 * the fields, the way it reports every other problem, instead of the gate refusing the call.
 */
export const ProfileDraftSchema = z.unknown();

export const InstallerBundleSchema = z.object({
  files: z.array(EmbeddedFileSchema),
  /** Files beside install-os.sh that were not taken (units, docs, binaries). */
  skipped: z.array(z.string()),
  from: z.string(),
});
export type InstallerBundle = z.infer<typeof InstallerBundleSchema>;

/** What the user asked to build. The standalone password travels here only, never in the profile. */
export const BuildRequestSchema = z.object({
  releaseId: ReleaseIdSchema,
  /** null: the release as published, with our boot menu only. */
  profile: ProfileSchema.nullable(),
  /** Where the ISO goes (a path chosen in a save dialog). */
  output: z.string().min(1),
  password: z.string().optional(),
  /** The profile's file, if it was opened or saved: its relative paths (OS image, user apps) start there. */
  profilePath: z.string().nullable().optional(),
  /** A signed boot chain folder (shim + signed GRUB) for Secure Boot; null or absent: the kit's unsigned GRUB. */
  bootChainDir: z.string().min(1).nullable().optional(),
});
export type BuildRequest = z.infer<typeof BuildRequestSchema>;

/** What Review checks: the build request without where it goes and without the password (typed later, at Build). */
export const BuildCheckRequestSchema = BuildRequestSchema.omit({ output: true, password: true });
export type BuildCheckRequest = z.infer<typeof BuildCheckRequestSchema>;

/** Where the bytes of a write come from: the build of this session, or an existing image file. */
export const WriteSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('build'), output: z.string().min(1) }),
  z.object({ kind: z.literal('file'), path: z.string().min(1) }),
]);
export type WriteSource = z.infer<typeof WriteSourceSchema>;

export const WriteRequestSchema = z.object({
  source: WriteSourceSchema,
  targets: z.array(FlashTargetSchema).min(1),
  verify: z.boolean(),
  eject: z.boolean(),
  /** The user said yes to every warning the picker showed. */
  acceptWarnings: z.boolean(),
});
export type WriteRequest = z.infer<typeof WriteRequestSchema>;

/** Sticks to power down so they can be unplugged (the Done screen, when a write did not eject them). */
export const EjectRequestSchema = z.object({ targets: z.array(FlashTargetSchema).min(1) });
export type EjectRequest = z.infer<typeof EjectRequestSchema>;

export const RestoreRequestSchema = z.object({ target: FlashTargetSchema, filesystem: RestoreFilesystemSchema, label: z.string().min(1).max(11), eject: z.boolean(), acceptWarnings: z.boolean() });
export type RestoreRequest = z.infer<typeof RestoreRequestSchema>;

export const contract = {
  app: {
    info: call([], AppInfoSchema),
  },
  shell: {
    openExternal: call([ExternalUrlSchema], z.void()),
    openLogs: call([], z.void()),
    showInFolder: call([z.string().min(1)], z.void()),
  },
  dialogs: {
    openFile: call([PickPurposeSchema], PickedFileSchema.nullable()),
    openFolder: call([PickPurposeSchema], z.string().nullable()),
    saveFile: call([PickPurposeSchema, z.string().min(1)], z.string().nullable()),
    /** Asks where to save, then writes `text` there: the page never names a path to write to. */
    saveText: call([PickPurposeSchema, z.string().min(1), z.string().max(16 << 20)], z.string().nullable()),
  },
  jobs: {
    cancel: call([JobIdSchema], z.boolean()),
  },
  settings: {
    get: call([], SettingsInfoSchema),
    update: call([SettingsPatchSchema], SettingsInfoSchema),
  },
  releases: {
    list: call([], ReleaseListSchema),
    download: job([DownloadRequestSchema], DownloadResultSchema),
    import: job([ImportRequestSchema], CacheEntrySchema),
    verify: job([ReleaseIdSchema], VerifyResultSchema),
  },
  profiles: {
    /**
     * Findings for every field plus the plain-language summary: called as the user types. The
     * second argument is the profile's file, where its relative paths start (null: not saved).
     */
    check: call([ProfileDraftSchema, z.string().nullable()], ProfilePreviewSchema),
    load: call([z.string().min(1)], LoadedProfileSchema),
    parse: call([z.string(), z.enum(['yaml', 'json'])], LoadedProfileSchema),
    /** The EMT-S installer scripts from a folder or a tarball the user picked. */
    readInstaller: call([z.string().min(1)], InstallerBundleSchema),
    /** Refuses an incomplete draft with E_PROFILE_INCOMPLETE naming the first missing field. */
    save: call([z.string().min(1), ProfileDraftSchema], z.void()),
  },
  drives: {
    /**
     * Every drive, system drives included (the picker hides them), judged by the safety rules for
     * what would be written: the engine knows how big that is (a standalone stick needs more than
     * its ISO). null: judged without a size (the Restore tool).
     */
    list: call([WriteSourceSchema.nullable()], z.array(DriveListingSchema)),
  },
  build: {
    run: job([BuildRequestSchema], BuildResultSchema),
    /**
     * Everything the build would refuse or warn about, checked against the release itself (as
     * `emt-media profile validate --release` does), with the Secure Boot status and the space the
     * media needs. A job: the first check of a release reads it whole (seconds); later ones use
     * the prepared copy in the cache.
     */
    check: job([BuildCheckRequestSchema], BuildCheckSchema),
    /** Reads a signed boot chain folder: its files, whether each is signed, and by whom. */
    bootChain: call([z.string().min(1)], BootChainInfoSchema),
  },
  flash: {
    write: job([WriteRequestSchema], WriteResultSchema),
    restore: job([RestoreRequestSchema], RestoreResultSchema),
    /** Unmounts and powers sticks down through the privileged writer, which checks each one again. */
    eject: job([EjectRequestSchema], EjectResultSchema),
  },
  tools: {
    /**
     * Reads an ISO or a stick (its device) back and checks every file against its manifest. A
     * device is read by the privileged writer when this process may not read devices itself.
     */
    inspect: job([z.string().min(1)], InspectionSchema),
  },
} as const satisfies ContractMap;

export const events = {
  jobProgress: JobProgressSchema,
  menuCommand: MenuCommandSchema,
} as const satisfies EventMap;

export type Contract = typeof contract;
export type Events = typeof events;

type InputsOf<A extends readonly z.ZodType[]> = { -readonly [K in keyof A]: z.input<A[K]> };
export type OutputsOf<A extends readonly z.ZodType[]> = { -readonly [K in keyof A]: z.output<A[K]> };

/** How the UI calls one entry: jobs take their job id first. */
export type ClientFn<S> =
  S extends CallSpec<infer A, infer R, infer K>
    ? K extends 'job'
      ? (jobId: JobId, ...args: InputsOf<A>) => Promise<z.output<R>>
      : (...args: InputsOf<A>) => Promise<z.output<R>>
    : never;

export type EventMethodName<K extends string> = `on${Capitalize<K>}`;

/** `window.emt`: every call of the contract, and `onXxx(cb) → unsubscribe` for every event. */
export type EmtApi<C extends ContractMap = Contract, E extends EventMap = Events> = {
  readonly [N in keyof C]: { readonly [M in keyof C[N]]: ClientFn<C[N][M]> };
} & {
  readonly [K in keyof E & string as EventMethodName<K>]: (listener: (payload: z.output<E[K]>) => void) => () => void;
};

/** IPC channel of a call; one prefix so that the gate and preload reject anything else. */
export function callChannel(namespace: string, method: string): string {
  return `emt:${namespace}.${method}`;
}

export function eventChannel(name: string): string {
  return `emt:event:${name}`;
}

export function eventMethodName<K extends string>(name: K): EventMethodName<K> {
  return `on${name.charAt(0).toUpperCase()}${name.slice(1)}` as EventMethodName<K>;
}

/** Every call as `[namespace, method, spec]`, in a stable order. */
export function listCalls<C extends ContractMap>(c: C): Array<[string, string, CallSpec]> {
  return Object.entries(c).flatMap(([ns, methods]) => Object.entries(methods).map(([m, spec]): [string, string, CallSpec] => [ns, m, spec]));
}

/** Arguments as they cross the wire: a tuple checked element by element, nothing extra allowed. */
export function argsSchema(spec: CallSpec): z.ZodType<unknown[]> {
  const items = spec.kind === 'job' ? [JobIdSchema, ...spec.args] : [...spec.args];
  return items.length === 0 ? z.tuple([]) : z.tuple(items as [z.ZodType, ...z.ZodType[]]);
}

/** The answer of the gate to one call: the preload and the bridge unwrap it. */
export type CallOutcome = { ok: true; value: unknown } | { ok: false; error: ErrorInfo };

export const CallOutcomeSchema = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: ErrorInfoSchema }),
]);

/** Turn whatever a rejected call gave into ErrorInfo (the UI shows code, message and hint). */
export function toErrorInfo(e: unknown): ErrorInfo {
  const parsed = ErrorInfoSchema.safeParse(e);
  if (parsed.success) return parsed.data;
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'E_INTERNAL', message, hint: 'This is a bug in EMT Media Builder. Save the log and report it.' };
}
