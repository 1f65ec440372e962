import { parse as parseYaml } from 'yaml';
import { HOST_TYPES } from '../../contract/profile';
import type { Findings } from '../findings';
import { checkIpv4, checkNoProxy, checkProxyUrl, isHostName, isIpv4, maskToPrefix } from '../checks/net';
import { checkSshPublicKey } from '../checks/ssh-key';
import type { ConfigView } from './config-view';

/** Names useradd refuses, or that already exist on the EMT image. */
const RESERVED_USERS = new Set(['root', 'daemon', 'bin', 'sys', 'sync', 'nobody', 'systemd-network', 'systemd-resolve', 'messagebus', 'sshd', 'admin']);
/** `source` would expand these; `cut -d= -f2` would cut at `=` (ssh_key and NTP are read otherwise). */
const SHELL_SPECIAL = /["$`\\\n\r]/;
const CUT_AT_EQUALS = new Set(['ssh_key', 'USER_CUSTOM_NTP_SERVERS']);
const UNIT = /^[A-Za-z0-9:_.@-]+$/;
const WRITE_FILE_KEYS = new Set(['path', 'permissions', 'content']);

/** Judge a config-file view against what the upstream installer does with each key. */
export function checkConfigView(f: Findings, v: ConfigView): void {
  // A value already reported as unusable is not judged again (one problem, one finding).
  const bad = new Set<string>();
  const get = (k: string) => (bad.has(k) ? '' : (v.values.get(k)?.value ?? ''));
  for (const [key, { value }] of v.values) {
    if (SHELL_SPECIAL.test(value)) {
      f.error('E_CONFIG_VALUE', v.fieldOf(key), `The value of ${key} contains a quote, $, backquote, backslash or line break, which the installer's shell would change.`, 'Remove the character.');
      bad.add(key);
    } else if (value.includes('=') && !CUT_AT_EQUALS.has(key)) {
      f.error('E_CONFIG_VALUE', v.fieldOf(key), `The value of ${key} contains "="; the installer reads only up to it (cut -d= -f2).`, 'Remove the "=" from the value.');
      bad.add(key);
    }
  }
  if (!bad.has('user_name')) checkUser(f, v.fieldOf('user_name'), get('user_name'));
  if (!bad.has('host_type') && !(HOST_TYPES as readonly string[]).includes(get('host_type'))) {
    f.error('E_HOST_TYPE', v.fieldOf('host_type'), `host_type is "${get('host_type')}"; the installer knows only kubernetes and container.`, 'Choose kubernetes (k3s) or container (docker).');
  }
  if (get('ssh_key')) checkSshPublicKey(f, v.fieldOf('ssh_key'), get('ssh_key'));
  else f.warn('W_NO_SSH_KEY', v.fieldOf('ssh_key'), 'No SSH public key is set: the installed node can be reached only with the password.', 'Paste your public key to log in without a password.');
  checkProxies(f, v, get);
  checkStaticIp(f, v, get);
  if (!/^[0-9]+$/.test(get('lvm_size_ingb') || '0')) {
    f.error('E_LVM_SIZE', v.fieldOf('lvm_size_ingb'), `lvm_size_ingb is "${get('lvm_size_ingb')}"; a whole number of GB is needed.`, 'Enter 0 (no LVM partition) or a size in GB such as 20.');
  }
  // The installer computes $(( huge_page_config )): a number or a product such as "12 * 1024".
  const huge = get('huge_page_config');
  if (huge && !/^[0-9]+(\s*\*\s*[0-9]+)*$/.test(huge)) {
    f.error('E_HUGE_PAGES', v.fieldOf('huge_page_config'), `huge_page_config is "${huge}"; a count of 2 MiB pages is needed.`, 'Enter a number of pages, e.g. 12288 (24 GiB), or leave it empty.');
  }
  for (const ntp of get('USER_CUSTOM_NTP_SERVERS').split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!isIpv4(ntp) && !isHostName(ntp)) f.error('E_NTP_SERVER', v.fieldOf('USER_CUSTOM_NTP_SERVERS'), `"${ntp}" is not an NTP server name or address.`, 'List servers as host names or IPv4 addresses separated by commas.');
  }
  const deploy = get('deploy_envmt');
  if (deploy && deploy !== 'ven') f.warn('W_DEPLOY_ENVMT', v.fieldOf('deploy_envmt'), `deploy_envmt is "${deploy}"; the installer only acts on "ven" (virtual edge node).`, 'Remove the key, or set it to ven for a virtual machine.');
  checkSections(f, v);
}

function checkUser(f: Findings, field: string, name: string): void {
  if (!name) {
    f.error('E_USER_NAME_MISSING', field, 'No user name is set; the installer requires one to create the login account.', 'Enter a user name such as edgeuser.');
  } else if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(name)) {
    f.error('E_USER_NAME', field, `"${name}" is not a valid Linux user name.`, 'Use up to 32 lower-case letters, digits, "_" or "-", starting with a letter.');
  } else if (RESERVED_USERS.has(name)) {
    f.error('E_USER_NAME_RESERVED', field, `"${name}" already exists on the installed system.`, 'Choose another user name.');
  }
}

