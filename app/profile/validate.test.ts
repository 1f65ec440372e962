import { createPublicKey } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EmfProfile, Profile, StandaloneProfile } from '../contract/profile';
import { validateProfile } from './validate';
import { makeCert, type TestCert } from './testing/pki';
import { emfProfile, INSTALL_OS, standaloneProfile } from './testing/profiles';

/**
 * The corpus of bad inputs: each case breaks one thing of a valid profile and expects its own
 * code. The valid profiles themselves produce no error (checked first), so every code below is
 * caused by its case.
 */
const DAY = 86_400_000;
let orch: TestCert;
let other: TestCert;
let leaf: TestCert;
const now = new Date();

beforeAll(() => {
  orch = makeCert('Orchestrator CA', { days: 365 });
  other = makeCert('Other CA', { days: 365 });
  leaf = makeCert('orch.example.com', { isCa: false });
});

function emf(change: (p: EmfProfile) => void): Profile {
  const p = structuredClone(emfProfile(orch));
  change(p);
  return p;
}

function sa(change: (p: StandaloneProfile) => void): Profile {
  const p = structuredClone(standaloneProfile());
  change(p);
  return p;
}

function fields(p: StandaloneProfile) {
  if (p.standalone.configFile.source !== 'fields') throw new Error('fields profile expected');
  return p.standalone.configFile.fields;
}

function importedConfig(content: string): Profile {
  return sa((p) => {
    p.standalone.configFile = { source: 'import', file: { name: 'config-file', content } };
  });
}

const setCa = (content: string, name = 'orch-ca.crt') => (p: EmfProfile) => {
  p.emf.certificates.orchestratorCa = { name, content };
};

type Case = [name: string, make: () => Profile, code: string, at?: Date];

