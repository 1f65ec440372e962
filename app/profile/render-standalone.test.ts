import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Overlay } from '../media/overlay';
import { render } from './render';
import { SecretText } from './secrets';
import { bootkitRelease, INSTALL_OS, standaloneProfile } from './testing/profiles';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'emt-standalone-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function text(overlay: Overlay, path: string): string {
  const node = overlay.get(path);
  if (node?.kind !== 'file') throw new Error(`${path} is not a file of the overlay`);
  return node.content.toString('utf8');
}

const SSH_KEY = `ssh-ed25519 ${Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), Buffer.alloc(32, 7)]).toString('base64')} tech@laptop`;

function fieldsProfile() {
  const p = standaloneProfile({
    configFile: {
      source: 'fields',
      fields: {
        userName: 'edgeuser',
        hostType: 'kubernetes',
        sshKey: SSH_KEY,
        staticIp: { address: '192.168.1.24', prefixLength: 24, gateway: '192.168.1.1', dnsServers: ['8.8.8.8', '1.1.1.1'] },
        ntpServers: ['ntp1.example.com', 'ntp2.example.com'],
        hugePages: 12288,
        lvmSizeGb: 20,
        services: { enable: ['docker', 'ssh.service'], disable: ['apache2'] },
        writeFiles: [{ path: '/etc/motd.d/site', permissions: '0644', content: 'Plant 7\nline 2\n' }],
        runcmd: ['systemctl restart systemd-timesyncd', 'echo done > /var/log/site-ready'],
      },
    },
    userAppsDir: 'apps',
  });
  p.network = { proxy: { http: 'http://proxy.example.com:3128', https: 'http://proxy.example.com:3128', noProxy: 'localhost,127.0.0.1' } };
  return p;
}

const PASSWORD = new SecretText('correct-horse-battery');

