import type { EmfProfile, SummaryItem } from '../../contract/profile';
import type { Overlay } from '../../media/overlay';
import { Findings } from '../findings';
import type { RenderContext } from '../render-types';
import { template } from '../templates';
import { envConfigEntries, renderEnvConfig, resolveServices, serviceValue, splitHostPort } from './env-config';
import { checkEmfCertificates } from './validate-emf';
import { renderWorkerIdSelector, WORKER_ID_UNIT } from './worker-id';

/** EMF's tink parameters (infra-charts boot.ipxe + infra-onboarding.tpl), DOMAIN.md §2. */
export const GRPC_AUTHORITY = '127.0.0.1:42113';
export const DEFAULT_TINK_WORKER_IMAGE = 'quay.io/tinkerbell/tink-worker:v0.10.0';
const DROP_IN = '50-emt-media.conf';
export const EMF_UNITS = ['device-discovery.service', 'caddy.service', 'fluent-bit.service', 'tink-worker.service'] as const;
const ANCHORS = '/etc/pki/ca-trust/source/anchors';

function pem(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** Everything EMF mode puts into the running system (DOMAIN.md §2), on a valid profile. */
export function renderEmfOverlay(profile: EmfProfile, ctx: RenderContext, overlay: Overlay): void {
  const emf = profile.emf;
  const env = renderEnvConfig(envConfigEntries(profile));
  overlay.addFile('/etc/emf/env_config', env, 0o644);
  overlay.addFile('/etc/hook/env_config', env, 0o644);

  const orchestrator = pem(emf.certificates.orchestratorCa!.content);
  // ca.pem: the orchestrator CA followed by the provisioning (tink-stack) CA.
  const bundle = orchestrator + (emf.certificates.provisioningCa ? pem(emf.certificates.provisioningCa.content) : '');
  for (const dir of ['/etc/idp', ANCHORS]) {
    overlay.addFile(`${dir}/server_cert.pem`, orchestrator, 0o644);
    overlay.addFile(`${dir}/ca.pem`, bundle, 0o644);
  }

  if (emf.caddy.source === 'import') {
    overlay.addFile('/etc/caddy/Caddyfile', emf.caddy.caddyfile.content, 0o644);
    overlay.addFile('/etc/caddy/caddy_run.sh', emf.caddy.runScript.content, 0o755);
    overlay.addDropIn('caddy.service', '51-imported-caddyfile.conf', template('emf/caddy-imported.conf'));
  } else {
    overlay.addFile('/etc/caddy/Caddyfile', caddyfile(profile), 0o644);
    overlay.addFile('/etc/caddy/caddy_run.sh', template('emf/caddy_run.sh'), 0o755);
  }
  if (emf.fluentBit.source === 'import') {
    overlay.addFile('/etc/fluent-bit/fluent-bit.yaml', emf.fluentBit.config.content, 0o644);
    overlay.addFile('/etc/fluent-bit/fluentbit_run.sh', emf.fluentBit.runScript.content, 0o755);
    overlay.addFile('/etc/fluent-bit/parsers.conf', emf.fluentBit.parsers.content, 0o644);
  } else {
    overlay.addFile('/etc/fluent-bit/fluent-bit.yaml', template('emf/fluent-bit.yaml'), 0o644);
    overlay.addFile('/etc/fluent-bit/fluentbit_run.sh', template('emf/fluentbit_run.sh'), 0o755);
    overlay.addFile('/etc/fluent-bit/parsers.conf', template('emf/parsers.conf'), 0o644);
  }

  // Unit changes as drop-ins: the vendor units stay byte-identical.
  overlay.addDropIn('caddy.service', DROP_IN, template('emf/caddy.conf'));
  overlay.addDropIn('fluent-bit.service', DROP_IN, template('emf/fluent-bit.conf'));
  overlay.addDropIn('tink-worker.service', DROP_IN, template('emf/tink-worker.conf'));
  if (emf.helpers?.waitForIp) {
    overlay.addFile('/etc/ip-assignment/wait_for_ip.sh', emf.helpers.waitForIp.content, 0o755);
    overlay.addDropIn('device-discovery.service', '55-wait-for-ip.conf', template('emf/wait-for-ip.conf'));
  }
  if (emf.helpers?.reportBootStatistics) {
    overlay.addFile('/etc/kpi-instrumentation/report_boot_statistics.sh', emf.helpers.reportBootStatistics.content, 0o755);
    overlay.addDropIn('tink-worker.service', '55-boot-statistics.conf', template('emf/boot-statistics.conf'));
  }
  if (emf.workerId.mode === 'auto') renderWorkerIdSelector(emf.workerId, overlay);

  // A release that ships one of the services disabled would never start it: enable it here.
  for (const unit of EMF_UNITS) {
    const state = ctx.unit(unit);
    if (state?.exists && !state.isEnabled) overlay.enableUnit(unit, 'multi-user.target', `/usr/lib/systemd/system/${unit}`);
  }
}

function caddyfile(profile: EmfProfile): string {
  const emf = profile.emf;
  const values: Record<string, string> = {};
  for (const [key, name] of [
    ['oci_release_svc', 'oci_release'],
    ['tink_stack_svc', 'tink_stack'],
    ['release_svc', 'release'],
    ['tink_server_svc', 'tink_server'],
    ['logging_svc', 'logging'],
  ] as const) {
    const { host, port } = splitHostPort(serviceValue(emf, key));
    values[key] = `${host}:${port}`;
    values[`${name}_host`] = host;
  }
  return template('emf/Caddyfile', values);
}

/** Kernel parameters of EMF mode, in the order of the orchestrator's iPXE script. */
export function emfKernelArgs(profile: EmfProfile): string[] {
  const emf = profile.emf;
  const args: string[] = [];
  if (emf.workerId.mode === 'mac') args.push(`worker_id=${normalizeMacArg(emf.workerId.mac)}`);
  args.push(`grpc_authority=${GRPC_AUTHORITY}`, 'tinkerbell_tls=false', `tink_worker_image=${emf.tink?.workerImage ?? DEFAULT_TINK_WORKER_IMAGE}`);
  args.push(`DEBUG=${emf.tink?.isDebug ? 'true' : 'false'}`, `TIMEOUT=${emf.tink?.timeout ?? '120s'}`);
  const proxy = profile.network?.proxy;
  // tink-worker reads the upper-case names, the tools of tink actions the lower-case ones.
  if (proxy?.http) args.push(`http_proxy=${proxy.http}`, `HTTP_PROXY=${proxy.http}`);
  if (proxy?.https) args.push(`https_proxy=${proxy.https}`, `HTTPS_PROXY=${proxy.https}`);
  if (proxy?.noProxy) args.push(`no_proxy=${proxy.noProxy}`, `NO_PROXY=${proxy.noProxy}`);
  args.push(...(profile.kernel?.extraArgs ?? []));
  // Last on purpose: neither tink-worker nor device-discovery reads it (see RenderResult.kernelArgs).
  args.push('syslog_host=127.0.0.1');
  return args;
}

function normalizeMacArg(mac: string): string {
  return mac.trim().toLowerCase().replace(/-/g, ':');
}

export function emfPreflight(f: Findings, profile: EmfProfile, ctx: RenderContext): void {
  for (const unit of EMF_UNITS) {
    const state = ctx.unit(unit);
    if (state && !state.exists) {
      f.error('E_RELEASE_UNIT_MISSING', undefined, `${ctx.releaseName} has no ${unit}; EMF onboarding needs it.`, 'Choose a Bootkit (EMT-Tink) release: it ships caddy, fluent-bit, device-discovery and tink-worker.');
    }
  }
  if (ctx.hasBinary('update-ca-trust') === false && profile.emf.caddy.source === 'generate') {
    f.warn('W_RELEASE_NO_UPDATE_CA_TRUST', undefined, `${ctx.releaseName} has no update-ca-trust; Caddy trusts the orchestrator CA only if the system trust store already includes it.`, 'Use a Bootkit release, which has ca-certificates.');
  }
  if (profile.emf.workerId.mode === 'auto' && ctx.hasBinary('mount') === false) {
    f.error('E_RELEASE_TOOL_MISSING', 'emf.workerId', `${ctx.releaseName} has no mount command, which the automatic worker_id needs.`, 'Type the MAC of the provisioning NIC instead, or use a Bootkit release.');
  }
}

export function emfSummary(profile: EmfProfile, ctx: RenderContext, now: Date): SummaryItem[] {
  const emf = profile.emf;
  const items: SummaryItem[] = [];
  items.push({ topic: 'mode', text: `EMF onboarding${emf.orchestratorDomain ? ` through the orchestrator ${emf.orchestratorDomain}` : ''}: the node boots ${ctx.releaseName}, device-discovery onboards it, and tink-worker runs its provisioning workflow.` });
  const services = resolveServices(emf).map((s) => `${s.key}=${s.value ?? '(missing)'}${s.origin === 'override' ? ' (set here)' : s.origin === 'default' ? ' (default)' : ''}`);
  items.push({ topic: 'services', text: `Environment file /etc/emf/env_config and /etc/hook/env_config: ${services.join(', ')}.` });
  const certs = checkEmfCertificates(new Findings(), profile, now);
  const describe = (c: { subject: string; notAfter: Date }) => `${c.subject} (valid until ${c.notAfter.toISOString().slice(0, 10)})`;
  if (certs.orchestrator?.[0]) items.push({ topic: 'certificates', text: `Orchestrator CA ${describe(certs.orchestrator[0])} as server_cert.pem and first in ca.pem, in /etc/idp and ${ANCHORS}.` });
  if (certs.provisioning?.length) items.push({ topic: 'certificates', text: `Provisioning CA ${certs.provisioning.map(describe).join(', ')} appended to ca.pem.` });
  items.push({ topic: 'files', text: emf.caddy.source === 'import' ? `Caddy: the orchestrator's Caddyfile (${emf.caddy.caddyfile.name}) and caddy_run.sh.` : 'Caddy: a Caddyfile generated from the services, listening on 127.0.0.1 (7443, 80, 42113, 24224) and forwarding with the node\'s tokens.' });
  items.push({ topic: 'files', text: emf.fluentBit.source === 'import' ? "Fluent Bit: the orchestrator's fluent-bit.yaml, fluentbit_run.sh and parsers.conf." : 'Fluent Bit: the onboarding logs go through Caddy (localhost:24224) to logging_svc.' });
  const helpers = [emf.helpers?.waitForIp && 'wait_for_ip.sh before device-discovery', emf.helpers?.reportBootStatistics && 'report_boot_statistics.sh before tink-worker'].filter(Boolean);
  items.push({ topic: 'units', text: `Drop-ins, vendor units unchanged: caddy starts after device-discovery, as root, through caddy_run.sh; fluent-bit and tink-worker start after caddy${helpers.length ? `; ${helpers.join('; ')}` : ''}.` });
  const w = emf.workerId;
  items.push(
    w.mode === 'mac'
      ? { topic: 'network', text: `worker_id=${normalizeMacArg(w.mac)}: this media onboards only the node with that NIC.` }
      : { topic: 'network', text: `worker_id chosen at boot by ${WORKER_ID_UNIT}: the first wired NIC${w.interfaceMatch ? ` named like ${w.interfaceMatch}` : ''}${w.macPrefix ? ` with a MAC starting ${w.macPrefix}` : ''} that gets a DHCP lease within ${w.leaseWaitSeconds ?? 90} s (docs/worker-id.md).` },
  );
  const proxy = profile.network?.proxy;
  items.push({ topic: 'network', text: proxy?.http || proxy?.https ? `Proxies: http ${proxy.http ?? 'none'}, https ${proxy.https ?? 'none'}, no proxy for ${proxy.noProxy ?? 'nothing'}.` : 'No proxy.' });
  items.push({ topic: 'kernel', text: `Kernel parameters: ${emfKernelArgs(profile).join(' ')}` });
  return items;
}
