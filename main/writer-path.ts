import { join } from 'node:path';

/**
 * Where the packaged app keeps the writer launcher (electron-builder `extraResources`, see
 * electron-builder.yml): a small script that runs `writer.cjs` on the app's own runtime in plain
 * Node mode. pkexec and UAC drop the environment, so the launcher sets ELECTRON_RUN_AS_NODE itself;
 * on Linux the polkit policy names this path.
 */
export function packagedWriter(resourcesPath: string, platform: NodeJS.Platform): string {
  return join(resourcesPath, 'writer', platform === 'win32' ? 'emt-media-writer.cmd' : 'emt-media-writer');
}
