import { SETTINGS_VERSION } from '../contract/settings';
import { EmtError } from '../errors';

type Doc = Record<string, unknown>;

/**
 * Steps that turn a settings document of version N into version N+1, indexed by N. Version 0 is a
 * file without a `version` field: one an administrator wrote by hand to pre-seed a fleet of
 * laptops (proxy, catalogs, trusted keys). It has the keys of version 1 and only needs the stamp.
 * When the schema changes, add a step here and bump SETTINGS_VERSION; never edit a shipped step.
 */
const STEPS: ReadonlyArray<(doc: Doc) => Doc> = [(doc) => ({ ...doc, version: 1 })];

export interface Migrated {
  doc: Doc;
  /** The version the document had, when it was older than the current one. */
  migratedFrom: number | null;
}

export function migrateSettings(raw: unknown, file: string): Migrated {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new EmtError('E_SETTINGS_INVALID', `The settings file ${file} does not hold a JSON object.`, 'Fix the file, or delete it to start from the default settings.');
  }
  let doc = raw as Doc;
  const from = doc.version === undefined ? 0 : doc.version;
  if (typeof from !== 'number' || !Number.isInteger(from) || from < 0) {
    throw new EmtError('E_SETTINGS_INVALID', `The settings file ${file} has an invalid version (${JSON.stringify(doc.version)}).`, 'Fix the "version" field, or delete the file to start from the default settings.');
  }
  if (from > SETTINGS_VERSION) {
    throw new EmtError(
      'E_SETTINGS_NEWER',
      `The settings file ${file} was written by a newer EMT Media Builder (settings version ${from}; this one knows ${SETTINGS_VERSION}).`,
      'Update EMT Media Builder, or point EMT_CONFIG_DIR at another folder.',
    );
  }
  for (let v = from; v < SETTINGS_VERSION; v++) doc = STEPS[v]!(doc);
  return { doc, migratedFrom: from < SETTINGS_VERSION ? from : null };
}
