import type { Settings } from '../../app/contract/settings';
import { loadSettings } from '../../app/settings/settings';
import { current, resolveCacheDir } from '../../app/settings/paths';
import { testTargetsFrom } from '../../app/flash/test-targets';
import type { WritableSource } from '../../app/flash/write-targets';
import type { Profile } from '../../app/contract/profile';
import type { SecretText } from '../../app/profile/secrets';

/** Bytes ready to stream to sticks, and the files they are read from (the drives holding those are refused). */
export interface WritableBytes {
  source: WritableSource;
  sourcePaths: string[];
}

/**
 * A build of this session that can be written. An ISO is a file; a standalone stick is laid out
 * for the smallest stick chosen (partition 7 takes the rest), so it is kept as the recipe that
 * made the ISO and is composed again, streaming, when the sticks are known.
 */
export type WritableBuild =
  | ({ kind: 'iso' } & WritableBytes)
  | { kind: 'standalone'; releaseId: string; profile: Profile; password: SecretText; profileDir: string; isoBytes: number; osImagePath: string };

/** What every engine handler works with: the environment of the process, and this session's builds. */
export interface EngineContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Electron's resourcesPath when packaged (the bundled boot loader kit). */
  resourcesPath?: string;
  /** Builds made in this session, by output path (a standalone stick is more than its ISO file). */
  builds: Map<string, WritableBuild>;
  /**
   * Whether this process may read devices itself (root on Linux and macOS). Without the right a
   * stick is read back by the privileged writer; absent: this process's own user decides.
   */
  canReadDevices?: boolean;
}

export function canReadDevices(ctx: EngineContext): boolean {
  return ctx.canReadDevices ?? process.getuid?.() === 0;
}

export async function settingsOf(ctx: EngineContext): Promise<Settings> {
  return (await loadSettings(current(ctx.env))).settings;
}

/** Test targets (EMT_TEST_TARGETS and the setting) and the folders no write may destroy. */
export async function stickScope(ctx: EngineContext): Promise<{ testTargets: string[]; cachePaths: string[] }> {
  const settings = await settingsOf(ctx);
  return { testTargets: testTargetsFrom(ctx.env, settings), cachePaths: [resolveCacheDir(settings.cacheDir, current(ctx.env))] };
}
