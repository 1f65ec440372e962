import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCertificateFile, readInstallerBundle, readInstallerFolder, readTextFile } from './import-files';
import { makeCert, type TestCert } from './testing/pki';

let dir: string;
let ca: TestCert;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'emt-import-'));
  ca = makeCert('Orchestrator CA');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('importing files into a profile', () => {
  it('converts a DER certificate to PEM and says so', async () => {
    writeFileSync(join(dir, 'ca.der'), ca.der);
    const { file, findings } = await readCertificateFile(join(dir, 'ca.der'));
    expect(file).toEqual({ name: 'ca.der', content: ca.pem });
    expect(findings.map((f) => f.code)).toEqual(['W_CERT_CONVERTED']);
  });

  it('converts base64 DER without PEM armor, and keeps PEM as it is', async () => {
    writeFileSync(join(dir, 'ca.b64'), `${ca.der.toString('base64')}\n`);
    expect((await readCertificateFile(join(dir, 'ca.b64'))).file.content).toBe(ca.pem);
    writeFileSync(join(dir, 'ca.crt'), ca.pem);
    expect(await readCertificateFile(join(dir, 'ca.crt'))).toEqual({ file: { name: 'ca.crt', content: ca.pem }, findings: [] });
  });

  it('refuses binary files that are not certificates, and files over the limit', async () => {
    writeFileSync(join(dir, 'photo.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x80, 0x81]));
    await expect(readCertificateFile(join(dir, 'photo.jpg'))).rejects.toMatchObject({ code: 'E_CERT_DER' });
    await expect(readTextFile(join(dir, 'photo.jpg'))).rejects.toMatchObject({ code: 'E_FILE_BINARY' });
    writeFileSync(join(dir, 'huge.pem'), Buffer.alloc(70_000, 0x41));
    await expect(readCertificateFile(join(dir, 'huge.pem'))).rejects.toMatchObject({ code: 'E_FILE_TOO_LARGE' });
    await expect(readTextFile(join(dir, 'missing.pem'))).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('takes install-os.sh and its helpers from an EMT-S checkout, leaving other files out', async () => {
    const scripts = join(dir, 'emt-s', 'standalone-node', 'provisioning_scripts');
    mkdirSync(scripts, { recursive: true });
    for (const [name, content] of [
      ['install-os.sh', '#!/bin/bash\n'],
      ['enable-dmv.sh', '#!/bin/bash\n'],
      ['cloud-init.yaml', '#cloud-config\n'],
      ['start-provision.service', '[Unit]\n'],
    ]) {
      writeFileSync(join(scripts, name!), content!);
    }
    const bundle = await readInstallerFolder(join(dir, 'emt-s'));
    expect(bundle.from).toBe(scripts);
    expect(bundle.files.map((f) => f.name)).toEqual(['cloud-init.yaml', 'enable-dmv.sh', 'install-os.sh']);
    expect(bundle.skipped).toEqual(['start-provision.service']);
    await expect(readInstallerFolder(join(dir, 'emt-s', 'standalone-node'))).resolves.toMatchObject({ from: scripts });
    await expect(readInstallerFolder(dir)).rejects.toMatchObject({ code: 'E_INSTALLER_NOT_FOUND' });
  });

  it('takes the installer from a tarball of an EMT-S checkout (gzip or xz), by GNU tar', async () => {
    const root = join(dir, 'tarball-src');
    const scripts = join(root, 'emt-s-3.1.50', 'standalone-node', 'provisioning_scripts');
    const apps = join(root, 'emt-s-3.1.50', 'standalone-node', 'installation_scripts', 'user-apps');
    mkdirSync(scripts, { recursive: true });
    mkdirSync(apps, { recursive: true });
    writeFileSync(join(scripts, 'install-os.sh'), '#!/bin/bash\necho install\n');
    writeFileSync(join(scripts, 'os-update.sh'), '#!/bin/bash\n');
    writeFileSync(join(scripts, 'start-provision.service'), '[Unit]\n');
    writeFileSync(join(apps, 'values.yaml'), 'a: 1\n');
    for (const [flag, ext] of [['-z', 'tar.gz'], ['-J', 'tar.xz']]) {
      const archive = join(dir, `emt-s.${ext}`);
      execFileSync('tar', ['-c', flag!, '-f', archive, '-C', root, 'emt-s-3.1.50']);
      const bundle = await readInstallerBundle(archive);
      expect(bundle.files).toEqual([
        { name: 'install-os.sh', content: '#!/bin/bash\necho install\n' },
        { name: 'os-update.sh', content: '#!/bin/bash\n' },
      ]);
      expect(bundle.skipped).toEqual(['start-provision.service']);
      expect(bundle.from).toBe(`${archive}:emt-s-3.1.50/standalone-node/provisioning_scripts`);
    }
  });

  it('refuses a tarball whose members climb out of their folder, and one without install-os.sh', async () => {
    mkdirSync(join(dir, 'evil', 'x'), { recursive: true });
    writeFileSync(join(dir, 'evil', 'install-os.sh'), '#!/bin/sh\n');
    execFileSync('tar', ['-c', '-P', '-f', join(dir, 'evil.tar'), '-C', join(dir, 'evil', 'x'), '../install-os.sh']);
    await expect(readInstallerBundle(join(dir, 'evil.tar'))).rejects.toMatchObject({ code: 'E_TAR_PATH_ESCAPE' });
    execFileSync('tar', ['-c', '-f', join(dir, 'empty.tar'), '-C', join(dir, 'evil'), 'x']);
    await expect(readInstallerBundle(join(dir, 'empty.tar'))).rejects.toMatchObject({ code: 'E_INSTALLER_NOT_FOUND' });
  });
});
