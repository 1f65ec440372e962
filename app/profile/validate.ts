import type { Finding } from '../contract/build';
import type { Profile } from '../contract/profile';
import { validateEmf } from './emf/validate-emf';
import { Findings, at } from './findings';
import { findSecrets } from './secrets';
import { validateStandalone } from './standalone/validate-standalone';

/** Parameters the mode sets itself (DOMAIN.md §2-3): an extra one would override it. */
const MODE_KEYS = new Set(['grpc_authority', 'tinkerbell_tls', 'tink_worker_image', 'DEBUG', 'TIMEOUT', 'syslog_host', 'http_proxy', 'https_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'usbcore.delay_ms', 'usbcore.autosuspend']);
const SECRET_PARAM = /(pass(word|wd)?|secret|token|api_?key)$/i;

/**
 * Every problem of a profile as findings: what the GUI shows inline and `profile validate`
 * prints. Pure and quick, so it can run on every keystroke; the release and the local files are
 * checked at render time and by checkStickFiles.
 */
export function validateProfile(profile: Profile, opts: { now?: Date } = {}): Finding[] {
  const f = new Findings();
  const now = opts.now ?? new Date();
  // Loading refuses secrets; a profile edited in memory is checked here as well.
  const secrets = findSecrets(profile);
  for (const path of secrets.keys) f.error('E_PROFILE_SECRET', path, `${path} names a secret; profiles never hold passwords or tokens.`, 'Remove it. The standalone password is asked when the media is built.');
  for (const path of secrets.privateKeys) f.error('E_PROFILE_PRIVATE_KEY', path, `${path} holds a private key; it must never travel in a profile or on media.`, 'Replace it with the CA certificate.');
  checkKernelArgs(f, profile);
  if (profile.mode === 'emf') validateEmf(f, profile, now);
  else validateStandalone(f, profile);
  return f.list;
}

function checkKernelArgs(f: Findings, profile: Profile): void {
  const seen = new Set<string>();
  for (const [i, arg] of (profile.kernel?.extraArgs ?? []).entries()) {
    const field = at('kernel.extraArgs', i);
    const key = arg.split('=')[0]!;
    if (arg === '' || /[\s"'\\]/.test(arg)) {
      f.error('E_KERNEL_ARG', field, `The kernel parameter "${arg}" is empty or contains a space, quote or backslash.`, 'Write one parameter per entry, as key=value or a single word.');
    } else if (SECRET_PARAM.test(key)) {
      f.error('E_KERNEL_ARG_SECRET', field, `The kernel parameter ${key} carries a secret; the command line is readable in the boot menu and the build manifest.`, 'Remove it, and give the node the secret another way.');
    } else if (key === 'worker_id') {
      f.error('E_KERNEL_ARG_CONFLICT', field, 'worker_id is set among the extra kernel parameters, but the profile has a worker_id setting of its own.', 'Remove it here, and type the MAC in the worker_id setting.');
    } else if (MODE_KEYS.has(key)) {
      f.warn('W_KERNEL_ARG_OVERRIDE', field, `The kernel parameter ${key} replaces the value the ${profile.mode} mode sets.`, 'Remove it unless you mean to change that value.');
    }
    if (seen.has(key)) f.warn('W_KERNEL_ARG_DUPLICATE', field, `The kernel parameter ${key} is given twice; the last one counts.`, 'Keep one.');
    seen.add(key);
  }
}
