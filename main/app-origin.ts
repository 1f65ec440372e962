/**
 * Where the UI lives: a privileged custom scheme served from the packaged renderer folder, never
 * from the network (Electron security checklist item 18). Every trust decision (IPC sender,
 * navigation, permission) compares against this one origin.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'emt';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;

/** True when `url` parses and belongs to the app's origin (no prefix matching: `app://emt.evil` is not ours). */
export function isAppUrl(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}
