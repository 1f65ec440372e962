import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Tests must not touch the settings and cache of whoever runs them: every test process gets
 * EMT_CONFIG_DIR and EMT_CACHE_DIR in one temporary folder (tests that need their own set them),
 * removed when the run ends.
 */
export function testHomeEnv(): Record<string, string> {
  const home = (process.env.EMT_TEST_HOME ??= mkdtempSync(join(tmpdir(), 'emt-test-home-')));
  return { EMT_TEST_HOME: home, EMT_CONFIG_DIR: join(home, 'config'), EMT_CACHE_DIR: join(home, 'cache') };
}

/** Vitest globalSetup: the teardown removes the folder. */
export default function setup(): () => void {
  const { EMT_TEST_HOME: home } = testHomeEnv();
  return () => rmSync(home!, { recursive: true, force: true });
}
