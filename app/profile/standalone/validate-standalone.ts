import { PROFILE_LIMITS, type StandaloneProfile } from '../../contract/profile';
import { type Findings, at } from '../findings';
import { byteLength, checkScript, checkTextFile } from '../checks/files';
import { checkConfigView } from './config-check';
import { parseConfigFile } from './config-file';
import { type ConfigView, viewOfFields } from './config-view';

export const INSTALLER_ENTRY = 'install-os.sh';

/** The config-file of a standalone profile as the installer will read it (fields or imported file). */
export function configViewOf(f: Findings, profile: StandaloneProfile): ConfigView | null {
  const source = profile.standalone.configFile;
  if (source.source === 'fields') return viewOfFields(source.fields, profile.network?.proxy);
  if (!checkTextFile(f, 'standalone.configFile.file', source.file, 'The config-file', PROFILE_LIMITS.textFileBytes)) return null;
  return parseConfigFile(f, source.file.content);
}

export function validateStandalone(f: Findings, profile: StandaloneProfile): void {
  const sa = profile.standalone;
  checkInstaller(f, profile);
  const view = configViewOf(f, profile);
  if (view) checkConfigView(f, view);
  if (sa.configFile.source === 'import' && (profile.network?.proxy?.http || profile.network?.proxy?.https || profile.network?.proxy?.noProxy)) {
    f.warn('W_PROXY_UNUSED', 'network.proxy', 'The proxies of the profile are not used: the imported config-file carries its own.', 'Set the proxies in the config-file, or switch to fields.');
  }
  if (!sa.osImage?.path) {
    f.error('E_OS_IMAGE_REQUIRED', 'standalone.osImage.path', 'No EMT OS image is chosen; the installer has nothing to write to the node.', 'Choose the edge-readonly-*.raw.gz image (with its .sha256sum beside it).');
  } else if (!/\.raw\.gz$/.test(sa.osImage.path)) {
    f.error('E_OS_IMAGE_NAME', 'standalone.osImage.path', `${sa.osImage.path} is not a *.raw.gz image; the installer looks for that name on partition 5.`, 'Choose the compressed raw image (edge-readonly-….raw.gz), not the .raw or an ISO.');
  }
  f.warn('W_INSTALLER_WIPES_DISKS', undefined, 'The standalone installer erases every SATA and NVMe disk of the node it boots on, without asking.', 'Boot the stick only on the node to install, and take out disks whose data you need.');
  f.warn('W_PASSWORD_PLAINTEXT', undefined, 'The installer reads the user password from .psswd on the stick, where it stays in plain text after the installation.', 'Keep the stick safe; change the password after the first login, and wipe the stick when done.');
}

function checkInstaller(f: Findings, profile: StandaloneProfile): void {
  const files = profile.standalone.installer.files;
  const base = 'standalone.installer.files';
  if (files.length === 0) {
    f.error('E_INSTALLER_EMPTY', base, 'No installer scripts are in the profile.', 'Import the EMT-S provisioning scripts (the folder or tarball that holds install-os.sh).');
    return;
  }
  const seen = new Set<string>();
  let total = 0;
  for (const [i, file] of files.entries()) {
    const field = at(base, i);
    total += byteLength(file.content);
    if (seen.has(file.name)) {
      f.error('E_FILE_DUPLICATE', at(field, 'name'), `The installer holds two files named ${file.name}; one would overwrite the other in /etc/scripts.`, 'Remove one of them.');
    }
    seen.add(file.name);
    if (file.name.endsWith('.sh')) checkScript(f, field, file, 'The installer script', PROFILE_LIMITS.textFileBytes);
    else checkTextFile(f, field, file, 'The installer file', PROFILE_LIMITS.textFileBytes);
  }
  if (total > PROFILE_LIMITS.installerBytes) {
    f.error('E_FILE_TOO_LARGE', base, `The installer scripts add up to ${total} bytes; at most ${PROFILE_LIMITS.installerBytes} are accepted.`, 'Import only the provisioning scripts (*.sh and *.yaml), not the whole repository.');
  }
  if (!seen.has(INSTALLER_ENTRY)) {
    f.error('E_INSTALLER_ENTRY_MISSING', base, `The installer scripts do not include ${INSTALLER_ENTRY}, which start-provision.service runs.`, 'Import the provisioning_scripts folder of EMT-S, which holds install-os.sh.');
  }
}
