import { isIPv4 } from 'node:net';
import type { ProxySettings } from '../contract/settings';
import { EmtError } from '../errors';

/**
 * Which proxy a request goes through. Technicians sit behind corporate proxies: the environment's
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY (as curl reads them) or a proxy set in the settings.
 * Only plain-HTTP proxies are supported: https targets go through a CONNECT tunnel, http targets
 * are sent to the proxy as absolute-URI requests (RFC 9112 §3.2.2).
 */
export interface ProxyConfig {
  http: URL | null;
  https: URL | null;
  noProxy: NoProxyRule[];
}

export type NoProxyRule =
  | { kind: 'all' }
  | { kind: 'host'; host: string; port: number | null }
  | { kind: 'cidr'; base: number; bits: number; port: number | null };

export const DIRECT: ProxyConfig = { http: null, https: null, noProxy: [] };

export function proxyConfig(settings: ProxySettings, env: NodeJS.ProcessEnv): ProxyConfig {
  if (settings.mode === 'none') return DIRECT;
  if (settings.mode === 'manual') {
    const url = parseProxyUrl(settings.url, 'the proxy setting');
    return { http: url, https: url, noProxy: parseNoProxy(settings.noProxy) };
  }
  // curl's lookup order: the lower-case name first, then upper-case, then ALL_PROXY.
  const pick = (...names: string[]) => names.map((n) => env[n]).find((v) => v !== undefined && v.trim() !== '');
  const all = pick('all_proxy', 'ALL_PROXY');
  const https = pick('https_proxy', 'HTTPS_PROXY') ?? all;
  const http = pick('http_proxy', 'HTTP_PROXY') ?? all;
  return {
    https: https ? parseProxyUrl(https, 'HTTPS_PROXY') : null,
    http: http ? parseProxyUrl(http, 'HTTP_PROXY') : null,
    noProxy: parseNoProxy(pick('no_proxy', 'NO_PROXY') ?? ''),
  };
}

function parseProxyUrl(text: string, where: string): URL {
  const t = text.trim();
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(t) ? t : `http://${t}`);
  } catch (e) {
    throw new EmtError('E_PROXY_INVALID', `The proxy in ${where} is not a valid URL ("${t}").`, 'Write it as http://proxy.example.com:3128 (user:password@ before the host if it needs a login).', { cause: e });
  }
  if (url.protocol !== 'http:') {
    throw new EmtError('E_PROXY_INVALID', `The proxy in ${where} uses ${url.protocol.slice(0, -1)}, which EMT Media Builder does not support.`, 'Use the HTTP address of the proxy (http://host:port); https sites still go through it encrypted.');
  }
  return url;
}

export function parseNoProxy(text: string): NoProxyRule[] {
  const rules: NoProxyRule[] = [];
  for (const raw of text.toLowerCase().split(/[,\s]+/)) {
    if (!raw) continue;
    if (raw === '*') {
      rules.push({ kind: 'all' });
      continue;
    }
    const { host, port } = splitHostPort(raw);
    const cidr = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(host);
    if (cidr && isIPv4(cidr[1]!) && Number(cidr[2]) <= 32) {
      rules.push({ kind: 'cidr', base: ipv4ToInt(cidr[1]!), bits: Number(cidr[2]), port });
      continue;
    }
    // ".example.com" and "*.example.com" mean the same as "example.com": the domain and below.
    rules.push({ kind: 'host', host: host.replace(/^\*?\./, ''), port });
  }
  return rules;
}

function splitHostPort(entry: string): { host: string; port: number | null } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (v6) return { host: v6[1]!, port: v6[2] ? Number(v6[2]) : null };
  const m = /^([^:]+):(\d+)$/.exec(entry);
  if (m) return { host: m[1]!, port: Number(m[2]) };
  return { host: entry, port: null };
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

export function defaultPort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/** The proxy to use for `target`, or null to connect directly. */
export function proxyFor(target: URL, config: ProxyConfig): URL | null {
  const proxy = target.protocol === 'https:' ? config.https : config.http;
  if (!proxy) return null;
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = defaultPort(target);
  const bypass = config.noProxy.some((rule) => {
    if (rule.kind === 'all') return true;
    if (rule.port !== null && rule.port !== port) return false;
    if (rule.kind === 'cidr') {
      if (!isIPv4(host)) return false;
      const mask = rule.bits === 0 ? 0 : (~0 << (32 - rule.bits)) >>> 0;
      return ((ipv4ToInt(host) & mask) >>> 0) === ((rule.base & mask) >>> 0);
    }
    return host === rule.host || host.endsWith(`.${rule.host}`);
  });
  return bypass ? null : proxy;
}
