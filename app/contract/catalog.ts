import { z } from 'zod';
import { ErrorInfoSchema } from './jobs';

/**
 * Release catalogs, the release cache and downloads, as the UI and the CLI see them. The engine
 * side lives in app/release/; a catalog file on disk or on a server is a `Catalog` document.
 */
export const CATALOG_SCHEMA_VERSION = 1;

/** Lower-case, file-name safe: ids become folder names in the cache. */
export const ReleaseIdSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, 'Release ids are lower-case letters, digits, ".", "_" and "-"');
export const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'A sha256 is 64 lower-case hex digits');
const HttpUrlSchema = z.url({ protocol: /^https?$/ });
/** Build date as published in the file names: YYYYMMDD. */
const BuildDateSchema = z.string().regex(/^20\d\d(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$/, 'Build dates are YYYYMMDD');

const ReleaseCommonShape = {
  id: ReleaseIdSchema,
  name: z.string().min(1),
  /** Release line (`26.06`, `3.0`, `next`); absent for Bootkit builds published before release lines. */
  line: z.string().regex(/^[A-Za-z0-9._-]+$/).optional(),
  buildDate: BuildDateSchema,
  url: HttpUrlSchema,
  size: z.number().int().positive().optional(),
  /** Expected sha256 of the file at `url`. Intel publishes none for Bootkit tarballs. */
  sha256: Sha256Schema.optional(),
  notes: z.string().optional(),
};

/** An Edge Microvisor Bootkit (EMT-Tink) tarball: `emb_uos_x86_64_YYYYMMDD.tar.gz`. */
export const BootkitReleaseSchema = z.object({ kind: z.literal('bootkit'), ...ReleaseCommonShape });
export type BootkitRelease = z.infer<typeof BootkitReleaseSchema>;

/** An EMT OS image (`edge-readonly-*.raw.gz`) that the standalone installer writes to the node's disk. */
export const OsImageReleaseSchema = z.object({
  kind: z.literal('os-image'),
  ...ReleaseCommonShape,
  variant: z.enum(['nrt', 'dv']),
  isSigned: z.boolean(),
  /** The published `<image>.sha256sum` (first field = hash). */
  sha256Url: HttpUrlSchema,
  /** Secure Boot DB certificate (`*-signed.der`) for Intel-signed images. */
  secureBootCertUrl: HttpUrlSchema.optional(),
});
export type OsImageRelease = z.infer<typeof OsImageReleaseSchema>;

export const CatalogReleaseSchema = z.discriminatedUnion('kind', [BootkitReleaseSchema, OsImageReleaseSchema]);
export type CatalogRelease = z.infer<typeof CatalogReleaseSchema>;

export const CatalogSchema = z
  .object({
    schemaVersion: z.literal(CATALOG_SCHEMA_VERSION),
    name: z.string().min(1),
    /** ISO date of the last edit (information only). */
    updated: z.string().optional(),
    releases: z.array(CatalogReleaseSchema),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.releases.forEach((r, i) => {
      if (seen.has(r.id)) ctx.addIssue({ code: 'custom', path: ['releases', i, 'id'], message: `Release id "${r.id}" appears twice` });
      seen.add(r.id);
    });
  });
export type Catalog = z.infer<typeof CatalogSchema>;

/**
 * Where a catalog came from and how far it can be trusted. `signature`: `built-in` (shipped inside
 * the app), `valid` (detached ed25519 signature by a trusted key), `unsigned` (no `.sig` beside
 * it), `unchecked` (a `.sig` exists but no trusted key is configured), `invalid` (refused).
 */
export const CatalogSourceSchema = z.object({
  kind: z.enum(['built-in', 'url', 'file', 'discovered']),
  location: z.string(),
  name: z.string(),
  status: z.enum(['ok', 'refused', 'unavailable']),
  signature: z.enum(['built-in', 'valid', 'unsigned', 'unchecked', 'invalid']),
  /** sha256 fingerprint (first 16 hex digits) of the key that signed it. */
  keyFingerprint: z.string().optional(),
  /** The network was not reachable and the last good copy was used. */
  isFromCache: z.boolean(),
  fetchedAt: z.string().optional(),
  releaseCount: z.number().int().nonnegative(),
  error: ErrorInfoSchema.optional(),
});
export type CatalogSource = z.infer<typeof CatalogSourceSchema>;

/**
 * How a cached release was checked: `catalog` (sha256 from a catalog matched), `published` (the
 * server's `.sha256sum` matched), `pinned` (nothing published: hash recorded on first download,
 * trust on first use), `imported` (local files, hash recorded at import).
 */
export const VerificationSchema = z.enum(['catalog', 'published', 'pinned', 'imported']);
export type Verification = z.infer<typeof VerificationSchema>;

export const PinSchema = z.object({
  id: ReleaseIdSchema,
  url: z.string(),
  sha256: Sha256Schema,
  size: z.number().int().nonnegative(),
  pinnedAt: z.string(),
});
export type Pin = z.infer<typeof PinSchema>;

export const CachedFileSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9._-]+$/),
  role: z.enum(['tarball', 'kernel', 'initramfs', 'image', 'checksum', 'certificate']),
  size: z.number().int().nonnegative(),
  sha256: Sha256Schema,
  /** Modification time seen when the hash was taken: a cheap check that the file is unchanged. */
  mtimeMs: z.number(),
  /** Absolute path when the file is referenced in place (an import the user chose not to copy). */
  path: z.string().optional(),
});
export type CachedFile = z.infer<typeof CachedFileSchema>;

