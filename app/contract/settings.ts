import { z } from 'zod';

/**
 * The user's settings, stored as JSON in the per-OS config folder (app/settings/). The file carries
 * its `version`; app/settings/migrate.ts brings older files up to this one. Every field has a
 * default so that a missing or partial file still gives complete settings.
 */
export const SETTINGS_VERSION = 1;

const GIB = 1024 ** 3;

/**
 * `system`: HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment; `manual`: `url` (and
 * `noProxy`) from here; `none`: always connect directly.
 */
export const ProxySettingsSchema = z
  .object({
    mode: z.enum(['system', 'manual', 'none']).default('system'),
    /** `http://[user:password@]host:port`; used when mode is `manual`. */
    url: z.string().default(''),
    /** NO_PROXY syntax: comma-separated host suffixes, `host:port`, IPv4 CIDR, or `*`. */
    noProxy: z.string().default(''),
  })
  .superRefine((p, ctx) => {
    if (p.mode !== 'manual') return;
    if (!/^https?:\/\/[^\s/]+(:\d+)?\/?$/.test(p.url) && !/^[^\s/:]+:\d+$/.test(p.url)) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'Proxy URL must look like http://proxy.example.com:3128' });
    }
  });
export type ProxySettings = z.infer<typeof ProxySettingsSchema>;

export const SettingsSchema = z.object({
  version: z.literal(SETTINGS_VERSION),
  /** Folder of the release cache; null = the per-OS default (EMT_CACHE_DIR overrides both). */
  cacheDir: z.string().min(1).nullable().default(null),
  /** Least-recently-used releases are evicted above this; null = no limit. */
  cacheLimitBytes: z.number().int().positive().nullable().default(20 * GIB),
  proxy: ProxySettingsSchema.default({ mode: 'system', url: '', noProxy: '' }),
  /** Extra release catalogs, each an https/http URL or an absolute file path, merged in this order. */
  catalogs: z.array(z.string().min(1)).default([]),
  /** ed25519 public keys (base64 of the 32 raw bytes, or a PEM "PUBLIC KEY" block) that may sign catalogs. */
  trustedCatalogKeys: z.array(z.string().min(1)).default([]),
  /** Block devices or image files the drive list shows as drives (for testing without USB sticks). */
  testTargets: z.array(z.string().min(1)).default([]),
  /**
   * A folder with a signed boot chain (shim as BOOTX64.EFI, signed GRUB as grubx64.efi, optionally
   * mmx64.efi) that replaces the kit's unsigned GRUB, so the media can boot with Secure Boot on;
   * null: the kit's GRUB (Secure Boot must be off).
   */
  bootChainDir: z.string().min(1).nullable().default(null),
});
export type Settings = z.infer<typeof SettingsSchema>;

/** A change to some settings; arrays and the proxy object are replaced whole. */
export const SettingsPatchSchema = SettingsSchema.omit({ version: true }).partial();
export type SettingsPatch = z.infer<typeof SettingsPatchSchema>;

/** Settings as read from disk, with where they came from (the UI shows the file path). */
export const SettingsInfoSchema = z.object({
  settings: SettingsSchema,
  file: z.string(),
  /** The cache folder actually used, after the per-OS default and EMT_CACHE_DIR. */
  cacheDir: z.string(),
  /** Set when the file was written by an older version and was upgraded on load. */
  migratedFrom: z.number().int().nonnegative().nullable(),
});
export type SettingsInfo = z.infer<typeof SettingsInfoSchema>;
