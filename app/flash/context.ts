import { current } from '../settings/paths';
import { loadSettings } from '../settings/settings';
import { testTargetsFrom } from './test-targets';

/**
 * What every stick job needs to know about this installation: the test targets (EMT_TEST_TARGETS
 * and the `testTargets` setting) and the cache folder, whose drive must never be written.
 */
export async function stickContext(env: NodeJS.ProcessEnv): Promise<{ testTargets: string[]; cachePaths: string[] }> {
  const info = await loadSettings(current(env));
  return { testTargets: testTargetsFrom(env, info.settings), cachePaths: [info.cacheDir] };
}
