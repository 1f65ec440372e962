import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { main } from '../../app/cli';
import { recordingIo } from '../../app/release/testing/cli-io';
import { OS_IMAGE_NAME, writeStickInputs, type StickInputs } from '../../app/media/testing/standalone-stick';

/**
 * The standalone stick e2e tests' common ground: a profile made the way a technician makes it
 * (`profile new` + `profile import` of an installer folder, an OS image and a user-apps folder),
 * and `emt-media` run as a child process of its own, whose signals and exit code are real.
 */

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const PASSWORD = 'Stick-e2e-pw-7Yq3';
export const PASSWORD_ENV = 'EMT_E2E_STICK_PASSWORD';

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * `emt-media <args>` from the checkout in one Node process (tsx as a loader, not as a wrapper
 * process), so that a signal sent to `child` reaches the CLI itself. Killed at the timeout.
 */
export function startEmtMedia(args: readonly string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): { child: ChildProcess; done: Promise<CliRun> } {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child = spawn(process.execPath, ['--import', tsx, join(REPO, 'app', 'cli.ts'), ...args], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: opts.timeoutMs ?? 600_000,
    killSignal: 'SIGKILL',
  });
  const done = new Promise<CliRun>((settle, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code, signal) => settle({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Settings and cache of the test's own, in `dir`: nothing read from or left in this machine's. */
export function ownFolders(dir: string): NodeJS.ProcessEnv {
  return { EMT_CONFIG_DIR: join(dir, 'config'), EMT_CACHE_DIR: join(dir, 'cache') };
}

export function emtMedia(args: readonly string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliRun> {
  return startEmtMedia(args, opts).done;
}

/** The JSON document of a `--json` run, or an error that shows what was printed instead. */
export function jsonOf<T>(run: CliRun, what: string): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`${what} exited ${run.code ?? run.signal} without a JSON document.\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  }
}

async function profileCli(dir: string, ...argv: string[]): Promise<void> {
  const r = recordingIo({}, dir);
  const code = await main(['profile', ...argv], r.io);
  if (code !== 0) throw new Error(`emt-media profile ${argv.join(' ')} exited ${code}:\n${r.text()}`);
}

export interface StandaloneWorkspace extends StickInputs {
  dir: string;
  /** The profile file, relative to `dir`. */
  profile: string;
}

/**
 * In `dir`: the stick inputs (OS image of `rawBytes` patterned bytes, its .sha256sum, apps/), an
 * installer folder `provisioning_scripts/` with `files` (install-os.sh among them), and a profile
 * `name` that imports them all, for the user `tech`.
 */
export async function standaloneWorkspace(dir: string, o: { name: string; files: Record<string, string>; rawBytes?: number; userAppsDir?: string }): Promise<StandaloneWorkspace> {
  const inputs = await writeStickInputs(dir, o.rawBytes);
  const scripts = join(dir, `${o.name}-scripts`);
  await mkdir(scripts, { recursive: true });
  for (const [name, text] of Object.entries(o.files)) await writeFile(join(scripts, name), text, { mode: name.endsWith('.sh') ? 0o755 : 0o644 });
  const profile = `${o.name}.yaml`;
  await profileCli(dir, 'new', profile, '--mode', 'standalone', '--name', `Stick e2e ${o.name}`, '--user', 'tech');
  await profileCli(dir, 'import', profile, '--installer', scripts, '--os-image', `images/${OS_IMAGE_NAME}`, '--user-apps', o.userAppsDir ?? inputs.appsDir);
  return { ...inputs, dir, profile };
}
