import { EmtError } from '../../errors';

/**
 * Identifiers of the primary (ECMA-119) and Joliet trees. Rock Ridge NM carries the real name; these
 * are what readers without Rock Ridge see.
 */

/** ECMA-119 §7.5/§10.2 (level 2): a file identifier "NAME.EXT" of at most 30 characters, then ";1". */
const MAX_FILE_ID = 30;
/** ECMA-119 §7.6/§10.2 (level 2): a directory identifier of at most 31 characters. */
const MAX_DIR_ID = 31;
/** Joliet (Microsoft, 1995): identifiers of at most 64 UCS-2 characters. */
export const MAX_JOLIET = 64;
const MAX_EXT_WHEN_LONG = 8;

export interface NameInput {
  name: string;
  isDir: boolean;
}

function dChars(s: string): string {
  return s.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

/**
 * Primary identifiers for the entries of one directory (given in a stable order), unique within it:
 * d-characters only, files as "NAME.EXT;1", directories without dots or version. Collisions after
 * mapping (e.g. "a-b" and "a_b") are resolved by a counter at the end of the name part.
 */
export function primaryIds(entries: readonly NameInput[]): string[] {
  const used = new Set<string>();
  return entries.map(({ name, isDir }) => {
    let base: string;
    let ext = '';
    if (isDir) base = dChars(name).slice(0, MAX_DIR_ID);
    else {
      const dot = name.lastIndexOf('.');
      base = dChars(dot > 0 ? name.slice(0, dot) : name);
      ext = dot > 0 ? dChars(name.slice(dot + 1)) : '';
      if (base.length + 1 + ext.length > MAX_FILE_ID) {
        ext = ext.slice(0, MAX_EXT_WHEN_LONG);
        base = base.slice(0, MAX_FILE_ID - 1 - ext.length);
      }
    }
    const room = isDir ? MAX_DIR_ID : MAX_FILE_ID - 1 - ext.length;
    const make = (b: string) => (isDir ? b : `${b}.${ext}`);
    // Readers that ignore Rock Ridge strip ";1" and a trailing dot: "README." and "README" would clash.
    const key = (id: string) => id.replace(/\.$/, '');
    let id = make(base);
    for (let n = 0; used.has(key(id)); n++) {
      const suffix = String(n).padStart(3, '0');
      id = make(base.slice(0, room - suffix.length) + suffix);
    }
    used.add(key(id));
    return isDir ? id : `${id};1`;
  });
}

/** Joliet forbids control characters and * / : ; ? \ in identifiers; outside the BMP cannot be encoded. */
function jolietChar(c: string): string {
  const code = c.codePointAt(0)!;
  return code < 0x20 || code > 0xffff || '*/:;?\\'.includes(c) ? '_' : c;
}

/**
 * Joliet identifiers for the entries of one directory: the real name in UCS-2 (characters outside the
 * BMP and forbidden ones become "_"), at most 64 characters keeping the extension, files with ";1".
 * Refuses two names that end up the same: Windows would show one of them only.
 */
export function jolietIds(entries: readonly NameInput[], dirPath: string): string[] {
  const seen = new Map<string, string>();
  return entries.map(({ name, isDir }) => {
    let id = [...name].map(jolietChar).join('');
    if (id.length > MAX_JOLIET) {
      const dot = id.lastIndexOf('.');
      const ext = !isDir && dot > 0 && id.length - dot <= MAX_EXT_WHEN_LONG + 1 ? id.slice(dot) : '';
      id = id.slice(0, MAX_JOLIET - ext.length) + ext;
    }
    const other = seen.get(id);
    if (other !== undefined) {
      throw new EmtError(
        'E_ISO_NAME_COLLISION',
        `In ${dirPath}, "${other}" and "${name}" get the same Joliet name "${id}".`,
        `Rename one of them so that they differ in the first ${MAX_JOLIET} characters and in characters other than * / : ; ? \\.`,
      );
    }
    seen.set(id, name);
    return isDir ? id : `${id};1`;
  });
}

function splitId(id: string): [string, string, number] {
  const semi = id.lastIndexOf(';');
  const nameExt = semi >= 0 ? id.slice(0, semi) : id;
  const version = semi >= 0 ? Number(id.slice(semi + 1)) : 0;
  const dot = nameExt.indexOf('.');
  return dot >= 0 ? [nameExt.slice(0, dot), nameExt.slice(dot + 1), version] : [nameExt, '', version];
}

function comparePadded(a: string, b: string): number {
  const n = Math.max(a.length, b.length);
  const pa = a.padEnd(n, ' ');
  const pb = b.padEnd(n, ' ');
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}

/** ECMA-119 §9.3: by name, then extension (each padded with spaces), then version descending. */
export function comparePrimaryIds(a: string, b: string): number {
  const [an, ae, av] = splitId(a);
  const [bn, be, bv] = splitId(b);
  return comparePadded(an, bn) || comparePadded(ae, be) || bv - av;
}

/** Joliet has no ordering rule of its own; order by UCS-2 code units as the primary tree orders bytes. */
export function compareJolietIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
