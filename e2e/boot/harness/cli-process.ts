import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The whole command, for failure messages. */
  command: string;
}

/**
 * `emt-media <args>` as a user runs it from a checkout (`npx tsx app/cli.ts`): a child process of
 * its own, with its own argument parsing, exit code and output streams. `cwd` is where relative
 * paths in `args` start. The process is killed at the timeout, so a hung command fails the test
 * instead of holding the suite.
 */
export function runCli(args: readonly string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliRun> {
  const tsx = join(REPO, 'node_modules', '.bin', 'tsx');
  const argv = [join(REPO, 'app', 'cli.ts'), ...args];
  return new Promise((settle, reject) => {
    const child = spawn(tsx, argv, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: opts.timeoutMs ?? 600_000, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => settle({ code, stdout, stderr, command: `emt-media ${args.join(' ')}` }));
  });
}

/** The JSON document a `--json` command printed, or an error that shows what it printed instead. */
export function jsonOf<T>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`${run.command} exited ${run.code} without a JSON document.\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  }
}
