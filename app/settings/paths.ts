import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';

/**
 * Per-OS folders. Linux follows the XDG base directory spec; Windows keeps settings in the roaming
 * profile (they follow the user) and the cache in the local one (gigabytes must not roam); macOS
 * uses Application Support and Caches. EMT_CONFIG_DIR and EMT_CACHE_DIR override them (tests,
 * portable installs).
 */
export interface PlatformInfo {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  home: string;
}

/** This machine, with `env` in place of process.env (tests point EMT_CACHE_DIR elsewhere). */
export function current(env: NodeJS.ProcessEnv = process.env): PlatformInfo {
  return { env, platform: process.platform, home: homedir() };
}

const LINUX_NAME = 'emt-media-builder';
const PRODUCT_NAME = 'EMT Media Builder';

export function configDir(p: PlatformInfo = current()): string {
  const { env, platform, home } = p;
  if (env.EMT_CONFIG_DIR) return env.EMT_CONFIG_DIR;
  if (platform === 'win32') return win32.join(env.APPDATA || win32.join(home, 'AppData', 'Roaming'), PRODUCT_NAME);
  if (platform === 'darwin') return posix.join(home, 'Library', 'Application Support', PRODUCT_NAME);
  // XDG Base Directory spec: a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const base = env.XDG_CONFIG_HOME?.startsWith('/') ? env.XDG_CONFIG_HOME : posix.join(home, '.config');
  return posix.join(base, LINUX_NAME);
}

export function defaultCacheDir(p: PlatformInfo = current()): string {
  const { env, platform, home } = p;
  if (platform === 'win32') return win32.join(env.LOCALAPPDATA || win32.join(home, 'AppData', 'Local'), PRODUCT_NAME, 'Cache');
  if (platform === 'darwin') return posix.join(home, 'Library', 'Caches', PRODUCT_NAME);
  const base = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : posix.join(home, '.cache');
  return posix.join(base, LINUX_NAME);
}

/** EMT_CACHE_DIR wins (a test or a portable install asked for it), then the setting, then the default. */
export function resolveCacheDir(setting: string | null, p: PlatformInfo = current()): string {
  if (p.env.EMT_CACHE_DIR) return p.env.EMT_CACHE_DIR;
  return setting ?? defaultCacheDir(p);
}
