import type { ConfigFields, Proxy } from '../../contract/profile';

/**
 * The standalone installer's config-file as the installer reads it: shell `key="value"` lines
 * (read with `grep '^key=' | cut -d= -f2`) and the YAML sections (read with yq). Both a profile's
 * fields and an imported file become this view, so that one validator judges both.
 */
export interface ConfigView {
  values: Map<string, { value: string; line?: number }>;
  services: { enable: unknown[]; disable: unknown[] };
  writeFiles: unknown[];
  runcmd: unknown[];
  /** Where a key's findings point: a form field, or the imported file. */
  fieldOf(key: string): string;
}

/** The shell keys, in the order upstream's template lists them (DOMAIN.md §3). */
export const CONFIG_KEYS = [
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'ssh_key',
  'user_name',
  'host_type',
  'static_ip',
  'subnet_mask',
  'default_gate_way',
  'dns_name_server',
  'lvm_size_ingb',
  'huge_page_config',
  'USER_CUSTOM_NTP_SERVERS',
  'deploy_envmt',
] as const;

const FIELD_OF_KEY: Record<string, string> = {
  http_proxy: 'network.proxy.http',
  HTTP_PROXY: 'network.proxy.http',
  https_proxy: 'network.proxy.https',
  HTTPS_PROXY: 'network.proxy.https',
  no_proxy: 'network.proxy.noProxy',
  NO_PROXY: 'network.proxy.noProxy',
  ssh_key: 'standalone.configFile.fields.sshKey',
  user_name: 'standalone.configFile.fields.userName',
  host_type: 'standalone.configFile.fields.hostType',
  static_ip: 'standalone.configFile.fields.staticIp.address',
  subnet_mask: 'standalone.configFile.fields.staticIp.prefixLength',
  default_gate_way: 'standalone.configFile.fields.staticIp.gateway',
  dns_name_server: 'standalone.configFile.fields.staticIp.dnsServers',
  lvm_size_ingb: 'standalone.configFile.fields.lvmSizeGb',
  huge_page_config: 'standalone.configFile.fields.hugePages',
  USER_CUSTOM_NTP_SERVERS: 'standalone.configFile.fields.ntpServers',
  deploy_envmt: 'standalone.configFile.fields.deployEnvironment',
  services: 'standalone.configFile.fields.services',
  write_files: 'standalone.configFile.fields.writeFiles',
  runcmd: 'standalone.configFile.fields.runcmd',
};

/** The view of a profile's fields; unset fields are empty strings, as in upstream's template. */
export function viewOfFields(fields: ConfigFields, proxy: Proxy | undefined): ConfigView {
  const s = fields.staticIp;
  const raw: Record<(typeof CONFIG_KEYS)[number], string> = {
    http_proxy: proxy?.http ?? '',
    https_proxy: proxy?.https ?? '',
    no_proxy: proxy?.noProxy ?? '',
    HTTP_PROXY: proxy?.http ?? '',
    HTTPS_PROXY: proxy?.https ?? '',
    NO_PROXY: proxy?.noProxy ?? '',
    ssh_key: fields.sshKey?.trim() ?? '',
    user_name: fields.userName ?? '',
    host_type: fields.hostType ?? 'kubernetes',
    static_ip: s?.address ?? '',
    subnet_mask: s?.prefixLength === undefined ? '' : String(s.prefixLength),
    default_gate_way: s?.gateway ?? '',
    dns_name_server: (s?.dnsServers ?? []).join(','),
    lvm_size_ingb: String(fields.lvmSizeGb ?? 0),
    huge_page_config: fields.hugePages === undefined ? '' : String(fields.hugePages),
    USER_CUSTOM_NTP_SERVERS: (fields.ntpServers ?? []).join(','),
    deploy_envmt: fields.deployEnvironment ?? '',
  };
  const values = new Map<string, { value: string }>();
  for (const key of CONFIG_KEYS) if (key !== 'deploy_envmt' || raw[key] !== '') values.set(key, { value: raw[key] });
  return {
    values,
    services: { enable: fields.services?.enable ?? [], disable: fields.services?.disable ?? [] },
    writeFiles: fields.writeFiles ?? [],
    runcmd: fields.runcmd ?? [],
    fieldOf: (key) => FIELD_OF_KEY[key] ?? 'standalone.configFile.fields',
  };
}
