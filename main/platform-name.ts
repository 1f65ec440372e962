import type { AppInfo } from '../app/contract/api';

/** The platform as the contract names it. */
export function platformName(p: string): AppInfo['platform'] {
  return p === 'linux' || p === 'win32' || p === 'darwin' ? p : 'other';
}
