import { basename, resolve } from 'node:path';
import type { StandaloneProfile, SummaryItem } from '../../contract/profile';
import type { Overlay } from '../../media/overlay';
import { Findings } from '../findings';
import type { RenderContext, StickContent } from '../render-types';
import { SecretText } from '../secrets';
import { template } from '../templates';
import { renderConfigFile } from './config-file';
import { configViewOf, INSTALLER_ENTRY } from './validate-standalone';

/** The Bootkit services that would fail without an orchestrator (DOMAIN.md §3). */
export const MASKED_UNITS = ['tink-worker.service', 'caddy.service', 'fluent-bit.service', 'device-discovery.service'] as const;
export const START_UNIT = 'start-provision.service';
/** EMT-S's boot parameters beyond the release's own: slow USB sticks enumerate late. */
const STANDALONE_ARGS = ['usbcore.delay_ms=2000', 'usbcore.autosuspend=-1'];

/** What the upstream installer runs, by package (the Bootkit ships them all, DOMAIN.md §1). */
export const INSTALLER_TOOLS: ReadonlyArray<{ pkg: string; binaries: string[] }> = [
  { pkg: 'efibootmgr', binaries: ['efibootmgr'] },
  { pkg: 'gawk', binaries: ['gawk'] },
  { pkg: 'lvm2', binaries: ['lvm', 'pvcreate', 'pvremove', 'vgcreate', 'vgremove'] },
  { pkg: 'net-tools', binaries: ['route', 'ifconfig'] },
  { pkg: 'parted', binaries: ['parted', 'partprobe'] },
];

export function renderStandaloneOverlay(profile: StandaloneProfile, overlay: Overlay): void {
  for (const file of profile.standalone.installer.files) {
    overlay.addFile(`/etc/scripts/${file.name}`, file.content, file.name.endsWith('.sh') ? 0o755 : 0o644);
  }
  overlay.addUnit(START_UNIT, template('standalone/start-provision.service'), 'multi-user.target');
  for (const unit of MASKED_UNITS) overlay.maskUnit(unit);
}

export function standaloneKernelArgs(profile: StandaloneProfile): string[] {
  return [...STANDALONE_ARGS, ...(profile.kernel?.extraArgs ?? [])];
}

/** What goes onto partitions 5-7 of the stick. */
export function standaloneStick(profile: StandaloneProfile, password: SecretText | undefined, baseDir: string): StickContent {
  const sa = profile.standalone;
  const source = sa.configFile;
  const configFile = source.source === 'import' ? source.file.content : renderConfigFile(configViewOf(new Findings(), profile)!);
  const image = sa.osImage?.path ? resolve(baseDir, sa.osImage.path) : null;
  return {
    configFile,
    // install-os.sh: passwd=$(grep '^passwd=' .psswd | cut -d '=' -f2)
    passwordFile: password ? new SecretText(`passwd=${password.reveal()}\n`) : null,
    osImage: image ? { path: image, checksumPath: `${image}.sha256sum` } : null,
    userAppsDir: sa.userAppsDir ? resolve(baseDir, sa.userAppsDir) : null,
  };
}

/** The installer's tools in the release's root, and yq when the config-file has YAML sections to apply. */
export function standalonePreflight(f: Findings, profile: StandaloneProfile, ctx: RenderContext): void {
  for (const tool of INSTALLER_TOOLS) {
    const missing = tool.binaries.filter((b) => ctx.hasBinary(b) === false);
    if (missing.length > 0) {
      f.error('E_RELEASE_TOOL_MISSING', undefined, `${ctx.releaseName} lacks ${missing.join(', ')} (package ${tool.pkg}), which the standalone installer runs.`, `Choose a Bootkit release that includes ${tool.pkg} (every Bootkit since July 2025 does).`);
    }
  }
  if (ctx.hasBinary('bash') === false) {
    f.error('E_RELEASE_TOOL_MISSING', undefined, `${ctx.releaseName} lacks bash, the interpreter of install-os.sh.`, 'Choose a Bootkit release.');
  }
  const view = configViewOf(new Findings(), profile);
  const usesYaml = !!view && (view.writeFiles.length > 0 || view.services.enable.length > 0 || view.services.disable.length > 0);
  if (ctx.hasBinary('yq') === false) {
    const text = `${ctx.releaseName} lacks yq, with which install-os.sh reads the services and write_files sections of the config-file`;
    if (usesYaml) f.error('E_RELEASE_NO_YQ', 'standalone.configFile', `${text}; without it they are skipped silently.`, 'Use a release that includes yq (EMT-S adds /usr/bin/yq to its Bootkit), or move the steps into runcmd.');
    else f.warn('W_RELEASE_NO_YQ', 'standalone.configFile', `${text} (this profile uses neither).`, 'Nothing to do unless you add services or write_files.');
  }
  if (ctx.unit(START_UNIT)?.exists) {
    f.warn('W_RELEASE_HAS_START_PROVISION', undefined, `${ctx.releaseName} already contains ${START_UNIT}; the profile's unit replaces it.`, 'Check that the release is the plain Bootkit, not an EMT-S build of it.');
  }
}

export function standaloneSummary(profile: StandaloneProfile, ctx: RenderContext): SummaryItem[] {
  const sa = profile.standalone;
  const items: SummaryItem[] = [];
  items.push({ topic: 'mode', text: `Standalone installer (EMT-S): the node boots ${ctx.releaseName}, which runs ${INSTALLER_ENTRY} and writes the EMT image to the node's disk.` });
  const names = sa.installer.files.map((file) => file.name);
  items.push({ topic: 'installer', text: `${names.length} installer file(s) in /etc/scripts (${names.join(', ') || 'none'}); ${START_UNIT} runs ${INSTALLER_ENTRY} at boot.` });
  items.push({ topic: 'units', text: `Masked, as they would fail without an orchestrator: ${MASKED_UNITS.join(', ')}.` });
  const view = configViewOf(new Findings(), profile);
  if (view) {
    const v = (k: string) => view.values.get(k)?.value ?? '';
    const key = v('ssh_key') ? `SSH key ${v('ssh_key').split(/\s+/).slice(2).join(' ') || v('ssh_key').split(/\s+/)[0]}` : 'no SSH key';
    const ip = v('static_ip') ? `static address ${v('static_ip')}/${v('subnet_mask')} when no DHCP answers` : 'DHCP';
    items.push({ topic: 'installer', text: `The installer creates the user ${v('user_name') || '(missing)'} (${key}), sets the node up for ${v('host_type') || '(missing)'}, network: ${ip}${v('USER_CUSTOM_NTP_SERVERS') ? `, NTP ${v('USER_CUSTOM_NTP_SERVERS')}` : ''}.` });
  }
  const image = sa.osImage?.path ? basename(sa.osImage.path) : '(no image chosen)';
  items.push({ topic: 'stick', text: `Stick partition 5: ${image} and its .sha256sum. Partition 6: config-file${sa.configFile.source === 'import' ? ` (${sa.configFile.file.name}, imported)` : ''} and .psswd. Partition 7: user-apps${sa.userAppsDir ? ` from ${sa.userAppsDir}` : ' (empty)'}.` });
  items.push({ topic: 'caution', text: 'The installer erases every SATA and NVMe disk of the node it boots on.' });
  items.push({ topic: 'caution', text: 'The password is asked when the media is built and stays in plain text in .psswd on partition 6 of the stick.' });
  items.push({ topic: 'kernel', text: `Kernel parameters: ${standaloneKernelArgs(profile).join(' ')}` });
  return items;
}
