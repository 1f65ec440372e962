import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EmfProfile } from '../contract/profile';
import type { Overlay } from '../media/overlay';
import { render } from './render';
import { makeCert, type TestCert } from './testing/pki';
import { bootkitRelease, emfProfile } from './testing/profiles';

function tree(overlay: Overlay): string[] {
  return overlay.list().map((n) => (n.kind === 'symlink' ? `l ${n.path} -> ${n.target}` : `${n.kind === 'dir' ? 'd' : 'f'} ${n.mode.toString(8)} ${n.path}`));
}

function text(overlay: Overlay, path: string): string {
  const node = overlay.get(path);
  if (node?.kind !== 'file') throw new Error(`${path} is not a file of the overlay`);
  return node.content.toString('utf8');
}

const templateText = (name: string) => readFileSync(new URL(`../../assets/templates/${name}`, import.meta.url), 'utf8');

let orch: TestCert;
let prov: TestCert;
beforeAll(() => {
  orch = makeCert('Orchestrator CA');
  prov = makeCert('Provisioning CA');
});

function fullProfile(): EmfProfile {
  const p = emfProfile(orch, {
    services: { logging_svc: 'logs.orch.example.com:8443' },
    extraHosts: [{ ip: '10.1.2.3', names: ['keycloak.orch.example.com', 'onboarding-node.orch.example.com'] }],
    certificates: { orchestratorCa: { name: 'orch-ca.crt', content: orch.pem }, provisioningCa: { name: 'boots-ca.crt', content: prov.pem } },
    helpers: { waitForIp: { name: 'wait_for_ip.sh', content: '#!/bin/bash\nexit 0\n' }, reportBootStatistics: { name: 'report_boot_statistics.sh', content: '#!/bin/bash\nexit 0\n' } },
    workerId: { mode: 'auto', interfaceMatch: 'enp*', macPrefix: '52:54:00', leaseWaitSeconds: 60 },
  });
  p.network = { proxy: { http: 'http://proxy.example.com:3128', https: 'http://proxy.example.com:3128', noProxy: 'localhost,127.0.0.1,.orch.example.com' } };
  return p;
}

