import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Overlay } from '../../media/overlay';
import { render } from '../render';
import { makeCert, type TestCert } from '../testing/pki';
import { bootkitRelease, emfProfile } from '../testing/profiles';

/**
 * Our generated configs judged by the real tools: Caddy 2 (Debian's caddy package) adapts and
 * validates the Caddyfile; sh, dash and bash parse the scripts; Fluent Bit's YAML is parsed and
 * its references checked (Fluent Bit is not packaged for Debian 12, so it cannot run here).
 */
let ca: TestCert;
let dir: string;
beforeAll(() => {
  ca = makeCert('Orchestrator CA');
  dir = mkdtempSync(join(tmpdir(), 'emt-templates-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function text(overlay: Overlay, path: string): string {
  const node = overlay.get(path);
  if (node?.kind !== 'file') throw new Error(`${path} is not a file of the overlay`);
  return node.content.toString('utf8');
}

function rendered(): Overlay {
  const p = emfProfile(ca, { services: { logging_svc: 'logs.orch.example.com:8443', release_svc: 'release.orch.example.com' }, workerId: { mode: 'auto' } });
  const r = render(p, bootkitRelease());
  expect(r.findings).toEqual([]);
  return r.overlay;
}

const TOKENS = { access_token: 'ACCESS-T', release_token: 'RELEASE-T', project_id: 'PROJECT-1', host_guid: 'GUID-1' };

interface Proxy {
  listen: string;
  paths: string[];
  dial: string;
  serverName: string;
  authorization: string;
  headers: Record<string, string[]>;
}

/** Every reverse_proxy handler of Caddy's adapted JSON, with its listener and path matchers. */
function proxies(config: { apps: { http: { servers: Record<string, { listen: string[]; routes: unknown[] }> } } }): Proxy[] {
  const out: Proxy[] = [];
  const walk = (node: unknown, listen: string, paths: string[]): void => {
    if (Array.isArray(node)) return node.forEach((n) => walk(n, listen, paths));
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    const matched = Array.isArray(o.match) ? (o.match as Array<{ path?: string[] }>).flatMap((m) => m.path ?? []) : [];
    if (o.handler === 'reverse_proxy') {
      const set = (o.headers as { request: { set: Record<string, string[]> } }).request.set;
      out.push({
        listen,
        paths,
        dial: (o.upstreams as Array<{ dial: string }>)[0]!.dial,
        serverName: (o.transport as { tls: { server_name: string } }).tls.server_name,
        authorization: set.Authorization![0]!,
        headers: set,
      });
      return;
    }
    for (const v of Object.values(o)) walk(v, listen, [...paths, ...matched]);
  };
  for (const server of Object.values(config.apps.http.servers)) walk(server.routes, server.listen[0]!, []);
  return out;
}

describe('generated Caddyfile, checked by Caddy', () => {
  it('is accepted by caddy validate, also without the tokens (the vendor unit validates before caddy_run.sh runs)', () => {
    writeFileSync(join(dir, 'Caddyfile'), text(rendered(), '/etc/caddy/Caddyfile'));
    const withoutTokens = Object.fromEntries(Object.entries(process.env).filter(([k]) => !(k in TOKENS)));
    for (const env of [{ ...process.env, ...TOKENS }, withoutTokens]) {
      const out = execFileSync('caddy', ['validate', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], { env, cwd: dir, encoding: 'utf8', stdio: 'pipe' });
      expect(out).toContain('Valid configuration');
    }
  });

  it('listens on 127.0.0.1 only and forwards each endpoint over TLS with the right token', () => {
    writeFileSync(join(dir, 'Caddyfile'), text(rendered(), '/etc/caddy/Caddyfile'));
    const json = execFileSync('caddy', ['adapt', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], { env: { ...process.env, ...TOKENS }, cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const config = JSON.parse(json);
    const servers = Object.values(config.apps.http.servers) as Array<{ listen: string[]; protocols: string[] }>;
    expect(servers.map((s) => s.listen).flat().sort()).toEqual(['127.0.0.1:24224', '127.0.0.1:42113', '127.0.0.1:7443', '127.0.0.1:80']);
    // tink-worker's gRPC arrives without TLS (tinkerbell_tls=false).
    for (const s of servers) expect(s.protocols).toContain('h2c');
    const summary = proxies(config).map((p) => `${p.listen} ${p.paths.join(',') || '*'} -> ${p.dial} sni=${p.serverName} ${p.authorization}`);
    expect(summary.sort()).toEqual([
      '127.0.0.1:24224 * -> logs.orch.example.com:8443 sni=logs.orch.example.com Bearer ACCESS-T',
      '127.0.0.1:42113 * -> tinkerbell-server.orch.example.com:443 sni=tinkerbell-server.orch.example.com Bearer ACCESS-T',
      '127.0.0.1:7443 * -> registry-rs.edgeorchestration.intel.com:443 sni=registry-rs.edgeorchestration.intel.com Bearer RELEASE-T',
      '127.0.0.1:80 /files-edge-orch/repository/* -> release.orch.example.com:443 sni=release.orch.example.com Bearer RELEASE-T',
      '127.0.0.1:80 /tink-stack/* -> tinkerbell-haproxy.orch.example.com:443 sni=tinkerbell-haproxy.orch.example.com Bearer ACCESS-T',
    ]);
    const logs = proxies(config).find((p) => p.listen === '127.0.0.1:24224')!;
    expect(logs.headers['X-Scope-Orgid']).toEqual(['PROJECT-1']);
    expect(logs.headers.Hostguid).toEqual(['GUID-1']);
    // At DEBUG, Caddy would log the Authorization headers.
    expect(config.logging.logs.default.level).toBe('INFO');
  });
});

describe('generated scripts and Fluent Bit files', () => {
  it('scripts parse under sh, dash and bash', () => {
    const overlay = rendered();
    for (const path of ['/etc/caddy/caddy_run.sh', '/etc/fluent-bit/fluentbit_run.sh', '/etc/emt-media/select-worker-id.sh']) {
      const file = join(dir, path.split('/').pop()!);
      writeFileSync(file, text(overlay, path));
      for (const shell of ['sh', 'dash', 'bash']) execFileSync(shell, ['-n', file], { stdio: 'pipe' });
    }
  });

  it('Fluent Bit reads the parsers file it names, uses only parsers defined there, and sends to Caddy', () => {
    const overlay = rendered();
    const config = parseYaml(text(overlay, '/etc/fluent-bit/fluent-bit.yaml')) as {
      service: { parsers_file: string };
      pipeline: { inputs: Array<{ name: string; processors: { logs: Array<{ name: string; parser?: string; key?: string; value?: string }> } }>; outputs: Array<Record<string, unknown>> };
    };
    expect(overlay.get(config.service.parsers_file)?.kind).toBe('file');
    const defined = [...text(overlay, config.service.parsers_file).matchAll(/^\s*Name\s+(\S+)/gm)].map((m) => m[1]);
    const used = config.pipeline.inputs.flatMap((i) => i.processors.logs.filter((p) => p.name === 'parser').map((p) => p.parser));
    expect(used.length).toBeGreaterThan(0);
    for (const p of used) expect(defined).toContain(p);
    for (const input of config.pipeline.inputs) {
      expect(input.processors.logs).toContainEqual(expect.objectContaining({ key: 'hostGuid', value: '${EDGENODE_UUID}' }));
    }
    expect(config.pipeline.outputs).toEqual([expect.objectContaining({ name: 'opentelemetry', host: 'localhost', port: 24224, logs_uri: '/v1/logs', tls: 'off' })]);
  });
});
