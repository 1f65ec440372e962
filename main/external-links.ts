/**
 * The one way a link leaves the app (Electron security checklist items 14 and 15): https only, to a
 * host on this list, compared as a whole host name (a suffix or prefix test would let
 * `github.com.attacker.example` through).
 */
export const EXTERNAL_HOSTS: readonly string[] = [
  'github.com',
  'docs.openedgeplatform.intel.com',
  'www.intel.com',
  'files-rs.edgeorchestration.intel.com',
];

export function isAllowedExternalUrl(url: string, hosts: readonly string[] = EXTERNAL_HOSTS): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return u.protocol === 'https:' && u.username === '' && u.password === '' && u.port === '' && hosts.includes(u.hostname);
}

export interface ShellLike {
  openExternal(url: string): Promise<void>;
}

export interface LinkLog {
  warn(message: string, data?: Record<string, unknown>): void;
}

/** Opens an allowed link in the user's browser; anything else is logged and dropped. */
export async function openExternalSafely(shell: ShellLike, url: string, log: LinkLog): Promise<boolean> {
  if (!isAllowedExternalUrl(url)) {
    log.warn('external link blocked', { url });
    return false;
  }
  await shell.openExternal(url);
  return true;
}