describe('render: EMF mode', () => {
  it('puts exactly these files, modes and drop-ins into the running system', () => {
    const r = render(fullProfile(), bootkitRelease());
    expect(r.findings).toEqual([]);
    expect(r.isRenderable).toBe(true);
    expect(tree(r.overlay)).toEqual([
      'd 755 /etc',
      'd 755 /etc/caddy',
      'f 644 /etc/caddy/Caddyfile',
      'f 755 /etc/caddy/caddy_run.sh',
      'd 755 /etc/emf',
      'f 644 /etc/emf/env_config',
      'd 755 /etc/emt-media',
      'f 755 /etc/emt-media/select-worker-id.sh',
      'f 644 /etc/emt-media/worker-id.conf',
      'd 755 /etc/fluent-bit',
      'f 644 /etc/fluent-bit/fluent-bit.yaml',
      'f 755 /etc/fluent-bit/fluentbit_run.sh',
      'f 644 /etc/fluent-bit/parsers.conf',
      'd 755 /etc/hook',
      'f 644 /etc/hook/env_config',
      'd 755 /etc/idp',
      'f 644 /etc/idp/ca.pem',
      'f 644 /etc/idp/server_cert.pem',
      'd 755 /etc/ip-assignment',
      'f 755 /etc/ip-assignment/wait_for_ip.sh',
      'd 755 /etc/kpi-instrumentation',
      'f 755 /etc/kpi-instrumentation/report_boot_statistics.sh',
      'd 755 /etc/pki',
      'd 755 /etc/pki/ca-trust',
      'd 755 /etc/pki/ca-trust/source',
      'd 755 /etc/pki/ca-trust/source/anchors',
      'f 644 /etc/pki/ca-trust/source/anchors/ca.pem',
      'f 644 /etc/pki/ca-trust/source/anchors/server_cert.pem',
      'd 755 /etc/systemd',
      'd 755 /etc/systemd/system',
      'd 755 /etc/systemd/system/caddy.service.d',
      'f 644 /etc/systemd/system/caddy.service.d/50-emt-media.conf',
      'd 755 /etc/systemd/system/device-discovery.service.d',
      'f 644 /etc/systemd/system/device-discovery.service.d/45-worker-id.conf',
      'f 644 /etc/systemd/system/device-discovery.service.d/55-wait-for-ip.conf',
      'f 644 /etc/systemd/system/emt-worker-id.service',
      'd 755 /etc/systemd/system/fluent-bit.service.d',
      'f 644 /etc/systemd/system/fluent-bit.service.d/50-emt-media.conf',
      'd 755 /etc/systemd/system/multi-user.target.wants',
      'l /etc/systemd/system/multi-user.target.wants/emt-worker-id.service -> /etc/systemd/system/emt-worker-id.service',
      'd 755 /etc/systemd/system/tink-worker.service.d',
      'f 644 /etc/systemd/system/tink-worker.service.d/45-worker-id.conf',
      'f 644 /etc/systemd/system/tink-worker.service.d/50-emt-media.conf',
      'f 644 /etc/systemd/system/tink-worker.service.d/55-boot-statistics.conf',
    ]);
  });

  it('writes the same env_config to both paths, fills services from the domain, quotes only EXTRA_HOSTS', () => {
    const r = render(fullProfile(), bootkitRelease());
    const env = [
      'KEYCLOAK_URL=keycloak.orch.example.com',
      'release_svc=files-rs.edgeorchestration.intel.com',
      'oci_release_svc=registry-rs.edgeorchestration.intel.com',
      'tink_stack_svc=tinkerbell-haproxy.orch.example.com',
      'tink_server_svc=tinkerbell-server.orch.example.com',
      'onboarding_manager_svc=onboarding-node.orch.example.com',
      'onboarding_stream_svc=onboarding-stream.orch.example.com',
      'OBM_PORT=443',
      'logging_svc=logs.orch.example.com:8443',
      'http_proxy=http://proxy.example.com:3128',
      'https_proxy=http://proxy.example.com:3128',
      'no_proxy=localhost,127.0.0.1,.orch.example.com',
      'EXTRA_HOSTS="10.1.2.3 keycloak.orch.example.com onboarding-node.orch.example.com"',
      '',
    ].join('\n');
    expect(text(r.overlay, '/etc/emf/env_config')).toBe(env);
    expect(text(r.overlay, '/etc/hook/env_config')).toBe(env);
  });

  it('installs the orchestrator CA as server_cert.pem and the CA bundle (orchestrator, then provisioning) as ca.pem, at all four paths', () => {
    const r = render(fullProfile(), bootkitRelease());
    for (const dir of ['/etc/idp', '/etc/pki/ca-trust/source/anchors']) {
      expect(text(r.overlay, `${dir}/server_cert.pem`)).toBe(orch.pem);
      expect(text(r.overlay, `${dir}/ca.pem`)).toBe(orch.pem + prov.pem);
    }
  });

  it('changes the vendor units only through drop-ins, with exactly the ordering EMF needs', () => {
    const r = render(fullProfile(), bootkitRelease());
    const dropIn = (p: string) => text(r.overlay, `/etc/systemd/system/${p}`).split('\n').filter((l) => l && !l.startsWith('#'));
    expect(dropIn('caddy.service.d/50-emt-media.conf')).toEqual([
      '[Unit]',
      'After=device-discovery.service',
      'Requires=device-discovery.service',
      '[Service]',
      'User=root',
      'Group=root',
      'ExecReload=',
      'ExecStart=',
      'ExecStart=/etc/caddy/caddy_run.sh',
      'ReadWritePaths=/etc/pki/ca-trust',
      'TimeoutStartSec=660',
    ]);
    expect(dropIn('fluent-bit.service.d/50-emt-media.conf')).toEqual(['[Unit]', 'After=caddy.service', 'Requires=caddy.service', '[Service]', 'ExecStart=', 'ExecStart=/etc/fluent-bit/fluentbit_run.sh']);
    expect(dropIn('tink-worker.service.d/50-emt-media.conf')).toEqual(['[Unit]', 'After=caddy.service', 'Requires=caddy.service']);
    expect(dropIn('tink-worker.service.d/55-boot-statistics.conf')).toEqual(['[Service]', 'ExecStartPre=-/etc/kpi-instrumentation/report_boot_statistics.sh']);
    expect(dropIn('device-discovery.service.d/55-wait-for-ip.conf')).toEqual(['[Service]', 'ExecStartPre=/etc/ip-assignment/wait_for_ip.sh']);
    for (const unit of ['device-discovery', 'tink-worker']) {
      expect(dropIn(`${unit}.service.d/45-worker-id.conf`)).toEqual(['[Unit]', 'Requires=emt-worker-id.service', 'After=emt-worker-id.service']);
    }
    expect(r.overlay.get('/etc/systemd/system/caddy.service.d/51-imported-caddyfile.conf')).toBeUndefined();
    // No vendor unit file is in the overlay: only drop-ins and our own unit.
    expect(r.overlay.list().filter((n) => /^\/(usr\/)?lib\/systemd/.test(n.path))).toEqual([]);
  });

  it('configures the worker_id selector from the rule, with a start timeout beyond its wait', () => {
    const r = render(fullProfile(), bootkitRelease());
    expect(text(r.overlay, '/etc/emt-media/worker-id.conf')).toContain("EMT_WORKER_NIC_MATCH='enp*'\nEMT_WORKER_MAC_PREFIX='52:54:00'\nEMT_WORKER_LEASE_WAIT=60\n");
    expect(text(r.overlay, '/etc/systemd/system/emt-worker-id.service')).toContain('TimeoutStartSec=120\n');
    expect(text(r.overlay, '/etc/emt-media/select-worker-id.sh')).toBe(templateText('worker-id/select-worker-id.sh'));
    expect(text(r.overlay, '/etc/caddy/caddy_run.sh')).toBe(templateText('emf/caddy_run.sh'));
  });

  it('gives the kernel the tink parameters and both spellings of the proxies, worker_id left to the selector', () => {
    const r = render(fullProfile(), bootkitRelease());
    expect(r.kernelArgs).toEqual([
      'grpc_authority=127.0.0.1:42113',
      'tinkerbell_tls=false',
      'tink_worker_image=quay.io/tinkerbell/tink-worker:v0.10.0',
      'DEBUG=false',
      'TIMEOUT=120s',
      'http_proxy=http://proxy.example.com:3128',
      'HTTP_PROXY=http://proxy.example.com:3128',
      'https_proxy=http://proxy.example.com:3128',
      'HTTPS_PROXY=http://proxy.example.com:3128',
      'no_proxy=localhost,127.0.0.1,.orch.example.com',
      'NO_PROXY=localhost,127.0.0.1,.orch.example.com',
      'syslog_host=127.0.0.1',
    ]);
  });

  it("uses the orchestrator's own files when imported, and a typed MAC on the kernel line", () => {
    const p = emfProfile(orch, {
      caddy: { source: 'import', caddyfile: { name: 'Caddyfile', content: ':80 {\n}\n' }, runScript: { name: 'caddy_run.sh', content: '#!/bin/sh\nexec caddy run\n' } },
      fluentBit: {
        source: 'import',
        config: { name: 'fluent-bit.yaml', content: 'service:\n  flush: 30\n' },
        runScript: { name: 'fluentbit_run.sh', content: '#!/bin/sh\nexec fluent-bit\n' },
        parsers: { name: 'parsers.conf', content: '[PARSER]\n    Name x\n' },
      },
      workerId: { mode: 'mac', mac: '52-54-00-AB-CD-EF' },
      tink: { isDebug: true, timeout: '5m', workerImage: 'registry.local/tink-worker:v1' },
    });
    p.kernel = { extraArgs: ['modprobe.blacklist=iwlwifi'] };
    const r = render(p, bootkitRelease());
    expect(r.findings).toEqual([]);
    expect(text(r.overlay, '/etc/caddy/Caddyfile')).toBe(':80 {\n}\n');
    expect(text(r.overlay, '/etc/caddy/caddy_run.sh')).toBe('#!/bin/sh\nexec caddy run\n');
    expect(text(r.overlay, '/etc/fluent-bit/fluent-bit.yaml')).toBe('service:\n  flush: 30\n');
    expect(text(r.overlay, '/etc/fluent-bit/parsers.conf')).toBe('[PARSER]\n    Name x\n');
    // Its hosts come from the environment caddy_run.sh sets: the vendor's validate step must go.
    expect(text(r.overlay, '/etc/systemd/system/caddy.service.d/51-imported-caddyfile.conf')).toMatch(/\[Service\]\nExecStartPre=\n$/);
    expect(r.overlay.get('/etc/systemd/system/emt-worker-id.service')).toBeUndefined();
    expect(r.overlay.get('/etc/ip-assignment')).toBeUndefined();
    expect(r.kernelArgs).toEqual([
      'worker_id=52:54:00:ab:cd:ef',
      'grpc_authority=127.0.0.1:42113',
      'tinkerbell_tls=false',
      'tink_worker_image=registry.local/tink-worker:v1',
      'DEBUG=true',
      'TIMEOUT=5m',
      'modprobe.blacklist=iwlwifi',
      'syslog_host=127.0.0.1',
    ]);
  });

  it('enables a service the release ships disabled, pointing at the vendor unit', () => {
    const r = render(emfProfile(orch), bootkitRelease({ units: { 'fluent-bit.service': { exists: true, isEnabled: false } } }));
    const link = r.overlay.get('/etc/systemd/system/multi-user.target.wants/fluent-bit.service');
    expect(link).toEqual({ kind: 'symlink', path: '/etc/systemd/system/multi-user.target.wants/fluent-bit.service', target: '/usr/lib/systemd/system/fluent-bit.service' });
  });

  it('refuses a release without the Bootkit services, and renders nothing then', () => {
    const r = render(emfProfile(orch), bootkitRelease({ units: { 'tink-worker.service': { exists: false, isEnabled: false } } }));
    expect(r.isRenderable).toBe(false);
    expect(r.findings.map((f) => f.code)).toEqual(['E_RELEASE_UNIT_MISSING']);
    expect(r.findings[0]!.message).toContain('emb_uos_x86_64_20260526 has no tink-worker.service');
    expect(r.overlay.size).toBe(0);
    expect(r.kernelArgs).toEqual([]);
  });

  it('says in plain words what goes on the media', () => {
    const texts = render(fullProfile(), bootkitRelease()).summary.map((s) => `${s.topic}: ${s.text}`);
    expect(texts).toContainEqual(expect.stringMatching(/^mode: EMF onboarding through the orchestrator orch\.example\.com/));
    expect(texts).toContainEqual(expect.stringContaining('logging_svc=logs.orch.example.com:8443 (set here)'));
    expect(texts).toContainEqual(expect.stringMatching(/^certificates: Orchestrator CA CN=Orchestrator CA \(valid until \d{4}-\d\d-\d\d\)/));
    expect(texts).toContainEqual(expect.stringContaining('named like enp* with a MAC starting 52:54:00 that gets a DHCP lease within 60 s'));
    expect(texts).toContainEqual(expect.stringContaining('wait_for_ip.sh before device-discovery'));
  });
});