export const CacheEntrySchema = z.object({
  schemaVersion: z.literal(1),
  id: ReleaseIdSchema,
  kind: z.enum(['bootkit', 'os-image']),
  name: z.string(),
  origin: z.discriminatedUnion('type', [
    z.object({ type: z.literal('download'), url: z.string() }),
    z.object({ type: z.literal('import'), path: z.string(), mode: z.enum(['copy', 'reference']) }),
  ]),
  files: z.array(CachedFileSchema).min(1),
  verification: VerificationSchema,
  addedAt: z.string(),
  lastUsedAt: z.string(),
  /**
   * The boot in which the files were written without being flushed to disk. After a reboot they
   * are re-hashed (and flushed) before use, then this is cleared.
   */
  unflushedBootId: z.string().optional(),
  /** Last full re-hash (`cache verify`); a failed one makes the entry unusable until fixed. */
  lastCheck: z.object({ at: z.string(), isOk: z.boolean(), problem: z.string().optional() }).optional(),
  /** The catalog record it was downloaded from, so that listings work offline. */
  release: CatalogReleaseSchema.optional(),
});
export type CacheEntry = z.infer<typeof CacheEntrySchema>;

/**
 * `ok`: every file there with the recorded size and time; `changed`: a file's size or time moved,
 * or the machine restarted before the files were flushed (re-hashed on use); `missing`: a file is
 * gone (a referenced import was moved); `corrupt`: the last verify found a different hash.
 */
export const EntryHealthSchema = z.enum(['ok', 'changed', 'missing', 'corrupt']);
export type EntryHealth = z.infer<typeof EntryHealthSchema>;

export const CacheListingEntrySchema = z.object({
  entry: CacheEntrySchema,
  health: EntryHealthSchema,
  /** Bytes this entry takes in the cache folder (referenced files take none). */
  bytesInCache: z.number().int().nonnegative(),
  isInUse: z.boolean(),
  pin: PinSchema.optional(),
});
export type CacheListingEntry = z.infer<typeof CacheListingEntrySchema>;

export const PartialDownloadSchema = z.object({
  id: ReleaseIdSchema,
  url: z.string(),
  bytes: z.number().int().nonnegative(),
  total: z.number().int().nonnegative().nullable(),
  /** Complete but refused (a hash that differs from the pin); `--accept-new-hash` takes it. */
  isComplete: z.boolean(),
});
export type PartialDownload = z.infer<typeof PartialDownloadSchema>;

