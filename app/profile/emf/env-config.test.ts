import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EmfProfile } from '../../contract/profile';
import { envConfigEntries, importEnvConfig, renderEnvConfig, resolveServices } from './env-config';

/** An env_config as the orchestrator's update_initramfs.sh writes it (DOMAIN.md §2), plus EXTRA_HOSTS. */
const ORCHESTRATOR_ENV = [
  'KEYCLOAK_URL=keycloak.cluster.onprem:443',
  'release_svc=files-rs.edgeorchestration.intel.com',
  'oci_release_svc=registry-rs.edgeorchestration.intel.com',
  'tink_stack_svc=tinkerbell-haproxy.cluster.onprem',
  'tink_server_svc=tinkerbell-server.cluster.onprem',
  'onboarding_manager_svc=onboarding-node.cluster.onprem',
  'onboarding_stream_svc=onboarding-stream.cluster.onprem',
  'OBM_PORT=443',
  'logging_svc=logs-node.cluster.onprem',
  'http_proxy=http://proxy.corp:911',
  'https_proxy=http://proxy.corp:912',
  'no_proxy=localhost,.cluster.onprem',
  'EXTRA_HOSTS="10.0.0.5 keycloak.cluster.onprem,10.0.0.6 onboarding-node.cluster.onprem onboarding-stream.cluster.onprem"',
  '',
].join('\n');

function profileOf(imported: ReturnType<typeof importEnvConfig>): EmfProfile {
  return {
    schemaVersion: 2,
    name: 'imported',
    mode: 'emf',
    network: { proxy: imported.proxy },
    emf: {
      services: imported.services,
      extraEnv: imported.extraEnv,
      extraHosts: imported.extraHosts,
      certificates: {},
      caddy: { source: 'generate' },
      fluentBit: { source: 'generate' },
      workerId: { mode: 'auto' },
    },
  };
}

describe('env_config', () => {
  it("imports an orchestrator's env_config into fields and writes it back line for line", () => {
    const imported = importEnvConfig(ORCHESTRATOR_ENV);
    expect(imported.findings.list).toEqual([]);
    expect(imported.extraHosts).toEqual([
      { ip: '10.0.0.5', names: ['keycloak.cluster.onprem'] },
      { ip: '10.0.0.6', names: ['onboarding-node.cluster.onprem', 'onboarding-stream.cluster.onprem'] },
    ]);
    expect(renderEnvConfig(envConfigEntries(profileOf(imported)))).toBe(ORCHESTRATOR_ENV);
  });

  it('is read the same by sh (caddy_run.sh sources it) and by a split at the first "=" (device-discovery)', () => {
    const text = renderEnvConfig(envConfigEntries(profileOf(importEnvConfig(ORCHESTRATOR_ENV))));
    const keys = ['KEYCLOAK_URL', 'tink_stack_svc', 'OBM_PORT', 'no_proxy', 'EXTRA_HOSTS'];
    const dir = mkdtempSync(join(tmpdir(), 'emt-env-'));
    let bySh: string[];
    try {
      writeFileSync(join(dir, 'env_config'), text);
      const script = `. "$0"; ${keys.map((k) => `printf '%s\\n' "${k}=$${k}"`).join('; ')}`;
      bySh = execFileSync('sh', ['-c', script, join(dir, 'env_config')], { encoding: 'utf8' }).trim().split('\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // device-discovery: strings.SplitN(line, "=", 2), then strips the quotes of EXTRA_HOSTS itself.
    const byGo = text
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).replace(/"/g, '')] as const)
      .filter(([k]) => keys.includes(k))
      .map(([k, v]) => `${k}=${v}`);
    expect(bySh.sort()).toEqual(byGo.sort());
  });

  it('reports each bad line with its number, keeps unknown keys as extra keys', () => {
    const imported = importEnvConfig('KEYCLOAK_URL=keycloak.x\njust some words\nMY KEY=1\nOBM_PORT="443"\nSITE=p7\nSITE=p8\n');
    const got = imported.findings.list.map((f) => `${f.code} ${f.message}`);
    expect(got).toEqual([
      expect.stringMatching(/^E_ENV_SYNTAX Line 2 of env_config/),
      expect.stringMatching(/^E_ENV_KEY The environment key "MY KEY"/),
      expect.stringMatching(/^E_ENV_VALUE The value of OBM_PORT contains/),
      expect.stringMatching(/^W_ENV_UNKNOWN_KEY env_config line 5 sets SITE/),
      expect.stringMatching(/^W_ENV_DUPLICATE SITE appears more than once in env_config \(line 6\)/),
      expect.stringMatching(/^W_ENV_UNKNOWN_KEY env_config line 6 sets SITE/),
    ]);
    expect(imported.extraEnv).toEqual({ SITE: 'p8' });
    expect(imported.services).toEqual({ KEYCLOAK_URL: 'keycloak.x' });
  });

  it('fills every service from one domain, with overrides winning and Intel release services as default', () => {
    const resolved = resolveServices({
      orchestratorDomain: 'orch.example.com',
      services: { tink_stack_svc: 'tinkerbell-nginx.orch.example.com' },
      certificates: {},
      caddy: { source: 'generate' },
      fluentBit: { source: 'generate' },
      workerId: { mode: 'auto' },
    });
    expect(resolved.map((s) => `${s.key}=${s.value} (${s.origin})`)).toEqual([
      'KEYCLOAK_URL=keycloak.orch.example.com (domain)',
      'release_svc=files-rs.edgeorchestration.intel.com (default)',
      'oci_release_svc=registry-rs.edgeorchestration.intel.com (default)',
      'tink_stack_svc=tinkerbell-nginx.orch.example.com (override)',
      'tink_server_svc=tinkerbell-server.orch.example.com (domain)',
      'onboarding_manager_svc=onboarding-node.orch.example.com (domain)',
      'onboarding_stream_svc=onboarding-stream.orch.example.com (domain)',
      'OBM_PORT=443 (default)',
      'logging_svc=logs-node.orch.example.com (domain)',
    ]);
  });
});
