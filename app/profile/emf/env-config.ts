import { EMF_SERVICE_KEYS, type EmfProfile, type EmfServiceKey, type EmfSettings, type ExtraHost, type Proxy } from '../../contract/profile';
import { Findings, at } from '../findings';
import { checkHost, checkIpv4, checkPort, isHostName } from '../checks/net';

/**
 * The EMF environment file, written to both /etc/emf/env_config (sourced by caddy_run.sh) and
 * /etc/hook/env_config (read by device-discovery, which splits each line at the first `=` and
 * keeps quotes as part of the value). Hence plain `key=value` lines: no quotes, no spaces.
 */

/** Intel's public release service and registry: what an orchestrator uses unless it mirrors them. */
export const INTEL_RELEASE_SERVICE = 'files-rs.edgeorchestration.intel.com';
export const INTEL_OCI_REGISTRY = 'registry-rs.edgeorchestration.intel.com';

/** Host name prefixes under the orchestrator's cluster domain (EMF's infra-onboarding defaults). */
const DOMAIN_PREFIX: Partial<Record<EmfServiceKey, string>> = {
  KEYCLOAK_URL: 'keycloak',
  tink_stack_svc: 'tinkerbell-haproxy',
  tink_server_svc: 'tinkerbell-server',
  onboarding_manager_svc: 'onboarding-node',
  onboarding_stream_svc: 'onboarding-stream',
  logging_svc: 'logs-node',
};
const FIXED_DEFAULT: Partial<Record<EmfServiceKey, string>> = {
  release_svc: INTEL_RELEASE_SERVICE,
  oci_release_svc: INTEL_OCI_REGISTRY,
  OBM_PORT: '443',
};

export interface ResolvedService {
  key: EmfServiceKey;
  value: string | null;
  origin: 'override' | 'domain' | 'default' | 'missing';
}

/** Every service value: the technician's override, else what the domain implies, else the default. */
export function resolveServices(emf: EmfSettings): ResolvedService[] {
  return EMF_SERVICE_KEYS.map((key) => {
    const override = emf.services?.[key]?.trim();
    if (override) return { key, value: override, origin: 'override' };
    const prefix = DOMAIN_PREFIX[key];
    const domain = emf.orchestratorDomain?.trim().replace(/\.$/, '');
    if (prefix && domain) return { key, value: `${prefix}.${domain}`, origin: 'domain' };
    const fixed = FIXED_DEFAULT[key];
    if (fixed) return { key, value: fixed, origin: 'default' };
    return { key, value: null, origin: 'missing' };
  });
}

export function serviceValue(emf: EmfSettings, key: EmfServiceKey): string {
  return resolveServices(emf).find((s) => s.key === key)?.value ?? '';
}

/** Host and port of a `host[:port]` service value (443 when none is given). */
export function splitHostPort(value: string): { host: string; port: number } {
  const colon = value.lastIndexOf(':');
  return colon < 0 ? { host: value, port: 443 } : { host: value.slice(0, colon), port: Number(value.slice(colon + 1)) };
}

export function formatExtraHosts(hosts: readonly ExtraHost[]): string {
  return hosts.map((h) => [h.ip, ...h.names].join(' ')).join(',');
}

/** The lines of env_config, in order. */
export function envConfigEntries(profile: EmfProfile): Array<[string, string]> {
  const emf = profile.emf;
  const out: Array<[string, string]> = [];
  for (const s of resolveServices(emf)) if (s.value) out.push([s.key, s.value]);
  const proxy = profile.network?.proxy;
  if (proxy?.http) out.push(['http_proxy', proxy.http]);
  if (proxy?.https) out.push(['https_proxy', proxy.https]);
  if (proxy?.noProxy) out.push(['no_proxy', proxy.noProxy]);
  if (emf.extraHosts?.length) out.push(['EXTRA_HOSTS', formatExtraHosts(emf.extraHosts)]);
  for (const [k, v] of Object.entries(emf.extraEnv ?? {})) out.push([k, v]);
  return out;
}

