import { PROFILE_SCHEMA_VERSION, type Profile } from '../../app/contract/profile';

export type ProfileMode = Profile['mode'];

/** A fresh profile of a mode, with the choices most sites make (generated Caddy/Fluent Bit, worker id chosen at boot). */
export function newProfile(mode: ProfileMode, name: string): Profile {
  if (mode === 'emf') {
    return {
      schemaVersion: PROFILE_SCHEMA_VERSION,
      name,
      mode: 'emf',
      emf: { certificates: {}, caddy: { source: 'generate' }, fluentBit: { source: 'generate' }, workerId: { mode: 'auto' } },
    };
  }
  return {
    schemaVersion: PROFILE_SCHEMA_VERSION,
    name,
    mode: 'standalone',
    standalone: { installer: { files: [] }, configFile: { source: 'fields', fields: { hostType: 'container' } } },
  };
}

/** Switching mode keeps what both modes share (name, notes, proxy, kernel parameters). */
export function switchMode(profile: Profile | null, mode: ProfileMode, defaultName: string): Profile {
  if (profile?.mode === mode) return profile;
  const fresh = newProfile(mode, profile?.name ?? defaultName);
  if (!profile) return fresh;
  return {
    ...fresh,
    ...(profile.notes !== undefined ? { notes: profile.notes } : {}),
    ...(profile.network ? { network: profile.network } : {}),
    ...(profile.kernel ? { kernel: profile.kernel } : {}),
  };
}

export type Path = ReadonlyArray<string | number>;

/** `emf.certificates.orchestratorCa`, `kernel.extraArgs[0]`: the field names the engine's findings use. */
export function fieldName(path: Path): string {
  return path.reduce<string>((name, key) => (typeof key === 'number' ? `${name}[${key}]` : name ? `${name}.${key}` : key), '');
}

/**
 * A copy of `obj` with `value` at `path`; objects on the way are copied, never mutated. An
 * `undefined` value, or an empty string, removes the key, so that blank form fields do not show
 * up in the saved profile.
 */
export function setIn<T>(obj: T, path: Path, value: unknown): T {
  const [key, ...rest] = path;
  if (key === undefined) return value as T;
  const base: unknown = obj ?? (typeof key === 'number' ? [] : {});
  if (Array.isArray(base)) {
    const copy = [...base];
    copy[key as number] = setIn(copy[key as number], rest, value);
    return copy as T;
  }
  const record = { ...(base as Record<string, unknown>) };
  const next = rest.length === 0 ? value : setIn(record[key], rest, value);
  if (next === undefined || next === '') delete record[key];
  else record[key] = next;
  return record as T;
}

export function getIn(obj: unknown, path: Path): unknown {
  let cur: unknown = obj;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}