export const CacheListingSchema = z.object({
  dir: z.string(),
  limitBytes: z.number().int().positive().nullable(),
  usedBytes: z.number().int().nonnegative(),
  entries: z.array(CacheListingEntrySchema),
  partials: z.array(PartialDownloadSchema),
});
export type CacheListing = z.infer<typeof CacheListingSchema>;

export const VerifyResultSchema = z.object({
  id: ReleaseIdSchema,
  isOk: z.boolean(),
  files: z.array(z.object({ name: z.string(), expected: Sha256Schema, actual: Sha256Schema.nullable(), problem: z.string().optional() })),
});
export type VerifyResult = z.infer<typeof VerifyResultSchema>;

/**
 * One release as the release picker shows it: catalog data plus what the cache knows. A release
 * that only the cache knows (an import, or one whose catalog is gone) has no `release` record.
 */
export const ReleaseListingSchema = z.object({
  id: ReleaseIdSchema,
  kind: z.enum(['bootkit', 'os-image']),
  name: z.string(),
  release: CatalogReleaseSchema.optional(),
  /** Names of the catalogs that list it (the first one's record is shown); `cache` for cache-only ones. */
  sources: z.array(z.string()),
  /** Disagreements between catalogs about this id (different URL or hash): the first catalog wins. */
  warnings: z.array(z.string()),
  cache: z.enum(['none', 'partial', 'cached']),
  health: EntryHealthSchema.optional(),
  verification: VerificationSchema.optional(),
  partialBytes: z.number().int().nonnegative().optional(),
  /** Cached, whole and checked: usable with the network off. */
  isAvailableOffline: z.boolean(),
  pin: PinSchema.optional(),
});
export type ReleaseListing = z.infer<typeof ReleaseListingSchema>;

export const ReleaseListSchema = z.object({
  sources: z.array(CatalogSourceSchema),
  releases: z.array(ReleaseListingSchema),
});
export type ReleaseList = z.infer<typeof ReleaseListSchema>;

export const DownloadRequestSchema = z.object({
  id: ReleaseIdSchema,
  /** Take a download whose hash differs from the pinned one, and pin the new hash. */
  acceptNewHash: z.boolean().default(false),
  /** Download again even when the release is cached. */
  refresh: z.boolean().default(false),
});
export type DownloadRequest = z.infer<typeof DownloadRequestSchema>;

export const DownloadResultSchema = z.object({
  entry: CacheEntrySchema,
  /** It was in the cache already: nothing was downloaded. */
  wasCached: z.boolean(),
  /** The hash was pinned by this download (first download, or re-pinned on request). */
  isNewPin: z.boolean(),
  bytesDownloaded: z.number().int().nonnegative(),
  /** Offset a resumed download started from (0 when it started from scratch). */
  resumedFrom: z.number().int().nonnegative(),
  evicted: z.array(ReleaseIdSchema),
});
export type DownloadResult = z.infer<typeof DownloadResultSchema>;

export const ImportRequestSchema = z.object({
  /** A Bootkit tarball, a folder holding a kernel and an initramfs, or a kernel (with `initramfs`). */
  path: z.string().min(1),
  initramfs: z.string().min(1).optional(),
  mode: z.enum(['copy', 'reference']).default('copy'),
  id: ReleaseIdSchema.optional(),
  name: z.string().min(1).optional(),
});
export type ImportRequest = z.infer<typeof ImportRequestSchema>;

export const DiscoveryRequestSchema = z.object({
  from: BuildDateSchema,
  to: BuildDateSchema,
  lines: z.array(z.string()).optional(),
});
export type DiscoveryRequest = z.infer<typeof DiscoveryRequestSchema>;

export const DiscoveryResultSchema = z.object({
  found: z.array(BootkitReleaseSchema),
  probed: z.number().int().nonnegative(),
  /** Probes that failed other than with 404 (network, 5xx): those dates are unknown, not absent. */
  failures: z.array(z.object({ url: z.string(), error: ErrorInfoSchema })),
});
export type DiscoveryResult = z.infer<typeof DiscoveryResultSchema>;
