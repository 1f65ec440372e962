import { parseDocument } from 'yaml';
import { PROFILE_LIMITS, type EmbeddedFile, type EmfProfile } from '../../contract/profile';
import { type Findings, at } from '../findings';
import { checkCertificateFile, type CertificateInfo } from '../checks/certificate';
import { checkScript, checkTextFile } from '../checks/files';
import { checkMac, checkNoProxy, checkProxyUrl } from '../checks/net';
import { checkEmfEnvironment, checkEnvValue } from './env-config';

/** Go's time.ParseDuration, which device-discovery applies to TIMEOUT (it gives up on anything else). */
const GO_DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;
const KERNEL_VALUE = /^[^\s"'\\]+$/;

export interface EmfCertificates {
  orchestrator: CertificateInfo[] | null;
  provisioning: CertificateInfo[] | null;
}

export function checkEmfCertificates(f: Findings, profile: EmfProfile, now: Date): EmfCertificates {
  const base = 'emf.certificates';
  const { orchestratorCa, provisioningCa } = profile.emf.certificates;
  const out: EmfCertificates = { orchestrator: null, provisioning: null };
  if (!orchestratorCa) {
    f.error('E_CERT_MISSING', at(base, 'orchestratorCa'), "The orchestrator's CA certificate is missing; the node cannot trust the orchestrator without it.", 'Add the CA certificate the orchestrator administrator gives out (often ca.crt).');
  } else {
    out.orchestrator = checkCertificateFile(f, at(base, 'orchestratorCa'), orchestratorCa, { label: 'The orchestrator CA', isCaRequired: true, isSingleRequired: true, now });
  }
  if (provisioningCa) {
    // The provisioning side may hand out its CA with an intermediate: several certificates are fine.
    out.provisioning = checkCertificateFile(f, at(base, 'provisioningCa'), provisioningCa, { label: 'The provisioning CA', isCaRequired: true, isSingleRequired: false, now });
  }
  const orch = out.orchestrator?.[0];
  if (orch && out.provisioning?.some((c) => c.fingerprint256 === orch.fingerprint256)) {
    f.warn('W_CERT_DUPLICATE', at(base, 'provisioningCa'), 'The provisioning CA is the orchestrator CA again.', 'Leave the provisioning CA empty when the orchestrator uses one CA for everything.');
  }
  return out;
}

function checkImported(f: Findings, field: string, file: EmbeddedFile, label: string, isScript: boolean): void {
  if (isScript) checkScript(f, field, file, label, PROFILE_LIMITS.textFileBytes);
  else checkTextFile(f, field, file, label, PROFILE_LIMITS.textFileBytes);
}

export function validateEmf(f: Findings, profile: EmfProfile, now: Date): void {
  const emf = profile.emf;
  checkEmfEnvironment(f, emf, emf.caddy.source === 'import');
  const proxy = profile.network?.proxy;
  for (const key of ['http', 'https'] as const) {
    const value = proxy?.[key];
    if (value && checkEnvValue(f, at('network.proxy', key), `${key}_proxy`, value)) checkProxyUrl(f, at('network.proxy', key), value, `The ${key} proxy`);
  }
  if (proxy?.noProxy) checkNoProxy(f, 'network.proxy.noProxy', proxy.noProxy);
  checkEmfCertificates(f, profile, now);

  if (emf.caddy.source === 'import') {
    checkImported(f, 'emf.caddy.caddyfile', emf.caddy.caddyfile, 'The Caddyfile', false);
    checkImported(f, 'emf.caddy.runScript', emf.caddy.runScript, 'caddy_run.sh', true);
  }
  if (emf.fluentBit.source === 'import') {
    const { config, runScript, parsers } = emf.fluentBit;
    if (checkTextFile(f, 'emf.fluentBit.config', config, 'fluent-bit.yaml', PROFILE_LIMITS.textFileBytes)) {
      for (const err of parseDocument(config.content).errors) {
        f.error('E_FLUENTBIT_YAML', 'emf.fluentBit.config', `fluent-bit.yaml (${config.name}) is not valid YAML at line ${err.linePos?.[0]?.line ?? '?'}: ${err.message.split('\n')[0]}`, 'Fix the file, or let EMT Media Builder generate it.');
      }
    }
    checkImported(f, 'emf.fluentBit.runScript', runScript, 'fluentbit_run.sh', true);
    checkImported(f, 'emf.fluentBit.parsers', parsers, 'parsers.conf', false);
  }
  if (emf.helpers?.waitForIp) checkImported(f, 'emf.helpers.waitForIp', emf.helpers.waitForIp, 'wait_for_ip.sh', true);
  if (emf.helpers?.reportBootStatistics) checkImported(f, 'emf.helpers.reportBootStatistics', emf.helpers.reportBootStatistics, 'report_boot_statistics.sh', true);

  checkWorkerId(f, profile);
  const tink = emf.tink;
  if (tink?.timeout !== undefined && !GO_DURATION.test(tink.timeout)) {
    f.error('E_TIMEOUT', 'emf.tink.timeout', `The timeout "${tink.timeout}" is not a duration device-discovery understands.`, 'Write a number with a unit, such as 120s or 5m.');
  }
  if (tink?.workerImage !== undefined && !KERNEL_VALUE.test(tink.workerImage)) {
    f.error('E_KERNEL_ARG', 'emf.tink.workerImage', 'The tink-worker image contains a space, quote or backslash, which the kernel command line cannot carry.', 'Write the image reference alone, e.g. quay.io/tinkerbell/tink-worker:v0.10.0.');
  }
}

function checkWorkerId(f: Findings, profile: EmfProfile): void {
  const w = profile.emf.workerId;
  if (w.mode === 'mac') {
    checkMac(f, 'emf.workerId.mac', w.mac);
    return;
  }
  // The selector script puts the rule into a shell `case` pattern inside single quotes.
  if (w.interfaceMatch !== undefined && w.interfaceMatch !== '' && !/^[A-Za-z0-9_.:*?[\]-]{1,32}$/.test(w.interfaceMatch)) {
    f.error('E_WORKER_RULE', 'emf.workerId.interfaceMatch', `"${w.interfaceMatch}" is not an interface name pattern.`, 'Use a name or a pattern with * and ?, such as enp1s0 or enp*.');
  }
  if (w.macPrefix !== undefined && w.macPrefix !== '' && !/^[0-9a-f]{2}(:[0-9a-f]{2}){0,4}$/i.test(w.macPrefix)) {
    f.error('E_WORKER_RULE', 'emf.workerId.macPrefix', `"${w.macPrefix}" is not the start of a MAC address.`, 'Write one to five octets with colons, such as 52:54:00.');
  }
}