function checkProxies(f: Findings, v: ConfigView, get: (k: string) => string): void {
  for (const key of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) {
    if (get(key)) checkProxyUrl(f, v.fieldOf(key), get(key), key);
  }
  for (const key of ['no_proxy', 'NO_PROXY']) if (get(key)) checkNoProxy(f, v.fieldOf(key), get(key));
  for (const [lower, upper] of [['http_proxy', 'HTTP_PROXY'], ['https_proxy', 'HTTPS_PROXY'], ['no_proxy', 'NO_PROXY']] as const) {
    if (get(lower) !== get(upper)) {
      f.warn('W_PROXY_CASE_MISMATCH', v.fieldOf(upper), `${lower} and ${upper} differ; tools read one or the other.`, 'Give both the same value.');
    }
  }
}

function checkStaticIp(f: Findings, v: ConfigView, get: (k: string) => string): void {
  const keys = ['static_ip', 'subnet_mask', 'default_gate_way', 'dns_name_server'] as const;
  const set = keys.filter((k) => get(k) !== '');
  if (set.length === 0) return;
  if (set.length < keys.length) {
    const missing = keys.filter((k) => get(k) === '');
    f.error('E_STATIC_IP_PARTIAL', v.fieldOf(missing[0]!), `The static address is set only in part (missing: ${missing.join(', ')}); the installer writes a broken network file then.`, 'Fill in address, prefix length, gateway and DNS servers, or leave all four empty.');
    return;
  }
  checkIpv4(f, v.fieldOf('static_ip'), get('static_ip'), 'The static address');
  checkIpv4(f, v.fieldOf('default_gate_way'), get('default_gate_way'), 'The gateway');
  for (const dns of get('dns_name_server').split(',')) checkIpv4(f, v.fieldOf('dns_name_server'), dns.trim(), 'The DNS server');
  const mask = get('subnet_mask');
  if (!/^[0-9]{1,2}$/.test(mask) || Number(mask) > 32) {
    const prefix = maskToPrefix(mask);
    f.error('E_PREFIX', v.fieldOf('subnet_mask'), `The subnet mask "${mask}" is not a prefix length; the installer writes it after a slash (${get('static_ip')}/${mask}).`, prefix === null ? 'Enter a prefix length from 0 to 32, e.g. 24.' : `Write ${prefix} instead of ${mask}.`);
  }
}

function checkSections(f: Findings, v: ConfigView): void {
  for (const part of ['enable', 'disable'] as const) {
    for (const name of v.services[part]) {
      if (typeof name !== 'string' || !UNIT.test(name)) {
        f.error('E_SERVICE_NAME', v.fieldOf('services'), `services.${part} lists "${String(name)}", which is not a service name.`, 'List unit names such as docker or ssh.service, one per entry.');
      }
    }
  }
  for (const [i, entry] of v.writeFiles.entries()) {
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      f.error('E_CONFIG_SECTION', v.fieldOf('write_files'), `write_files entry ${i + 1} is not a mapping with path and content.`, 'Write each entry as "- path: …" with permissions and content below it.');
      continue;
    }
    const e = entry as Record<string, unknown>;
    const path = typeof e.path === 'string' ? e.path : '';
    if (!path.startsWith('/') || path.split('/').includes('..')) {
      f.error('E_CONFIG_WRITE_FILE_PATH', v.fieldOf('write_files'), `write_files entry ${i + 1} has the path "${path}"; an absolute path without ".." is needed.`, 'Use a path such as /etc/myapp/config.yaml.');
    }
    if (e.permissions !== undefined && !/^0?[0-7]{3}$/.test(String(e.permissions))) {
      f.error('E_CONFIG_WRITE_FILE_MODE', v.fieldOf('write_files'), `write_files entry ${i + 1} has the permissions "${String(e.permissions)}".`, "Use an octal mode in quotes, such as '0644' or '0755'.");
    }
    if (typeof e.content !== 'string' || e.content === '') {
      f.error('E_CONFIG_WRITE_FILE_CONTENT', v.fieldOf('write_files'), `write_files entry ${i + 1} (${path}) has no content; the installer skips it.`, 'Add the content, or remove the entry.');
    }
    for (const key of Object.keys(e)) {
      if (!WRITE_FILE_KEYS.has(key)) f.warn('W_CONFIG_WRITE_FILE_KEY', v.fieldOf('write_files'), `write_files entry ${i + 1} sets "${key}", which the standalone installer ignores (it reads path, permissions and content only).`, 'Remove the key, or do the same with a runcmd command.');
    }
  }
  for (const [i, cmd] of v.runcmd.entries()) checkRuncmd(f, v.fieldOf('runcmd'), i, cmd);
}

/**
 * The installer copies each runcmd item into cloud-init's script line by line with awk, after
 * removing "- ": an item must be one line, and plain YAML text that reads back as itself.
 */
function checkRuncmd(f: Findings, field: string, i: number, cmd: unknown): void {
  const hint = 'Keep each command on one line; put longer logic in a script (write_files) and run that.';
  if (typeof cmd !== 'string' || cmd.trim() === '') {
    f.error('E_CONFIG_RUNCMD', field, `runcmd item ${i + 1} is not a one-line command.`, hint);
    return;
  }
  if (/[\r\n]/.test(cmd)) {
    f.error('E_CONFIG_RUNCMD', field, `runcmd item ${i + 1} spans several lines; the installer takes only the first.`, hint);
    return;
  }
  let back: unknown;
  try {
    back = parseYaml(`- ${cmd}\n`);
  } catch {
    back = null;
  }
  if (!Array.isArray(back) || back[0] !== cmd) {
    f.error('E_CONFIG_RUNCMD', field, `runcmd item ${i + 1} ("${cmd.slice(0, 60)}") is not plain YAML text (": ", " #" or a leading quote, brace or dash change its meaning).`, hint);
  }
}
