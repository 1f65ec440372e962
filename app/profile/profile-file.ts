import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { Document, parseDocument } from 'yaml';
import { PROFILE_LIMITS, ProfileSchema, type Profile } from '../contract/profile';
import { EmtError } from '../errors';
import { writeFileAtomic } from '../settings/atomic-json';
import { carryComments, explainNewDocument } from './profile-comments';
import { migrateProfile } from './migrations';
import { findSecrets } from './secrets';

/**
 * The profile file: YAML (comments survive a save) or JSON, chosen by the file's extension.
 * Loading refuses secrets, migrates older versions and checks the structure; what the values mean
 * is the validator's job (validate.ts), so that a half-finished profile still opens.
 */

export type ProfileFormat = 'yaml' | 'json';

export interface LoadedProfile {
  profile: Profile;
  format: ProfileFormat;
  /** The version the file had when it was older than the current one (a save upgrades it). */
  migratedFrom: number | null;
  /** The parsed YAML, kept so that a save preserves the file's comments. */
  document: Document | null;
}

export function formatOf(path: string): ProfileFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  throw new EmtError('E_PROFILE_EXTENSION', `${path} is neither .yaml, .yml nor .json, so its format is unknown.`, 'Name the profile file site.yaml (or site.json).');
}

/** Read a profile from text (a file, a paste, an attachment). */
export function importProfile(text: string, format: ProfileFormat, source: string): LoadedProfile {
  if (Buffer.byteLength(text) > PROFILE_LIMITS.fileBytes) {
    throw new EmtError('E_PROFILE_TOO_LARGE', `${source} is larger than ${PROFILE_LIMITS.fileBytes >> 20} MiB, far more than a profile needs.`, 'Check that you opened a profile; OS images are referenced by path, not embedded.');
  }
  let raw: unknown;
  let document: Document | null = null;
  if (format === 'json') {
    raw = parseJson(text, source);
  } else {
    document = parseDocument(text, { uniqueKeys: true });
    const first = document.errors[0];
    if (first) {
      const pos = first.linePos?.[0];
      const where = pos ? `line ${pos.line}, column ${pos.col}` : 'an unknown place';
      throw new EmtError('E_PROFILE_YAML', `${source} is not valid YAML at ${where}: ${first.message.split('\n')[0]}`, 'Fix the indentation or syntax there (spaces, not tabs), then open it again.', { details: { line: pos?.line, column: pos?.col } });
    }
    raw = document.toJS();
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new EmtError('E_PROFILE_SCHEMA', `${source} does not hold a profile (its top level is not a mapping).`, 'Open a profile file, or create one with: emt-media profile new');
  }
  refuseSecrets(raw, source, 'holds');
  const { doc, migratedFrom } = migrateProfile(raw as Record<string, unknown>, source);
  return { profile: checkStructure(doc, source), format, migratedFrom, document };
}

export async function loadProfile(path: string): Promise<LoadedProfile> {
  const { size } = await stat(path);
  if (size > PROFILE_LIMITS.fileBytes) {
    throw new EmtError('E_PROFILE_TOO_LARGE', `${path} is larger than ${PROFILE_LIMITS.fileBytes >> 20} MiB, far more than a profile needs.`, 'Check that you opened a profile; OS images are referenced by path, not embedded.');
  }
  return importProfile(await readFile(path, 'utf8'), formatOf(path), path);
}

/** The file text of a profile. With the document it was loaded from, the file's comments stay. */
export function exportProfile(profile: Profile, format: ProfileFormat, previous: Document | null = null): string {
  refuseSecrets(profile, 'The profile', 'would write');
  const valid = checkStructure(profile, 'The profile');
  if (format === 'json') return `${JSON.stringify(valid, null, 2)}\n`;
  const doc = new Document(valid);
  if (previous) carryComments(previous, doc);
  else explainNewDocument(doc);
  return doc.toString({ blockQuote: 'literal', lineWidth: 0 });
}

export async function saveProfile(path: string, profile: Profile, previous: LoadedProfile | null = null): Promise<void> {
  const format = formatOf(path);
  await writeFileAtomic(path, exportProfile(profile, format, previous?.format === format ? previous.document : null));
}

function refuseSecrets(value: unknown, source: string, verb: string): void {
  const found = findSecrets(value);
  if (found.keys.length > 0) {
    throw new EmtError(
      'E_PROFILE_SECRET',
      `${source} ${verb} a secret (${found.keys.join(', ')}); profiles are shared and never hold passwords or tokens.`,
      'Remove the key. The standalone password is asked when the media is built.',
      { details: { paths: found.keys } },
    );
  }
  if (found.privateKeys.length > 0) {
    throw new EmtError(
      'E_PROFILE_PRIVATE_KEY',
      `${source} ${verb} a private key (${found.privateKeys.join(', ')}); a private key must never travel in a profile or on media.`,
      'Replace it with the CA certificate (a "BEGIN CERTIFICATE" file).',
      { details: { paths: found.privateKeys } },
    );
  }
}

function checkStructure(doc: unknown, source: string): Profile {
  const parsed = ProfileSchema.safeParse(doc);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
  throw new EmtError(
    'E_PROFILE_SCHEMA',
    `${source} does not have the shape of a profile: ${issues.slice(0, 3).join('; ')}${issues.length > 3 ? ` (and ${issues.length - 3} more)` : ''}.`,
    'Fix the named fields, or start from: emt-media profile new',
    { details: { issues } },
  );
}

/** JSON.parse with the line and column of a syntax error (Node 20 reports only the position). */
function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    let where = 'an unknown place';
    if (pos) {
      const before = text.slice(0, Number(pos[1]));
      const line = before.split('\n').length;
      where = `line ${line}, column ${before.length - before.lastIndexOf('\n')}`;
    }
    throw new EmtError('E_PROFILE_JSON', `${source} is not valid JSON at ${where}: ${msg}`, 'Fix the syntax there (a missing comma or quote is the usual cause).');
  }
}
