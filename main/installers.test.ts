import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { packagedWriter } from './writer-path';

// electron-builder cannot run here (it downloads Electron), so its configuration is checked the
// way electron-builder itself checks it, and the files it ships are checked with real tools.
const root = join(import.meta.dirname, '..');
interface BuilderConfig {
  productName: string;
  files: string[];
  extraResources: Array<{ from: string; to: string }>;
  electronFuses: Record<string, boolean>;
  linux: { target: string[]; icon: string; executableName: string };
  deb: { fpm: string[]; recommends: string[] };
  rpm: { fpm: string[]; depends: string[] };
  win: { target: string[]; icon: string };
  mac: { target: string[]; icon: string };
}
const config = parse(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
const require = createRequire(join(root, 'package.json'));
const POLICY = 'assets/build/linux/org.openedgeplatform.emt-media-builder.policy';
const tmp = mkdtempSync(join(tmpdir(), 'emt-installers-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function validate(cfg: unknown): Promise<void> {
  const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as { validateConfiguration(c: unknown, l: unknown): Promise<void> };
  const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
  await validateConfiguration(cfg, new DebugLogger(false));
}

describe('electron-builder.yml', () => {
  it("passes electron-builder's own schema check, which refuses an unknown key", async () => {
    await validate(config);
    await expect(validate({ ...config, linux: { ...config.linux, bogus: true } })).rejects.toThrow(/configuration\.linux/);
  });

  it('builds every installer the issue asks for', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb', 'rpm']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.mac.target).toEqual(['dmg']);
  });

  it('names only files that exist (the kit is made by npm run kit and never committed)', () => {
    for (const p of [config.linux.icon, config.win.icon, config.mac.icon, ...config.extraResources.map((r) => r.from).filter((f) => f !== '.kit')]) {
      expect(existsSync(join(root, p)), p).toBe(true);
    }
    expect(readFileSync(join(root, '.gitignore'), 'utf8')).toMatch(/^\/?\.kit\/$/m);
    expect(config.extraResources).toContainEqual({ from: '.kit', to: 'boot-kit', filter: ['**/*', '!signed-chain-debian/**'] });
  });

  it('keeps runAsNode on (the writer needs it) and every other way in off', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: true,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('ships the bundles the app and the writer launcher load, and no source maps', () => {
    expect(config.files).toEqual(expect.arrayContaining(['dist/main/**', 'dist/renderer/**', 'assets/templates/**', '!**/*.map']));
    expect(readFileSync(join(root, 'main/bundle.ts'), 'utf8')).toContain("bundleWriter(join(outdir, 'writer.cjs'))");
    expect(readFileSync(join(root, 'assets/build/writer/emt-media-writer'), 'utf8')).toContain('app.asar/dist/main/writer.cjs');
  });
});

describe('the polkit policy in the deb and rpm', () => {
  it('is valid against the polkit DTD (xmllint)', () => {
    execFileSync('xmllint', ['--noout', '--dtdvalid', '/usr/share/polkit-1/policyconfig-1.dtd', join(root, POLICY)]);
  });

  it('lets pkexec start exactly the launcher where the packages install it', () => {
    const policy = readFileSync(join(root, POLICY), 'utf8');
    const execPath = /key="org\.freedesktop\.policykit\.exec\.path">([^<]+)</.exec(policy)?.[1];
    // electron-builder installs deb and rpm under /opt/<productName>; extraResources land in resources/.
    expect(execPath).toBe(packagedWriter(`/opt/${config.productName}/resources`, 'linux'));
    const target = `/usr/share/polkit-1/actions/${POLICY.split('/').pop()}`;
    expect(config.deb.fpm).toEqual([`${POLICY}=${target}`]);
    expect(config.rpm.fpm).toEqual([`${POLICY}=${target}`]);
    expect(config.deb.recommends.join(' ')).toContain('pkexec');
    expect(config.rpm.depends).toContain('polkit');
  });
});

describe('the writer launchers', () => {
  it('runs the writer on the app runtime in Node mode, from a folder with spaces (Linux layout)', () => {
    const app = join(tmp, 'opt', config.productName);
    mkdirSync(join(app, 'resources', 'writer'), { recursive: true });
    mkdirSync(join(app, 'resources', 'app.asar', 'dist', 'main'), { recursive: true });
    // A stand-in for the Electron binary: it reports how it was started.
    writeFileSync(join(app, config.linux.executableName), '#!/bin/sh\necho "node=$ELECTRON_RUN_AS_NODE"\nfor a in "$@"; do echo "arg=$a"; done\n');
    chmodSync(join(app, config.linux.executableName), 0o755);
    const launcher = join(app, 'resources', 'writer', 'emt-media-writer');
    copyFileSync(join(root, 'assets/build/writer/emt-media-writer'), launcher);
    chmodSync(launcher, 0o755);
    const r = spawnSync(launcher, ['--ipc', 'x y'], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['node=1', `arg=${join(app, 'resources', 'app.asar', 'dist', 'main', 'writer.cjs')}`, 'arg=--ipc', 'arg=x y']);
    expect(launcher).toBe(packagedWriter(join(app, 'resources'), 'linux'));
  });

  it('has a Windows launcher with CRLF lines that finds the exe two folders up', () => {
    const cmd = readFileSync(join(root, 'assets/build/writer/emt-media-writer.cmd'), 'utf8');
    expect(cmd.split('\r\n').length).toBeGreaterThan(3);
    expect(cmd.replace(/\r\n/g, '')).not.toContain('\n');
    expect(cmd).toContain('set ELECTRON_RUN_AS_NODE=1');
    expect(cmd).toContain(`"%~dp0..\\..\\${config.productName}.exe" "%~dp0..\\app.asar\\dist\\main\\writer.cjs" %*`);
    expect(packagedWriter('C:\\R', 'win32')).toMatch(/emt-media-writer\.cmd$/);
  });
});
