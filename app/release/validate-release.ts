import { prepareRelease } from './prepared-release';
import { classifyRelease } from './read-release';

/**
 * The content check of a Bootkit release before the cache accepts it (download, import): exactly
 * one kernel and one initramfs, and an initramfs this tool can read and build on. Throws the same
 * EmtErrors a build would, so a bad release is refused when it arrives, not when a stick is due.
 */
export async function validateRelease(path: string): Promise<void> {
  const prepared = await prepareRelease(await classifyRelease([path]));
  await prepared.dispose();
}