export function renderEnvConfig(entries: ReadonlyArray<[string, string]>): string {
  // EXTRA_HOSTS is the one value with spaces ("ip name"): quoted so that sh can source it;
  // device-discovery strips the quotes itself.
  return entries.map(([k, v]) => (k === 'EXTRA_HOSTS' ? `${k}="${v}"` : `${k}=${v}`)).join('\n') + '\n';
}

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Characters sh would interpret when sourcing the file, and those Go would keep verbatim. */
const UNSAFE_VALUE = /[\s"'`$\\;&|<>()#]/;
const RESERVED = new Set<string>([...EMF_SERVICE_KEYS, 'http_proxy', 'https_proxy', 'no_proxy', 'EXTRA_HOSTS']);

export function checkEnvKey(f: Findings, field: string, key: string): boolean {
  if (!ENV_KEY.test(key)) {
    f.error('E_ENV_KEY', field, `The environment key "${show(key)}" is not a plain name (letters, digits, underscore; no spaces, quotes or line breaks).`, 'Rename it, e.g. MY_SETTING.');
    return false;
  }
  return true;
}

export function checkEnvValue(f: Findings, field: string, key: string, value: string): boolean {
  if (UNSAFE_VALUE.test(value)) {
    f.error(
      'E_ENV_VALUE',
      field,
      `The value of ${key} contains a space, quote, line break or shell character; env_config is read both by sh and by Go, which would disagree about it.`,
      'Remove the character; values are host names, ports and comma lists.',
    );
    return false;
  }
  return true;
}

function show(s: string): string {
  return s.replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
}

/** Validate the env_config the profile will produce. */
export function checkEmfEnvironment(f: Findings, emf: EmfSettings, isCaddyImported: boolean): void {
  const base = 'emf.services';
  if (emf.orchestratorDomain !== undefined && emf.orchestratorDomain.trim() !== '') {
    checkHost(f, 'emf.orchestratorDomain', emf.orchestratorDomain.trim(), 'The orchestrator domain', { isPortAllowed: false });
  }
  for (const s of resolveServices(emf)) {
    const field = s.origin === 'domain' ? 'emf.orchestratorDomain' : at(base, s.key);
    if (!s.value) {
      f.error('E_ENV_MISSING', at(base, s.key), `${s.key} has no value: the node's services cannot reach the orchestrator without it.`, 'Enter the orchestrator domain, or a value for this service.');
      continue;
    }
    if (s.origin === 'domain') continue; // the domain itself is checked once, above
    if (!checkEnvValue(f, field, s.key, s.value)) continue;
    if (s.key === 'OBM_PORT') checkPort(f, field, s.value, 'OBM_PORT');
    else if (s.key === 'onboarding_manager_svc' || s.key === 'onboarding_stream_svc') checkHost(f, field, s.value, s.key, { isPortAllowed: false });
    else checkHost(f, field, s.value, s.key, { isPortAllowed: true });
    if (isCaddyImported && s.value.includes(':') && s.key !== 'KEYCLOAK_URL' && s.key !== 'OBM_PORT') {
      f.warn('W_SERVICE_PORT_IMPORTED_CADDY', field, `${s.key} carries a port, but the imported Caddyfile adds :443 itself.`, 'Remove the port, or let EMT Media Builder generate the Caddyfile.');
    }
  }
  // device-discovery derives the release-token URL by replacing "keycloak" with "release" in KEYCLOAK_URL.
  const keycloak = serviceValue(emf, 'KEYCLOAK_URL');
  if (keycloak && !keycloak.includes('keycloak')) {
    f.warn('W_KEYCLOAK_NAME', at(base, 'KEYCLOAK_URL'), `KEYCLOAK_URL (${keycloak}) does not contain "keycloak"; the node finds the release service by replacing that word with "release".`, 'Use the keycloak.<domain> name the orchestrator publishes.');
  }
  for (const [i, h] of (emf.extraHosts ?? []).entries()) {
    const field = at('emf.extraHosts', i);
    checkIpv4(f, at(field, 'ip'), h.ip, 'The extra host address');
    if (h.names.length === 0) f.error('E_EXTRA_HOSTS', at(field, 'names'), `The extra host ${h.ip} has no names.`, 'Add at least one host name for this address.');
    for (const name of h.names) {
      if (!isHostName(name)) f.error('E_EXTRA_HOSTS', at(field, 'names'), `"${show(name)}" is not a host name for ${h.ip}.`, 'Use names such as keycloak.orch.example.com.');
    }
  }
  for (const [k, v] of Object.entries(emf.extraEnv ?? {})) {
    const field = at('emf.extraEnv', k);
    if (!checkEnvKey(f, field, k)) continue;
    if (RESERVED.has(k)) {
      f.error('E_ENV_KEY_RESERVED', field, `${k} is set among the extra environment keys, but it has a field of its own.`, 'Remove it from the extra keys and use its field.');
      continue;
    }
    checkEnvValue(f, field, k, v);
  }
}

export interface ImportedEnv {
  services: Partial<Record<EmfServiceKey, string>>;
  extraEnv: Record<string, string>;
  proxy: Proxy;
  extraHosts: ExtraHost[];
  findings: Findings;
}

/** Read an orchestrator's env_config into profile fields; every problem is a finding with its line. */
export function importEnvConfig(text: string): ImportedEnv {
  const f = new Findings();
  const out: ImportedEnv = { services: {}, extraEnv: {}, proxy: {}, extraHosts: [], findings: f };
  const field = 'emf.envImport';
  const seen = new Set<string>();
  for (const [index, raw] of text.split('\n').entries()) {
    const n = index + 1;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (raw.endsWith('\r') && n === 1) f.warn('W_ENV_CRLF', field, 'The env_config file has Windows line endings; they were removed.', 'Nothing to do: the file is written with Unix line endings.');
    if (line.trim() === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) {
      f.error('E_ENV_SYNTAX', field, `Line ${n} of env_config ("${show(line.slice(0, 40))}") is not key=value.`, 'Fix or remove the line.');
      continue;
    }
    const key = line.slice(0, eq);
    let value = line.slice(eq + 1);
    if (!checkEnvKey(f, field, key)) continue;
    if (seen.has(key)) f.warn('W_ENV_DUPLICATE', field, `${key} appears more than once in env_config (line ${n}); the last value is kept.`, 'Remove the extra line.');
    seen.add(key);
    if (key === 'EXTRA_HOSTS') {
      if (/^".*"$/.test(value)) value = value.slice(1, -1);
      out.extraHosts = parseExtraHosts(f, field, value, n);
      continue;
    }
    if (!checkEnvValue(f, field, key, value)) continue;
    if ((EMF_SERVICE_KEYS as readonly string[]).includes(key)) out.services[key as EmfServiceKey] = value;
    else if (key === 'http_proxy') out.proxy.http = value;
    else if (key === 'https_proxy') out.proxy.https = value;
    else if (key === 'no_proxy') out.proxy.noProxy = value;
    else {
      f.warn('W_ENV_UNKNOWN_KEY', field, `env_config line ${n} sets ${key}, which EMT Media Builder does not know; it is kept as an extra key.`, 'Check the spelling; remove it if the node does not need it.');
      out.extraEnv[key] = value;
    }
  }
  return out;
}

function parseExtraHosts(f: Findings, field: string, value: string, line: number): ExtraHost[] {
  const hosts: ExtraHost[] = [];
  for (const entry of value.split(',')) {
    const [ip, ...names] = entry.trim().split(/\s+/);
    if (!ip) continue;
    if (names.length === 0) {
      f.error('E_EXTRA_HOSTS', field, `EXTRA_HOSTS entry "${entry.trim()}" on line ${line} has no host name.`, 'Write entries as "<ip> <name> [<name>…]", separated by commas.');
      continue;
    }
    hosts.push({ ip, names });
  }
  return hosts;
}
