import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SettingsPatchSchema, SettingsSchema, SETTINGS_VERSION, type Settings, type SettingsInfo, type SettingsPatch } from '../contract/settings';
import { EmtError } from '../errors';
import { parsePublicKey } from '../release/signature';
import { readJsonIfExists, writeJsonAtomic } from './atomic-json';
import { migrateSettings } from './migrate';
import { configDir, resolveCacheDir, type PlatformInfo } from './paths';

const SETTINGS_FILE = 'settings.json';

export function defaultSettings(): Settings {
  return SettingsSchema.parse({ version: SETTINGS_VERSION });
}

export function settingsFile(p?: PlatformInfo): string {
  return join(configDir(p), SETTINGS_FILE);
}

/**
 * The settings from the per-OS config folder; defaults when there is no file yet. An older file
 * is migrated and written back at once, so that the upgrade happens once and is visible on disk.
 */
export async function loadSettings(p?: PlatformInfo): Promise<SettingsInfo> {
  const file = settingsFile(p);
  let raw: unknown;
  try {
    raw = await readJsonIfExists(file);
  } catch (e) {
    throw new EmtError('E_SETTINGS_INVALID', `The settings file ${file} is not valid JSON (${(e as Error).message}).`, 'Fix the file, or delete it to start from the default settings.', { cause: e });
  }
  if (raw === null) return info(defaultSettings(), file, null, p);
  const { doc, migratedFrom } = migrateSettings(raw, file);
  const parsed = SettingsSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new EmtError('E_SETTINGS_INVALID', `The settings file ${file} has an invalid value at "${issue.path.join('.')}": ${issue.message}.`, 'Fix that value, or delete the file to start from the default settings.');
  }
  if (migratedFrom !== null) await writeSettings(file, parsed.data);
  return info(parsed.data, file, migratedFrom, p);
}

/** Apply a change, check it, and store it atomically. Returns the new settings. */
export async function updateSettings(patch: SettingsPatch, p?: PlatformInfo): Promise<SettingsInfo> {
  const checked = SettingsPatchSchema.safeParse(patch);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new EmtError('E_SETTINGS_INVALID', `The setting "${issue.path.join('.')}" is invalid: ${issue.message}.`, 'Correct the value and save again.');
  }
  const current = await loadSettings(p);
  const next = SettingsSchema.parse({ ...current.settings, ...stripUndefined(checked.data) });
  next.trustedCatalogKeys.forEach((k, i) => parsePublicKey(k, `trusted catalog key ${i + 1}`));
  await writeSettings(current.file, next);
  return info(next, current.file, null, p);
}

async function writeSettings(file: string, settings: Settings): Promise<void> {
  await mkdir(join(file, '..'), { recursive: true });
  await writeJsonAtomic(file, settings);
}

function info(settings: Settings, file: string, migratedFrom: number | null, p?: PlatformInfo): SettingsInfo {
  return { settings, file, cacheDir: resolveCacheDir(settings.cacheDir, p), migratedFrom };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
