import { dirname } from 'node:path';
import type { z } from 'zod';
import type { Contract, LoadedProfile } from '../../app/contract/api';
import type { Finding } from '../../app/contract/build';
import { ProfileSchema, type Profile, type ProfilePreview } from '../../app/contract/profile';
import { EmtError } from '../../app/errors';
import { importProfile, loadProfile, saveProfile, type LoadedProfile as EngineLoaded } from '../../app/profile/profile-file';
import { readInstallerBundle } from '../../app/profile/import-files';
import { render, toPreview } from '../../app/profile/render';
import { unknownRelease } from '../../app/profile/render-types';
import { checkStickFiles } from '../../app/profile/standalone/stick-files';
import type { Handlers } from '../handler-types';

/** `emf.caddy.caddyfile`, `kernel.extraArgs[0]`: the field names the engine's findings use. */
function fieldOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>((name, key) => (typeof key === 'number' ? `${name}[${key}]` : name ? `${name}.${String(key)}` : String(key)), '');
}

/** A draft the schema refuses, as findings on its fields (a choice made, its file not given yet). */
export function draftFindings(issues: readonly z.core.$ZodIssue[]): Finding[] {
  return issues.map((i) => {
    const field = fieldOf(i.path);
    const isMissing = i.code === 'invalid_type' && /received undefined/.test(i.message);
    return {
      severity: 'error',
      code: 'E_PROFILE_INCOMPLETE',
      message: isMissing ? `${field || 'The profile'} is missing.` : `${field || 'The profile'}: ${i.message}.`,
      hint: isMissing ? 'Fill it in, or choose another option above it.' : 'Correct the value.',
      ...(field ? { field } : {}),
    };
  });
}

/** The draft as a profile, or an error naming the first gap (saving needs a whole profile). */
function complete(draft: unknown): Profile {
  const parsed = ProfileSchema.safeParse(draft);
  if (parsed.success) return parsed.data;
  const first = draftFindings(parsed.error.issues)[0]!;
  throw new EmtError('E_PROFILE_INCOMPLETE', `The profile cannot be saved yet: ${first.message}`, first.hint, { details: { field: first.field } });
}

function loaded(l: EngineLoaded, path: string | null): LoadedProfile {
  return { profile: l.profile, path, format: l.format, migratedFrom: l.migratedFrom, findings: [] };
}

/** `profiles`: check as the user types, open, import, save (keeping a YAML file's comments), installer import. */
export function profileHandlers(): Pick<Handlers<Contract>, 'profiles'> {
  // What each file held when it was opened, so that saving it again keeps its comments.
  const opened = new Map<string, EngineLoaded>();
  return {
    profiles: {
      check: async (_c, draft, profilePath): Promise<ProfilePreview> => {
        const parsed = ProfileSchema.safeParse(draft);
        if (!parsed.success) return { isRenderable: false, findings: draftFindings(parsed.error.issues), summary: [], kernelArgs: [], overlay: [] };
        const baseDir = profilePath ? dirname(profilePath) : process.cwd();
        // The release is not inspected here (that takes seconds); the build checks the profile against it.
        const preview = toPreview(render(parsed.data, unknownRelease(), { baseDir }));
        // The files a standalone stick carries are on this computer: say now when one is missing.
        if (parsed.data.mode === 'standalone') preview.findings.push(...(await checkStickFiles(parsed.data, baseDir)).findings);
        return preview;
      },
      load: async (_c, path) => {
        const l = await loadProfile(path);
        opened.set(path, l);
        return loaded(l, path);
      },
      parse: (_c, text, format) => loaded(importProfile(text, format, 'The dropped profile'), null),
      save: async (_c, path, draft) => {
        await saveProfile(path, complete(draft), opened.get(path) ?? null);
        opened.delete(path);
      },
      readInstaller: (_c, path) => readInstallerBundle(path),
    },
  };
}
