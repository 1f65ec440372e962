import type { Findings } from '../findings';

/** Dotted quad, each part 0-255 without leading zeros (which some parsers read as octal). */
export function isIpv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

// RFC 1123 §2.1: letters, digits and hyphens; a label neither starts nor ends with a hyphen.
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

export function isHostName(s: string): boolean {
  if (s.length === 0 || s.length > 253) return false;
  const name = s.endsWith('.') ? s.slice(0, -1) : s;
  return name.split('.').every((l) => LABEL.test(l));
}

/** What a URL-shaped value would have been as a host name, for the hint. */
function hostOfUrl(value: string): string | null {
  try {
    return new URL(value).host || null;
  } catch {
    return null;
  }
}

/**
 * A host name or IPv4 address, optionally with `:port`. Values in env_config are host names, not
 * URLs: device-discovery puts `https://` in front of KEYCLOAK_URL itself.
 */
export function checkHost(f: Findings, field: string, value: string, label: string, opts: { isPortAllowed: boolean }): void {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    const host = hostOfUrl(value);
    f.error('E_URL_NOT_HOST', field, `${label} is a URL (${value}); a host name is expected here.`, host ? `Write only the host: ${host}` : 'Write only the host name, without http:// or a path.');
    return;
  }
  let host = value;
  let port: string | null = null;
  const colon = value.lastIndexOf(':');
  if (colon >= 0) {
    host = value.slice(0, colon);
    port = value.slice(colon + 1);
  }
  if (!isIpv4(host) && !isHostName(host)) {
    f.error('E_HOST_NAME', field, `${label} "${value}" is not a valid host name.`, 'Use letters, digits, hyphens and dots only, e.g. keycloak.orch.example.com.');
    return;
  }
  if (port !== null) {
    if (!opts.isPortAllowed) {
      f.error('E_HOST_WITH_PORT', field, `${label} "${value}" carries a port, which this setting does not take.`, `Write only the host (${host}); the port is a setting of its own.`);
      return;
    }
    checkPort(f, field, port, label);
  }
}

export function checkPort(f: Findings, field: string, value: string | number, label: string): void {
  const s = String(value);
  if (!/^[0-9]{1,5}$/.test(s) || Number(s) < 1 || Number(s) > 65535) {
    f.error('E_PORT', field, `${label}: "${s}" is not a port number.`, 'Use a number from 1 to 65535, such as 443.');
  }
}

/** `http://host:port` as curl, Go and the installer read it from http_proxy. */
export function checkProxyUrl(f: Findings, field: string, value: string, label: string): void {
  if (/\s/.test(value)) {
    f.error('E_PROXY_URL', field, `${label} contains a space.`, 'Write the proxy as one URL such as http://proxy.example.com:3128.');
    return;
  }
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    f.error('E_PROXY_URL', field, `${label} "${value}" has no scheme.`, `Write it as a URL: http://${value}`);
    return;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    f.error('E_PROXY_URL', field, `${label} "${value}" is not a valid URL.`, 'Write the proxy as http://host:port.');
    return;
  }
  if (!['http:', 'https:', 'socks5:', 'socks5h:'].includes(url.protocol)) {
    f.error('E_PROXY_URL', field, `${label} uses the scheme ${url.protocol.slice(0, -1)}, which the node's tools do not support for proxies.`, 'Use http://, https:// or socks5://.');
    return;
  }
  if (url.username || url.password) {
    f.error(
      'E_PROXY_CREDENTIALS',
      field,
      `${label} contains a user name or password; it would be written in clear text on the media and in the profile.`,
      'Use a proxy that admits the node by address, or one that needs no credentials for the onboarding hosts.',
    );
    return;
  }
  if (!isIpv4(url.hostname) && !isHostName(url.hostname)) {
    f.error('E_PROXY_URL', field, `${label} "${value}" does not name a valid host.`, 'Write the proxy as http://host:port.');
    return;
  }
  if (url.pathname !== '/' || url.search || url.hash) {
    f.warn('W_PROXY_PATH', field, `${label} "${value}" has a path, which proxies ignore.`, `Write only the scheme, host and port: ${url.protocol}//${url.host}`);
  }
}

/** no_proxy: a comma list without spaces (the installer and Go split on commas only). */
export function checkNoProxy(f: Findings, field: string, value: string): void {
  if (/\s/.test(value)) {
    f.error('E_NO_PROXY_LIST', field, 'The no-proxy list contains spaces.', 'Separate the entries with commas only: localhost,127.0.0.1,.example.com');
    return;
  }
  for (const entry of value.split(',')) {
    if (entry === '') continue;
    const bare = entry.replace(/^\*?\./, '');
    const [ip, bits, extra] = bare.split('/');
    const isCidr = bits !== undefined && extra === undefined && isIpv4(ip ?? '') && /^[0-9]{1,2}$/.test(bits) && Number(bits) <= 32;
    if (!isCidr && !isIpv4(bare) && !isHostName(bare) && entry !== '*') {
      f.error('E_NO_PROXY_LIST', field, `The no-proxy entry "${entry}" is neither a host, a domain nor a network.`, 'Use entries such as localhost, .example.com, 10.0.0.0/8.');
    }
  }
}

/** aa:bb:cc:dd:ee:ff in lower case (as /sys/class/net/<if>/address shows it), or null. */
export function normalizeMac(value: string): string | null {
  const m = /^([0-9a-f]{2})([:-])([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})$/i.exec(value.trim());
  if (!m) return null;
  return [m[1], m[3], m[4], m[5], m[6], m[7]].join(':').toLowerCase();
}

export function checkMac(f: Findings, field: string, value: string): void {
  const mac = normalizeMac(value);
  if (!mac) {
    f.error('E_MAC', field, `"${value}" is not a MAC address.`, 'Write six pairs of hex digits separated by colons, e.g. 52:54:00:12:34:56 (printed on the NIC or in the BIOS).');
    return;
  }
  // IEEE 802 §8.2: the low bit of the first octet marks a group (multicast) address.
  if (mac === '00:00:00:00:00:00' || (parseInt(mac.slice(0, 2), 16) & 1) === 1) {
    f.error('E_MAC_NOT_UNICAST', field, `${mac} is a broadcast, multicast or empty address, not the address of a NIC.`, 'Copy the MAC of the network port the node onboards through.');
  }
}

export function checkIpv4(f: Findings, field: string, value: string, label: string): void {
  if (!isIpv4(value)) f.error('E_IPV4', field, `${label} "${value}" is not an IPv4 address.`, 'Write four numbers from 0 to 255 separated by dots, e.g. 192.168.1.20.');
}

/** Prefix length of a dotted netmask, or null when the mask is not contiguous. */
export function maskToPrefix(mask: string): number | null {
  if (!isIpv4(mask)) return null;
  const n = mask.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
  const bits = n.toString(2).padStart(32, '0');
  if (!/^1*0*$/.test(bits)) return null;
  const firstZero = bits.indexOf('0');
  return firstZero < 0 ? 32 : firstZero;
}
