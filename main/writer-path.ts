import { join, relative, isAbsolute } from 'node:path';

/**
 * Where the packaged app keeps the writer launcher (electron-builder `extraResources`, see
 * electron-builder.yml): a small script that runs `writer.cjs` on the app's own runtime in plain
 * Node mode. pkexec and UAC drop the environment, so the launcher sets ELECTRON_RUN_AS_NODE itself;
 * on Linux the polkit policy names this path.
 */
export function packagedWriter(resourcesPath: string, platform: NodeJS.Platform): string {
  return join(resourcesPath, 'writer', platform === 'win32' ? 'emt-media-writer.cmd' : 'emt-media-writer');
}

/**
 * How the engine finds the writer in the packaged app (app/flash/elevate.ts `writerCommand`).
 * Inside an AppImage (the runtime sets APPIMAGE to the file and APPDIR to its FUSE mount, which
 * holds our resources) the launcher is unreachable for root, so the AppImage file itself is run as
 * the writer; elsewhere the launcher above. A variable the user set wins.
 */
export function packagedWriterEnv(resourcesPath: string, platform: NodeJS.Platform, env: NodeJS.ProcessEnv): Record<string, string> {
  if (env.EMT_WRITER || env.EMT_WRITER_APPIMAGE) return {};
  const inside = (dir: string | undefined) => !!dir && isAbsolute(dir) && !relative(dir, resourcesPath).startsWith('..');
  if (platform === 'linux' && env.APPIMAGE && isAbsolute(env.APPIMAGE) && inside(env.APPDIR)) return { EMT_WRITER_APPIMAGE: env.APPIMAGE };
  return { EMT_WRITER: packagedWriter(resourcesPath, platform) };
}
