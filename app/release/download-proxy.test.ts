import { describe, expect, it } from 'vitest';
import { parseNoProxy, proxyConfig, proxyFor } from './download-proxy';

const system = { mode: 'system' as const, url: '', noProxy: '' };
const via = (target: string, env: NodeJS.ProcessEnv) => proxyFor(new URL(target), proxyConfig(system, env))?.href ?? null;

describe('proxy selection', () => {
  it('reads HTTPS_PROXY for https and HTTP_PROXY for http, lower case first, ALL_PROXY last', () => {
    const env = { HTTPS_PROXY: 'http://upper:3128', https_proxy: 'lower:8080', HTTP_PROXY: 'http://plain:3128' };
    expect(via('https://files-rs.edgeorchestration.intel.com/x', env)).toBe('http://lower:8080/');
    expect(via('http://example.com/x', env)).toBe('http://plain:3128/');
    expect(via('http://example.com/x', { ALL_PROXY: 'http://all:1' })).toBe('http://all:1/');
    expect(via('https://example.com/x', {})).toBeNull();
  });

  it('follows NO_PROXY: domain suffixes on label boundaries, ports, IPv4 CIDR, IPv6, and *', () => {
    const env = { https_proxy: 'http://p:1', http_proxy: 'http://p:1', no_proxy: 'intel.com, .corp.example,*.lab, 10.0.0.0/8, internal:8443, [::1]' };
    expect(via('https://files-rs.edgeorchestration.intel.com/', env)).toBeNull();
    expect(via('https://intel.com/', env)).toBeNull();
    expect(via('https://notintel.com/', env)).toBe('http://p:1/');
    expect(via('https://a.b.corp.example/', env)).toBeNull();
    expect(via('https://x.lab/', env)).toBeNull();
    expect(via('http://10.20.30.40/', env)).toBeNull();
    expect(via('http://11.0.0.1/', env)).toBe('http://p:1/');
    expect(via('https://internal:8443/', env)).toBeNull();
    expect(via('https://internal/', env)).toBe('http://p:1/');
    expect(via('http://[::1]:8080/', env)).toBeNull();
    expect(via('https://anything/', { https_proxy: 'http://p:1', NO_PROXY: '*' })).toBeNull();
  });

  it('lets the settings override the environment, or switch proxies off', () => {
    const env = { https_proxy: 'http://env:1' };
    const manual = proxyConfig({ mode: 'manual', url: 'http://user:p%40ss@set:3128', noProxy: 'local.test' }, env);
    expect(proxyFor(new URL('https://x.example/'), manual)?.host).toBe('set:3128');
    expect(proxyFor(new URL('https://a.local.test/'), manual)).toBeNull();
    expect(proxyFor(new URL('https://x.example/'), proxyConfig({ mode: 'none', url: '', noProxy: '' }, env))).toBeNull();
  });

  it('refuses proxies it cannot speak to with E_PROXY_INVALID', () => {
    expect(() => proxyConfig(system, { https_proxy: 'socks5://p:1080' })).toThrow(expect.objectContaining({ code: 'E_PROXY_INVALID' }));
    expect(() => proxyConfig({ mode: 'manual', url: 'http://[bad', noProxy: '' }, {})).toThrow(expect.objectContaining({ code: 'E_PROXY_INVALID' }));
  });

  it('parses an empty NO_PROXY to no rules', () => {
    expect(parseNoProxy(' , ')).toEqual([]);
  });
});