const cases: Case[] = [
  // certificates
  ['orchestrator CA missing', () => emf((p) => delete p.emf.certificates.orchestratorCa), 'E_CERT_MISSING'],
  ['plain text instead of a certificate', () => emf(setCa('this is the CA, trust me\n')), 'E_CERT_NOT_PEM'],
  ['DER read as Latin-1', () => emf(setCa(orch.der.toString('latin1'))), 'E_CERT_DER'],
  ['DER read as UTF-8', () => emf(setCa(orch.der.toString('utf8'))), 'E_CERT_DER'],
  ['two certificates where one is expected', () => emf(setCa(orch.pem + other.pem)), 'E_CERT_SEVERAL'],
  ['expired certificate', () => emf(() => {}), 'E_CERT_EXPIRED', new Date(now.getTime() + 400 * DAY)],
  ['certificate not yet valid', () => emf(() => {}), 'E_CERT_NOT_YET_VALID', new Date(now.getTime() - 2 * DAY)],
  ['certificate expiring within 30 days', () => emf(() => {}), 'W_CERT_EXPIRING', new Date(now.getTime() + 350 * DAY)],
  ['server certificate where a CA is needed', () => emf(setCa(leaf.pem)), 'E_CERT_NOT_CA'],
  ['private key offered as the CA', () => emf(setCa(orch.keyPem)), 'E_CERT_PRIVATE_KEY'],
  ['private key offered as the provisioning CA', () => emf((p) => (p.emf.certificates.provisioningCa = { name: 'key.pem', content: other.keyPem })), 'E_CERT_PRIVATE_KEY'],
  ['damaged base64 inside the PEM armor', () => emf(setCa(orch.pem.replace(/\n[A-Za-z0-9+/]{20}/, '\n!!!!corrupted!!!!!!!'))), 'E_CERT_PARSE'],
  ['public key instead of a certificate', () => emf(setCa(createPublicKey(orch.keyPem).export({ type: 'spki', format: 'pem' }).toString())), 'E_CERT_WRONG_PEM'],
  ['certificate file name escaping its folder', () => emf(setCa(orch.pem, '../../etc/ca.pem')), 'E_FILE_NAME'],
  ['certificate file over the size limit', () => emf(setCa(`${'# padding\n'.repeat(8000)}${orch.pem}`)), 'E_FILE_TOO_LARGE'],
  ['empty certificate file', () => emf(setCa('\n')), 'E_FILE_EMPTY'],
  ['provisioning CA equal to the orchestrator CA', () => emf((p) => (p.emf.certificates.provisioningCa = { name: 'boots.crt', content: orch.pem })), 'W_CERT_DUPLICATE'],
  // env_config
  ['no domain and no services', () => emf((p) => delete p.emf.orchestratorDomain), 'E_ENV_MISSING'],
  ['domain with an underscore', () => emf((p) => (p.emf.orchestratorDomain = 'orch_site.example.com')), 'E_HOST_NAME'],
  ['service host with an underscore', () => emf((p) => (p.emf.services = { tink_stack_svc: 'tink_stack.example.com' })), 'E_HOST_NAME'],
  ['URL where a host name is expected', () => emf((p) => (p.emf.services = { KEYCLOAK_URL: 'https://keycloak.example.com/realms' })), 'E_URL_NOT_HOST'],
  ['port out of range', () => emf((p) => (p.emf.services = { OBM_PORT: '70000' })), 'E_PORT'],
  ['port on a service that takes none', () => emf((p) => (p.emf.services = { onboarding_manager_svc: 'onboarding-node.example.com:443' })), 'E_HOST_WITH_PORT'],
  ['service value with a space', () => emf((p) => (p.emf.services = { release_svc: 'release .example.com' })), 'E_ENV_VALUE'],
  ['service value with a quote', () => emf((p) => (p.emf.services = { release_svc: '"release.example.com"' })), 'E_ENV_VALUE'],
  ['extra env key with a space', () => emf((p) => (p.emf.extraEnv = { 'MY KEY': 'x' })), 'E_ENV_KEY'],
  ['extra env key with a quote', () => emf((p) => (p.emf.extraEnv = { 'MY"KEY': 'x' })), 'E_ENV_KEY'],
  ['extra env key with a newline', () => emf((p) => (p.emf.extraEnv = { 'A\nB': 'x' })), 'E_ENV_KEY'],
  ['extra env value with a newline', () => emf((p) => (p.emf.extraEnv = { SITE: 'a\nb' })), 'E_ENV_VALUE'],
  ['extra env key that has a field', () => emf((p) => (p.emf.extraEnv = { release_svc: 'release.example.com' })), 'E_ENV_KEY_RESERVED'],
  ['extra env key naming a token', () => emf((p) => (p.emf.extraEnv = { release_token: 'abc' })), 'E_PROFILE_SECRET'],
  ['KEYCLOAK_URL without "keycloak"', () => emf((p) => (p.emf.services = { KEYCLOAK_URL: 'sso.example.com' })), 'W_KEYCLOAK_NAME'],
  ['extra host with a bad name', () => emf((p) => (p.emf.extraHosts = [{ ip: '10.0.0.5', names: ['bad_name'] }])), 'E_EXTRA_HOSTS'],
  ['extra host with a bad address', () => emf((p) => (p.emf.extraHosts = [{ ip: '10.0.0.256', names: ['keycloak.example.com'] }])), 'E_IPV4'],
  // proxies
  ['proxy without scheme', () => emf((p) => (p.network = { proxy: { http: 'proxy.example.com:3128' } })), 'E_PROXY_URL'],
  ['proxy with an unsupported scheme', () => emf((p) => (p.network = { proxy: { https: 'ftp://proxy.example.com:21' } })), 'E_PROXY_URL'],
  ['proxy with credentials', () => emf((p) => (p.network = { proxy: { http: 'http://tech:s3cret@proxy.example.com:3128' } })), 'E_PROXY_CREDENTIALS'],
  ['proxy with a path', () => emf((p) => (p.network = { proxy: { http: 'http://proxy.example.com:3128/pac' } })), 'W_PROXY_PATH'],
  ['no-proxy list with spaces', () => emf((p) => (p.network = { proxy: { noProxy: 'localhost, 127.0.0.1' } })), 'E_NO_PROXY_LIST'],
  ['no-proxy entry that is not a host', () => emf((p) => (p.network = { proxy: { noProxy: 'localhost,http://x' } })), 'E_NO_PROXY_LIST'],
  // worker_id and kernel
  ['MAC with five octets', () => emf((p) => (p.emf.workerId = { mode: 'mac', mac: '52:54:00:12:34' })), 'E_MAC'],
  ['multicast MAC', () => emf((p) => (p.emf.workerId = { mode: 'mac', mac: '01:00:5e:00:00:01' })), 'E_MAC_NOT_UNICAST'],
  ['MAC prefix rule cut mid-octet', () => emf((p) => (p.emf.workerId = { mode: 'auto', macPrefix: '52:54:0' })), 'E_WORKER_RULE'],
  ['interface rule with a quote', () => emf((p) => (p.emf.workerId = { mode: 'auto', interfaceMatch: "en'*" })), 'E_WORKER_RULE'],
  ['timeout without a unit', () => emf((p) => (p.emf.tink = { timeout: '120' })), 'E_TIMEOUT'],
  ['tink-worker image with a space', () => emf((p) => (p.emf.tink = { workerImage: 'quay.io/x y' })), 'E_KERNEL_ARG'],
  ['kernel parameter with a space', () => emf((p) => (p.kernel = { extraArgs: ['console=ttyS0 quiet'] })), 'E_KERNEL_ARG'],
  ['kernel parameter carrying a password', () => emf((p) => (p.kernel = { extraArgs: ['registry_password=hunter2'] })), 'E_KERNEL_ARG_SECRET'],
  ['worker_id among the extra kernel parameters', () => emf((p) => (p.kernel = { extraArgs: ['worker_id=52:54:00:00:00:01'] })), 'E_KERNEL_ARG_CONFLICT'],
  ['kernel parameter overriding the mode', () => emf((p) => (p.kernel = { extraArgs: ['DEBUG=true'] })), 'W_KERNEL_ARG_OVERRIDE'],
  // imported orchestrator files
  ...(
    [
      ['run script with CRLF line endings', '#!/bin/sh\r\nexec caddy run\r\n', 'E_SCRIPT_CRLF'],
      ['run script without a shebang', 'exec caddy run\n', 'E_SCRIPT_NO_SHEBANG'],
      ['run script with a byte-order mark', '\uFEFF#!/bin/sh\nexec caddy run\n', 'E_SCRIPT_BOM'],
    ] as const
  ).map(([name, content, code]): Case => [name, () => emf((p) => (p.emf.caddy = { source: 'import', caddyfile: { name: 'Caddyfile', content: ':80 {\n}\n' }, runScript: { name: 'caddy_run.sh', content } })), code]),
  ['Caddyfile that is binary', () => emf((p) => (p.emf.caddy = { source: 'import', caddyfile: { name: 'Caddyfile', content: 'PK\u0003\u0004\u0000\u0000' }, runScript: { name: 'caddy_run.sh', content: '#!/bin/sh\n' } })), 'E_FILE_BINARY'],
  [
    'fluent-bit.yaml with a YAML error',
    () =>
      emf(
        (p) =>
          (p.emf.fluentBit = {
            source: 'import',
            config: { name: 'fluent-bit.yaml', content: 'service:\n  flush: [1\n' },
            runScript: { name: 'fluentbit_run.sh', content: '#!/bin/sh\n' },
            parsers: { name: 'parsers.conf', content: '[PARSER]\n' },
          }),
      ),
    'E_FLUENTBIT_YAML',
  ],
  ['wait_for_ip.sh helper without shebang', () => emf((p) => (p.emf.helpers = { waitForIp: { name: 'wait_for_ip.sh', content: 'sleep 1\n' } })), 'E_SCRIPT_NO_SHEBANG'],
  // standalone: installer bundle
  ['no installer scripts', () => sa((p) => (p.standalone.installer.files = [])), 'E_INSTALLER_EMPTY'],
  ['installer without install-os.sh', () => sa((p) => (p.standalone.installer.files = [{ name: 'enable-dmv.sh', content: '#!/bin/bash\n' }])), 'E_INSTALLER_ENTRY_MISSING'],
  ['two installer files with one name', () => sa((p) => p.standalone.installer.files.push({ name: 'install-os.sh', content: INSTALL_OS })), 'E_FILE_DUPLICATE'],
  ['installer file in a subfolder', () => sa((p) => p.standalone.installer.files.push({ name: 'sub/helper.sh', content: '#!/bin/sh\n' })), 'E_FILE_NAME'],
  ['install-os.sh with CRLF line endings', () => sa((p) => (p.standalone.installer.files[0]!.content = INSTALL_OS.replace(/\n/g, '\r\n'))), 'E_SCRIPT_CRLF'],
  ['installer script over the size limit', () => sa((p) => p.standalone.installer.files.push({ name: 'big.sh', content: `#!/bin/sh\n${'#'.repeat(1 << 20)}\n` })), 'E_FILE_TOO_LARGE'],
  // standalone: config-file fields
  ['no user name', () => sa((p) => delete fields(p).userName), 'E_USER_NAME_MISSING'],
  ['user name with a space', () => sa((p) => (fields(p).userName = 'Edge User')), 'E_USER_NAME'],
  ['user name root', () => sa((p) => (fields(p).userName = 'root')), 'E_USER_NAME_RESERVED'],
  ['user name with a quote', () => sa((p) => (fields(p).userName = 'edge"user')), 'E_CONFIG_VALUE'],
  ['proxy with "=" the installer cuts at', () => sa((p) => (p.network = { proxy: { http: 'http://proxy.example.com:3128/?a=b' } })), 'E_CONFIG_VALUE'],
  ['SSH key that is not base64', () => sa((p) => (fields(p).sshKey = 'ssh-rsa notbase64!!! me@laptop')), 'E_SSH_KEY'],
  ['SSH key of an unknown type', () => sa((p) => (fields(p).sshKey = 'rsa AAAAB3NzaC1yc2E me@laptop')), 'E_SSH_KEY'],
  ['SSH key whose data names another type', () => sa((p) => (fields(p).sshKey = `ssh-ed25519 ${Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from('ssh-rsa'), Buffer.alloc(8)]).toString('base64')}`)), 'E_SSH_KEY'],
  ['SSH private key', () => sa((p) => (fields(p).sshKey = '-----BEGIN OPENSSH PRIVATE KEY-----')), 'E_SSH_KEY_PRIVATE'],
  ['static IP set in part', () => sa((p) => (fields(p).staticIp = { address: '192.168.1.24', prefixLength: 24 })), 'E_STATIC_IP_PARTIAL'],
  ['static IP with a bad address', () => sa((p) => (fields(p).staticIp = { address: '192.168.1.300', prefixLength: 24, gateway: '192.168.1.1', dnsServers: ['8.8.8.8'] })), 'E_IPV4'],
  ['prefix length 33', () => sa((p) => (fields(p).staticIp = { address: '192.168.1.24', prefixLength: 33, gateway: '192.168.1.1', dnsServers: ['8.8.8.8'] })), 'E_PREFIX'],
  ['negative huge pages', () => sa((p) => (fields(p).hugePages = -1)), 'E_HUGE_PAGES'],
  ['negative LVM size', () => sa((p) => (fields(p).lvmSizeGb = -5)), 'E_LVM_SIZE'],
  ['NTP server with an empty label', () => sa((p) => (fields(p).ntpServers = ['ntp..example.com'])), 'E_NTP_SERVER'],
  ['service name with a space', () => sa((p) => (fields(p).services = { enable: ['docker ssh'], disable: [] })), 'E_SERVICE_NAME'],
  ['write_files with a relative path', () => sa((p) => (fields(p).writeFiles = [{ path: 'etc/x.conf', content: 'x\n' }])), 'E_CONFIG_WRITE_FILE_PATH'],
  ['write_files path climbing with ..', () => sa((p) => (fields(p).writeFiles = [{ path: '/etc/../../x', content: 'x\n' }])), 'E_CONFIG_WRITE_FILE_PATH'],
  ['write_files with a bad mode', () => sa((p) => (fields(p).writeFiles = [{ path: '/etc/x.conf', permissions: '999', content: 'x\n' }])), 'E_CONFIG_WRITE_FILE_MODE'],
  ['write_files without content', () => sa((p) => (fields(p).writeFiles = [{ path: '/etc/x.conf', content: '' }])), 'E_CONFIG_WRITE_FILE_CONTENT'],
  ['runcmd item that YAML reads as a mapping', () => sa((p) => (fields(p).runcmd = ['echo status: ok'])), 'E_CONFIG_RUNCMD'],
  ['runcmd item over two lines', () => sa((p) => (fields(p).runcmd = ['echo a\necho b'])), 'E_CONFIG_RUNCMD'],
  ['no OS image', () => sa((p) => delete p.standalone.osImage), 'E_OS_IMAGE_REQUIRED'],
  ['OS image that is not *.raw.gz', () => sa((p) => (p.standalone.osImage = { path: 'edge-readonly.iso' })), 'E_OS_IMAGE_NAME'],
  // standalone: imported config-file
  ['config-file with a YAML error', () => importedConfig('user_name="edge"\nhost_type="container"\nservices:\n    enable: [docker\n'), 'E_CONFIG_YAML'],
  ['config-file line with spaces around =', () => importedConfig('user_name = "edge"\nhost_type="container"\n'), 'E_CONFIG_LINE'],
  ['config-file key given twice', () => importedConfig('user_name="edge"\nuser_name="ops"\nhost_type="container"\n'), 'E_CONFIG_DUPLICATE_KEY'],
  ['config-file holding a password', () => importedConfig('user_name="edge"\npasswd="hunter2"\nhost_type="container"\n'), 'E_CONFIG_PASSWORD'],
  ['config-file key after the YAML part', () => importedConfig('user_name="edge"\nservices:\n    enable: []\nhost_type="container"\n'), 'E_CONFIG_KEY_AFTER_YAML'],
  ['config-file with CRLF line endings', () => importedConfig('user_name="edge"\r\nhost_type="container"\r\n'), 'E_CONFIG_CRLF'],
  ['config-file runcmd that is not a list', () => importedConfig('user_name="edge"\nhost_type="container"\nruncmd: reboot\n'), 'E_CONFIG_SECTION'],
  ['config-file value in single quotes', () => importedConfig("user_name='edge'\nhost_type=\"container\"\n"), 'E_CONFIG_VALUE'],
  ['config-file with a dotted subnet mask', () => importedConfig('user_name="edge"\nhost_type="container"\nstatic_ip="10.0.0.5"\nsubnet_mask="255.255.255.0"\ndefault_gate_way="10.0.0.1"\ndns_name_server="10.0.0.1"\n'), 'E_PREFIX'],
  ['config-file with an unknown host_type', () => importedConfig('user_name="edge"\nhost_type="docker"\n'), 'E_HOST_TYPE'],
  ['config-file write_files key the installer ignores', () => importedConfig('user_name="edge"\nhost_type="container"\nwrite_files:\n  - path: /etc/x\n    owner: root:root\n    content: x\n'), 'W_CONFIG_WRITE_FILE_KEY'],
  ['config-file key the installer does not read', () => importedConfig('user_name="edge"\nhost_type="container"\nhostname="node1"\n'), 'W_CONFIG_UNKNOWN_KEY'],
];

