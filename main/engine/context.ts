import type { Settings } from '../../app/contract/settings';
import { loadSettings } from '../../app/settings/settings';
import { current, resolveCacheDir } from '../../app/settings/paths';
import { testTargetsFrom } from '../../app/flash/test-targets';
import type { WritableSource } from '../../app/flash/write-targets';

/** A build of this session that can be written: what to stream and which files it is read from. */
export interface WritableBuild {
  source: WritableSource;
  /** Files the source reads (the drives holding them are refused as targets). */
  sourcePaths: string[];
}

/** What every engine handler works with: the environment of the process, and this session's builds. */
export interface EngineContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Builds made in this session, by output path (a standalone stick is more than its ISO file). */
  builds: Map<string, WritableBuild>;
}

export async function settingsOf(ctx: EngineContext): Promise<Settings> {
  return (await loadSettings(current(ctx.env))).settings;
}

/** Test targets (EMT_TEST_TARGETS and the setting) and the folders no write may destroy. */
export async function stickScope(ctx: EngineContext): Promise<{ testTargets: string[]; cachePaths: string[] }> {
  const settings = await settingsOf(ctx);
  return { testTargets: testTargetsFrom(ctx.env, settings), cachePaths: [resolveCacheDir(settings.cacheDir, current(ctx.env))] };
}