describe('render: standalone mode', () => {
  it('puts exactly the installer, its unit and the masks into the running system', () => {
    const r = render(standaloneProfile(), bootkitRelease(), { password: PASSWORD, baseDir: '/media/tech' });
    expect(r.findings.map((f) => f.code)).toEqual(['W_NO_SSH_KEY', 'W_INSTALLER_WIPES_DISKS', 'W_PASSWORD_PLAINTEXT']);
    expect(r.overlay.list().map((n) => (n.kind === 'symlink' ? `l ${n.path} -> ${n.target}` : `${n.kind === 'dir' ? 'd' : 'f'} ${n.mode.toString(8)} ${n.path}`))).toEqual([
      'd 755 /etc',
      'd 755 /etc/scripts',
      'f 644 /etc/scripts/cloud-init.yaml',
      'f 755 /etc/scripts/install-os.sh',
      'd 755 /etc/systemd',
      'd 755 /etc/systemd/system',
      'l /etc/systemd/system/caddy.service -> /dev/null',
      'l /etc/systemd/system/device-discovery.service -> /dev/null',
      'l /etc/systemd/system/fluent-bit.service -> /dev/null',
      'd 755 /etc/systemd/system/multi-user.target.wants',
      'l /etc/systemd/system/multi-user.target.wants/start-provision.service -> /etc/systemd/system/start-provision.service',
      'f 644 /etc/systemd/system/start-provision.service',
      'l /etc/systemd/system/tink-worker.service -> /dev/null',
    ]);
    expect(text(r.overlay, '/etc/scripts/install-os.sh')).toBe(INSTALL_OS);
    const unit = text(r.overlay, '/etc/systemd/system/start-provision.service').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(unit).toEqual(['[Unit]', 'Description=EMT standalone installer', 'After=getty.target', '[Service]', 'Type=simple', 'ExecStartPre=/bin/sleep 15', 'WorkingDirectory=/etc/scripts', 'ExecStart=/etc/scripts/install-os.sh', '[Install]', 'WantedBy=multi-user.target']);
    expect(r.kernelArgs).toEqual(['usbcore.delay_ms=2000', 'usbcore.autosuspend=-1']);
  });

  it('hands the stick its content: config-file, .psswd, the image with its checksum, user apps', () => {
    const r = render(fieldsProfile(), bootkitRelease(), { password: PASSWORD, baseDir: '/media/tech' });
    expect(r.findings.map((f) => f.code)).toEqual(['W_INSTALLER_WIPES_DISKS', 'W_PASSWORD_PLAINTEXT']);
    expect(r.stick!.osImage).toEqual({ path: '/media/tech/images/edge-readonly-3.0.20260526.0123.raw.gz', checksumPath: '/media/tech/images/edge-readonly-3.0.20260526.0123.raw.gz.sha256sum' });
    expect(r.stick!.userAppsDir).toBe('/media/tech/apps');
    expect(r.stick!.passwordFile!.reveal()).toBe('passwd=correct-horse-battery\n');
    expect(r.stick!.configFile).toBe(
      [
        '# config-file for the EMT standalone installer, written by EMT Media Builder.',
        '# The installer reads the key="value" lines with grep and the YAML sections below with yq.',
        '# The password is not in this file: it is in .psswd beside it.',
        '',
        'http_proxy="http://proxy.example.com:3128"',
        'https_proxy="http://proxy.example.com:3128"',
        'no_proxy="localhost,127.0.0.1"',
        'HTTP_PROXY="http://proxy.example.com:3128"',
        'HTTPS_PROXY="http://proxy.example.com:3128"',
        'NO_PROXY="localhost,127.0.0.1"',
        `ssh_key="${SSH_KEY}"`,
        'user_name="edgeuser"',
        'host_type="kubernetes"',
        'static_ip="192.168.1.24"',
        'subnet_mask="24"',
        'default_gate_way="192.168.1.1"',
        'dns_name_server="8.8.8.8,1.1.1.1"',
        'lvm_size_ingb="20"',
        'huge_page_config="12288"',
        'USER_CUSTOM_NTP_SERVERS="ntp1.example.com,ntp2.example.com"',
        '',
        'services:',
        '    enable: [ docker, ssh.service ]',
        '    disable: [ apache2 ]',
        'write_files:',
        '    - path: /etc/motd.d/site',
        '      permissions: "0644"',
        '      content: |',
        '          Plant 7',
        '          line 2',
        'runcmd:',
        '  - systemctl restart systemd-timesyncd',
        '  - echo done > /var/log/site-ready',
        '',
      ].join('\n'),
    );
  });

  it("writes a config-file the installer's grep/cut and PyYAML read back as meant", () => {
    const r = render(fieldsProfile(), bootkitRelease(), { password: PASSWORD });
    const file = join(dir, 'config-file');
    writeFileSync(file, r.stick!.configFile);
    // install-os.sh: value=$(grep '^key=' config-file | cut -d '=' -f2), quotes removed with tr.
    const read = (key: string) => execFileSync('sh', ['-c', `grep "^${key}=" "$0" | cut -d '=' -f2 | tr -d '"'`, file], { encoding: 'utf8' }).trim();
    expect(read('user_name')).toBe('edgeuser');
    expect(read('host_type')).toBe('kubernetes');
    expect(read('subnet_mask')).toBe('24');
    expect(read('dns_name_server')).toBe('8.8.8.8,1.1.1.1');
    expect(read('http_proxy')).toBe('http://proxy.example.com:3128');
    // The YAML part from the first section line on, loaded by PyYAML as bootable-usb-prepare.sh does.
    const py = [
      'import sys, yaml, json',
      'text = open(sys.argv[1]).read().split("\\n")',
      'start = next(i for i, l in enumerate(text) if l.lstrip().startswith(("services:", "write_files:", "runcmd:")))',
      'print(json.dumps(yaml.safe_load("\\n".join(text[start:]))))',
    ].join('\n');
    const yaml = JSON.parse(execFileSync('python3', ['-c', py, file], { encoding: 'utf8' }));
    expect(yaml).toEqual({
      services: { enable: ['docker', 'ssh.service'], disable: ['apache2'] },
      write_files: [{ path: '/etc/motd.d/site', permissions: '0644', content: 'Plant 7\nline 2\n' }],
      runcmd: ['systemctl restart systemd-timesyncd', 'echo done > /var/log/site-ready'],
    });
  });

  it('passes an imported config-file through unchanged', () => {
    const imported = 'user_name="ops"\nhost_type="container"\nssh_key=""\nservices:\n    enable: []\n    disable: []\nwrite_files: []\nruncmd:\n';
    const r = render(standaloneProfile({ configFile: { source: 'import', file: { name: 'config-file', content: imported } } }), bootkitRelease());
    expect(r.isRenderable).toBe(true);
    expect(r.stick!.configFile).toBe(imported);
    expect(r.stick!.passwordFile).toBeNull();
  });

  it('keeps the password out of JSON, logs and the summary', () => {
    const r = render(fieldsProfile(), bootkitRelease(), { password: PASSWORD });
    for (const shown of [JSON.stringify(r), inspect(r, { depth: 10 }), r.summary.map((s) => s.text).join('\n'), JSON.stringify(r.findings)]) {
      expect(shown).not.toContain('correct-horse-battery');
    }
    expect(JSON.stringify(r.stick)).toContain('"passwordFile":"[secret]"');
  });

  it('refuses a password the installer would mangle, without repeating it', () => {
    const r = render(fieldsProfile(), bootkitRelease(), { password: new SecretText('pa$$=word') });
    expect(r.isRenderable).toBe(false);
    expect(r.findings.map((f) => f.code)).toContain('E_PASSWORD_CHARS');
    expect(JSON.stringify(r.findings)).not.toContain('pa$$=word');
    expect(render(fieldsProfile(), bootkitRelease(), { password: new SecretText('short') }).findings.map((f) => f.code)).toContain('W_PASSWORD_SHORT');
  });

  it('reports every installer tool the release lacks, by package', () => {
    const r = render(standaloneProfile(), bootkitRelease({ missing: ['parted', 'partprobe', 'route', 'efibootmgr'] }));
    const missing = r.findings.filter((f) => f.code === 'E_RELEASE_TOOL_MISSING').map((f) => f.message);
    expect(missing).toEqual([
      'emb_uos_x86_64_20260526 lacks efibootmgr (package efibootmgr), which the standalone installer runs.',
      'emb_uos_x86_64_20260526 lacks route (package net-tools), which the standalone installer runs.',
      'emb_uos_x86_64_20260526 lacks parted, partprobe (package parted), which the standalone installer runs.',
    ]);
    expect(r.isRenderable).toBe(false);
  });

  it('requires yq only when the config-file has sections the installer applies with it', () => {
    const noYq = bootkitRelease({ missing: ['yq'] });
    expect(render(standaloneProfile(), noYq).findings.map((f) => f.code)).toContain('W_RELEASE_NO_YQ');
    expect(render(fieldsProfile(), noYq).findings.map((f) => f.code)).toContain('E_RELEASE_NO_YQ');
  });

  it('says in plain words what goes on the stick, with the two cautions', () => {
    const texts = render(fieldsProfile(), bootkitRelease()).summary.map((s) => `${s.topic}: ${s.text}`);
    expect(texts).toContainEqual('units: Masked, as they would fail without an orchestrator: tink-worker.service, caddy.service, fluent-bit.service, device-discovery.service.');
    expect(texts).toContainEqual(expect.stringContaining('The installer creates the user edgeuser (SSH key tech@laptop), sets the node up for kubernetes, network: static address 192.168.1.24/24 when no DHCP answers, NTP ntp1.example.com,ntp2.example.com.'));
    expect(texts).toContainEqual('stick: Stick partition 5: edge-readonly-3.0.20260526.0123.raw.gz and its .sha256sum. Partition 6: config-file and .psswd. Partition 7: user-apps from apps.');
    expect(texts).toContainEqual('caution: The installer erases every SATA and NVMe disk of the node it boots on.');
    expect(texts.filter((t) => t.startsWith('caution:'))).toHaveLength(2);
  });
});