describe('validation corpus', () => {
  it('the valid base profiles have no errors', () => {
    const base = [emfProfile(orch), standaloneProfile()].flatMap((p) => validateProfile(p, { now }));
    expect(base.filter((f) => f.severity === 'error')).toEqual([]);
  });

  it(`has at least 40 bad inputs (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)('%s → %s', (_name, make, code, at) => {
    const findings = validateProfile(make(), { now: at ?? now });
    expect(findings.map((f) => f.code)).toContain(code);
    const f = findings.find((x) => x.code === code)!;
    expect(f.severity).toBe(code.startsWith('E_') ? 'error' : 'warning');
    expect(f.message.length).toBeGreaterThan(20);
    expect(f.hint.length).toBeGreaterThan(10);
  });

  it('gives YAML errors of an imported config-file their line in the file', () => {
    const findings = validateProfile(importedConfig('user_name="edge"\nhost_type="container"\nservices:\n    enable: [docker\n'), { now });
    expect(findings.find((f) => f.code === 'E_CONFIG_YAML')!.message).toMatch(/at line [45]\b/);
  });

  it('points findings at the form field they belong to', () => {
    const at = (p: Profile, code: string) => validateProfile(p, { now }).find((f) => f.code === code)?.field;
    expect(at(sa((p) => (fields(p).userName = 'Edge User')), 'E_USER_NAME')).toBe('standalone.configFile.fields.userName');
    expect(at(emf((p) => (p.emf.services = { OBM_PORT: '0' })), 'E_PORT')).toBe('emf.services.OBM_PORT');
    expect(at(emf(setCa(orch.keyPem)), 'E_CERT_PRIVATE_KEY')).toBe('emf.certificates.orchestratorCa.content');
    expect(at(emf((p) => (p.kernel = { extraArgs: ['ok', 'a b'] })), 'E_KERNEL_ARG')).toBe('kernel.extraArgs[1]');
  });

  it('tells how to write a dotted subnet mask as a prefix length', () => {
    const f = validateProfile(importedConfig('user_name="e"\nhost_type="container"\nstatic_ip="10.0.0.5"\nsubnet_mask="255.255.240.0"\ndefault_gate_way="10.0.0.1"\ndns_name_server="10.0.0.1"\n'), { now }).find((x) => x.code === 'E_PREFIX');
    expect(f?.hint).toBe('Write 20 instead of 255.255.240.0.');
  });
});
