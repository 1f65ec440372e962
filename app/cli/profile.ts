import { access, mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import type { Finding } from '../contract/build';
import { PROFILE_SCHEMA_VERSION, type Profile } from '../contract/profile';
import { EmtError } from '../errors';
import { importEnvConfig } from '../profile/emf/env-config';
import { releaseContext, type ReleaseContext } from '../media/release-context';
import { resolveReleaseArg } from './release-arg';
import { hasErrors } from '../profile/findings';
import { readCertificateFile, readInstallerBundle, readTextFile } from '../profile/import-files';
import { loadProfile, saveProfile, type LoadedProfile } from '../profile/profile-file';
import { render, toPreview } from '../profile/render';
import { unknownRelease, type RenderContext } from '../profile/render-types';
import { SecretText } from '../profile/secrets';
import { checkStickFiles } from '../profile/standalone/stick-files';
import { validateProfile } from '../profile/validate';
import { flag, str, strs, type CliIo, type Command, type ParsedArgs } from './command';

/**
 * `emt-media profile`: what support staff do with site profiles without the GUI — start one,
 * fill it from the files they have, check it, see what it puts on the media.
 */

const USAGE = [
  'profile new FILE --mode emf|standalone [--name NAME] [--domain DOMAIN] [--mac MAC] [--user NAME] [--force]',
  '       profile validate FILE [--release <cached id | tarball | dir | kernel --release initramfs>] [--json]',
  '       profile show FILE [--release <cached id | tarball | dir | kernel --release initramfs>] [--json]',
  '       profile import FILE [--orchestrator-ca F] [--provisioning-ca F] [--env-config F] [--caddyfile F --caddy-run F]',
  '                           [--fluent-bit F --fluentbit-run F --parsers F] [--wait-for-ip F] [--boot-statistics F]',
  '                           [--installer DIR|TARBALL] [--config-file F] [--os-image F] [--user-apps DIR]',
  '       profile render FILE --out DIR [--password-stdin | --password-env VAR | --ask-password]',
  '       profile migrate FILE',
].join('\n');

const EMF_FILE_OPTIONS = ['orchestrator-ca', 'provisioning-ca', 'env-config', 'caddyfile', 'caddy-run', 'fluent-bit', 'fluentbit-run', 'parsers', 'wait-for-ip', 'boot-statistics'] as const;
const STANDALONE_FILE_OPTIONS = ['installer', 'config-file', 'os-image', 'user-apps'] as const;
const FILE_OPTIONS = [...EMF_FILE_OPTIONS, ...STANDALONE_FILE_OPTIONS] as const;

export const profileCommand: Command = {
  name: 'profile',
  summary: 'Create, fill, check and show site profiles (EMF or standalone)',
  usage: USAGE,
  options: {
    mode: { type: 'string' },
    name: { type: 'string' },
    domain: { type: 'string' },
    mac: { type: 'string' },
    user: { type: 'string' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
    out: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    'password-env': { type: 'string' },
    'ask-password': { type: 'boolean' },
    release: { type: 'string', multiple: true },
    ...Object.fromEntries(FILE_OPTIONS.map((o) => [o, { type: 'string' as const }])),
  },
  async run(args, io) {
    const [sub, file] = args.positionals;
    if (!sub || !file) throw new EmtError('E_USAGE', 'profile needs a subcommand and a profile file.', `Usage: emt-media ${USAGE}`);
    const path = resolve(io.cwd, file);
    switch (sub) {
      case 'new':
        return createProfile(path, args, io);
      case 'validate':
        return validateFile(path, args, io);
      case 'show':
        return showFile(path, args, io);
      case 'import':
        return importInto(path, args, io);
      case 'render':
        return renderTo(path, args, io);
      case 'migrate': {
        const loaded = await loadProfile(path);
        await saveProfile(path, loaded.profile, loaded);
        io.out(loaded.migratedFrom === null ? `${file} is already at profile version ${PROFILE_SCHEMA_VERSION}.` : `${file} migrated from version ${loaded.migratedFrom} to ${PROFILE_SCHEMA_VERSION}.`);
        return 0;
      }
      default:
        throw new EmtError('E_USAGE', `profile has no subcommand "${sub}".`, `Usage: emt-media ${USAGE}`);
    }
  },
};

/** The standalone password from --password-stdin, --password-env or a prompt; null when none was asked for. */
export async function readPassword(args: ParsedArgs, io: CliIo): Promise<SecretText | null> {
  if (flag(args, 'password-stdin')) return new SecretText((await io.readStdin()).split('\n')[0] ?? '');
  const envName = str(args, 'password-env');
  if (envName) {
    const value = io.env[envName];
    if (value === undefined) throw new EmtError('E_PASSWORD_MISSING', `The environment variable ${envName} is not set.`, `Set ${envName} to the password, or use --password-stdin.`);
    return new SecretText(value);
  }
  if (flag(args, 'ask-password')) {
    const first = await io.askSecret('Password for the standalone user: ');
    if (first === null) throw new EmtError('E_PASSWORD_MISSING', 'No terminal to ask the password on.', 'Use --password-stdin or --password-env VAR.');
    if ((await io.askSecret('Repeat the password: ')) !== first) throw new EmtError('E_PASSWORD_MISMATCH', 'The two passwords differ.', 'Run the command again and type the same password twice.');
    return new SecretText(first);
  }
  return null;
}

function printFindings(findings: readonly Finding[], io: CliIo): void {
  for (const f of findings) {
    io.out(`${f.severity === 'error' ? 'error' : 'warning'} ${f.code}${f.field ? ` (${f.field})` : ''}: ${f.message}`);
    io.out(`  fix: ${f.hint}`);
  }
}

function tally(findings: readonly Finding[]): string {
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.length - errors;
  return `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
}

/**
 * The release given with --release, read and inspected as a build reads it, so that validate and
 * show report what the build would: the services EMF needs, the tools the standalone installer runs.
 */
async function releaseOf(args: ParsedArgs, io: CliIo): Promise<ReleaseContext | null> {
  const names = strs(args, 'release');
  if (names.length === 0) return null;
  const { release, releaseSha256, cacheDir, done } = await resolveReleaseArg(names, io);
  try {
    return await releaseContext(release, { cacheDir, contentKey: releaseSha256, onProgress: io.progress });
  } finally {
    await done();
  }
}

/**
 * Everything wrong with a profile file: its content, for standalone the files it names, and with
 * a release what render's preflight finds in it (the same findings that stop a build).
 */
async function allFindings(loaded: LoadedProfile, path: string, release: ReleaseContext | null = null): Promise<Finding[]> {
  const findings = release ? [...release.inspection.findings, ...render(loaded.profile, release.context, { baseDir: dirname(path) }).findings] : validateProfile(loaded.profile);
  if (loaded.profile.mode === 'standalone') findings.push(...(await checkStickFiles(loaded.profile, dirname(path))).findings);
  return findings;
}

function releaseJson(release: ReleaseContext | null): object {
  return release ? { release: { name: release.displayName, layout: release.inspection.layout } } : {};
}

async function validateFile(path: string, args: ParsedArgs, io: CliIo): Promise<number> {
  const loaded = await loadProfile(path);
  const release = await releaseOf(args, io);
  const findings = await allFindings(loaded, path, release);
  const ok = !hasErrors(findings);
  if (flag(args, 'json')) {
    io.out(JSON.stringify({ ok, profile: path, ...releaseJson(release), migratedFrom: loaded.migratedFrom, findings }, null, 2));
  } else {
    printFindings(findings, io);
    io.out(`${relative(io.cwd, path) || path}${release ? ` with ${release.displayName}` : ''}: ${tally(findings)}${ok ? ' — ready to build.' : '.'}`);
  }
  return ok ? 0 : 1;
}

async function showFile(path: string, args: ParsedArgs, io: CliIo): Promise<number> {
  const loaded = await loadProfile(path);
  const release = await releaseOf(args, io);
  const ctx: RenderContext = release?.context ?? unknownRelease();
  const result = render(loaded.profile, ctx, { baseDir: dirname(path) });
  const preview = toPreview(result);
  if (flag(args, 'json')) {
    io.out(JSON.stringify({ ok: true, profile: path, ...releaseJson(release), ...preview }, null, 2));
    return 0;
  }
  io.out(`${loaded.profile.name} (${loaded.profile.mode === 'emf' ? 'EMF onboarding' : 'standalone installer'}, profile version ${PROFILE_SCHEMA_VERSION})${release ? ` with ${release.displayName} (${release.inspection.layout})` : ''}`);
  for (const s of preview.summary) io.out(`  - ${s.text}`);
  if (preview.isRenderable) {
    io.out('\nFiles added to the running system:');
    for (const n of preview.overlay.filter((x) => x.kind !== 'dir')) io.out(`  ${n.kind === 'symlink' ? 'link' : n.mode} ${n.path}${n.target ? ` -> ${n.target}` : ''}`);
  }
  io.out(`\n${tally(preview.findings)} (run profile validate for the details).`);
  return 0;
}

async function createProfile(path: string, args: ParsedArgs, io: CliIo): Promise<number> {
  const mode = str(args, 'mode');
  if (mode !== 'emf' && mode !== 'standalone') throw new EmtError('E_USAGE', '--mode must be emf or standalone.', `Usage: emt-media ${USAGE}`);
  if (!flag(args, 'force') && (await access(path).then(() => true, () => false))) {
    throw new EmtError('E_PROFILE_EXISTS', `${path} already exists.`, 'Choose another name, or add --force to replace it.');
  }
  const name = str(args, 'name') ?? 'New site';
  const mac = str(args, 'mac');
  const profile: Profile =
    mode === 'emf'
      ? {
          schemaVersion: PROFILE_SCHEMA_VERSION,
          name,
          mode,
          emf: {
            ...(str(args, 'domain') ? { orchestratorDomain: str(args, 'domain') } : {}),
            certificates: {},
            caddy: { source: 'generate' },
            fluentBit: { source: 'generate' },
            workerId: mac ? { mode: 'mac', mac } : { mode: 'auto' },
          },
        }
      : {
          schemaVersion: PROFILE_SCHEMA_VERSION,
          name,
          mode,
          standalone: { installer: { files: [] }, configFile: { source: 'fields', fields: { ...(str(args, 'user') ? { userName: str(args, 'user') } : {}), hostType: 'kubernetes' } } },
        };
  await saveProfile(path, profile);
  io.out(`Wrote ${relative(io.cwd, path) || path}.`);
  io.out(
    mode === 'emf'
      ? `Next: emt-media profile import ${relative(io.cwd, path)} --orchestrator-ca ca.crt [--env-config env_config]`
      : `Next: emt-media profile import ${relative(io.cwd, path)} --installer provisioning_scripts/ --os-image edge-readonly-….raw.gz`,
  );
  return 0;
}

async function importInto(path: string, args: ParsedArgs, io: CliIo): Promise<number> {
  const loaded = await loadProfile(path);
  const profile = structuredClone(loaded.profile);
  const done: string[] = [];
  const notes: Finding[] = [];
  const given = (o: (typeof FILE_OPTIONS)[number]) => {
    const v = str(args, o);
    return v ? resolve(io.cwd, v) : null;
  };
  const wrongMode = (o: string) => new EmtError('E_USAGE', `--${o} belongs to the other mode (this profile is ${profile.mode}).`, 'Use the options of the profile\'s mode; see emt-media profile --help.');
  if (profile.mode === 'emf') {
    for (const o of STANDALONE_FILE_OPTIONS) if (given(o)) throw wrongMode(o);
    const emf = profile.emf;
    for (const [opt, slot] of [['orchestrator-ca', 'orchestratorCa'], ['provisioning-ca', 'provisioningCa']] as const) {
      const p = given(opt);
      if (!p) continue;
      const { file, findings } = await readCertificateFile(p);
      emf.certificates[slot] = file;
      notes.push(...findings);
      done.push(`${opt}: ${file.name}`);
    }
    const env = given('env-config');
    if (env) {
      const imported = importEnvConfig((await readTextFile(env, 'an env_config')).content);
      notes.push(...imported.findings.list);
      emf.services = { ...emf.services, ...imported.services };
      if (Object.keys(imported.extraEnv).length) emf.extraEnv = { ...emf.extraEnv, ...imported.extraEnv };
      if (imported.extraHosts.length) emf.extraHosts = imported.extraHosts;
      if (imported.proxy.http || imported.proxy.https || imported.proxy.noProxy) profile.network = { ...profile.network, proxy: imported.proxy };
      done.push(`env-config: ${Object.keys(imported.services).length} service value(s)`);
    }
    const caddy = [given('caddyfile'), given('caddy-run')];
    if (caddy.some(Boolean)) {
      if (!caddy.every(Boolean)) throw new EmtError('E_USAGE', '--caddyfile and --caddy-run go together.', 'Give both files of the orchestrator, or neither.');
      emf.caddy = { source: 'import', caddyfile: await readTextFile(caddy[0]!, 'a Caddyfile'), runScript: await readTextFile(caddy[1]!, 'caddy_run.sh') };
      done.push('caddy: imported');
    }
    const fluent = [given('fluent-bit'), given('fluentbit-run'), given('parsers')];
    if (fluent.some(Boolean)) {
      if (!fluent.every(Boolean)) throw new EmtError('E_USAGE', '--fluent-bit, --fluentbit-run and --parsers go together.', 'Give all three files of the orchestrator, or none.');
      emf.fluentBit = { source: 'import', config: await readTextFile(fluent[0]!, 'fluent-bit.yaml'), runScript: await readTextFile(fluent[1]!, 'fluentbit_run.sh'), parsers: await readTextFile(fluent[2]!, 'parsers.conf') };
      done.push('fluent-bit: imported');
    }
    for (const [opt, slot] of [['wait-for-ip', 'waitForIp'], ['boot-statistics', 'reportBootStatistics']] as const) {
      const p = given(opt);
      if (!p) continue;
      emf.helpers = { ...emf.helpers, [slot]: await readTextFile(p, 'a helper script') };
      done.push(`${opt}: imported`);
    }
  } else {
    for (const o of EMF_FILE_OPTIONS) if (given(o)) throw wrongMode(o);
    const sa = profile.standalone;
    const installer = given('installer');
    if (installer) {
      const bundle = await readInstallerBundle(installer);
      sa.installer = { files: bundle.files };
      done.push(`installer: ${bundle.files.length} file(s) from ${bundle.from}${bundle.skipped.length ? ` (left out: ${bundle.skipped.join(', ')})` : ''}`);
    }
    const config = given('config-file');
    if (config) {
      sa.configFile = { source: 'import', file: await readTextFile(config, 'a config-file') };
      done.push('config-file: imported');
    }
    // Paths are stored relative to the profile, so that the folder can move as a whole.
    const image = given('os-image');
    if (image) {
      sa.osImage = { path: relative(dirname(path), image) };
      done.push(`os-image: ${sa.osImage.path}`);
    }
    const apps = given('user-apps');
    if (apps) {
      sa.userAppsDir = relative(dirname(path), apps) || '.';
      done.push(`user-apps: ${sa.userAppsDir}`);
    }
  }
  if (done.length === 0) throw new EmtError('E_USAGE', 'Nothing to import: no file option was given.', `Usage: emt-media ${USAGE}`);
  await saveProfile(path, profile, loaded);
  for (const d of done) io.out(`imported ${d}`);
  printFindings(notes, io);
  const findings = await allFindings({ ...loaded, profile }, path);
  io.out(`${relative(io.cwd, path) || path}: ${tally(findings)}.`);
  return 0;
}

/** The overlay tree, kernel line and stick files as plain files, for support staff to inspect. */
async function renderTo(path: string, args: ParsedArgs, io: CliIo): Promise<number> {
  const outOpt = str(args, 'out');
  if (!outOpt) throw new EmtError('E_USAGE', '--out is required.', `Usage: emt-media ${USAGE}`);
  const out = resolve(io.cwd, outOpt);
  const loaded = await loadProfile(path);
  const password = await readPassword(args, io);
  const result = render(loaded.profile, unknownRelease(), { baseDir: dirname(path), ...(password ? { password } : {}) });
  printFindings(result.findings, io);
  if (!result.isRenderable) {
    io.out(`${tally(result.findings)}: nothing rendered.`);
    return 1;
  }
  const root = join(out, 'rootfs');
  for (const node of result.overlay.list()) {
    const target = join(root, node.path);
    if (node.kind === 'dir') await mkdir(target, { recursive: true, mode: node.mode });
    else if (node.kind === 'file') await writeFile(target, node.content, { mode: node.mode });
    else await symlink(node.target, target);
  }
  await writeFile(join(out, 'kernel-args'), `${result.kernelArgs.join(' ')}\n`);
  if (result.stick) {
    await mkdir(join(out, 'stick'), { recursive: true });
    await writeFile(join(out, 'stick', 'config-file'), result.stick.configFile);
    if (result.stick.passwordFile) await writeFile(join(out, 'stick', '.psswd'), result.stick.passwordFile.reveal(), { mode: 0o600 });
  }
  io.out(`Rendered ${result.overlay.list().filter((n) => n.kind !== 'dir').length} entries into ${relative(io.cwd, root) || root}, kernel parameters into kernel-args${result.stick ? ', stick files into stick/' : ''}.`);
  return 0;
}
