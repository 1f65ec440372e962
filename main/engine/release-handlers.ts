import type { Contract } from '../../app/contract/api';
import { loadSettings, updateSettings } from '../../app/settings/settings';
import { current } from '../../app/settings/paths';
import { listReleases } from '../../app/release/catalog-list';
import { download } from '../../app/release/download';
import { importRelease } from '../../app/release/import';
import { validateRelease } from '../../app/release/validate-release';
import { openCache } from '../../app/release/cache';
import { verifyEntry } from '../../app/release/cache-verify';
import type { Handlers } from '../handler-types';
import { settingsOf, type EngineContext } from './context';

/** `settings` and `releases`: the settings file, the catalogs, downloads and the cache (app/settings, app/release). */
export function releaseHandlers(ctx: EngineContext): Pick<Handlers<Contract>, 'settings' | 'releases'> {
  return {
    settings: {
      get: () => loadSettings(current(ctx.env)),
      update: (_c, patch) => updateSettings(patch, current(ctx.env)),
    },
    releases: {
      list: async () => listReleases(await settingsOf(ctx), { env: ctx.env, cwd: ctx.cwd }),
      download: async (job, req) =>
        download(req.id, { settings: await settingsOf(ctx), env: ctx.env, cwd: ctx.cwd, acceptNewHash: req.acceptNewHash, refresh: req.refresh, validate: validateRelease, onProgress: job.progress, signal: job.signal }),
      import: async (job, req) => {
        const { entry } = await importRelease({ ...req, settings: await settingsOf(ctx), env: ctx.env, cwd: ctx.cwd, validate: validateRelease, onProgress: job.progress, signal: job.signal });
        return entry;
      },
      verify: async (job, id) => verifyEntry(await openCache(await settingsOf(ctx), ctx.env), id, { onProgress: job.progress, signal: job.signal }),
    },
  };
}
