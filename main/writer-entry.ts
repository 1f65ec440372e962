import type { SpawnSyncOptions, SpawnSyncReturns } from 'node:child_process';
import { join } from 'node:path';
import { WRITER_ENTRY_FLAG } from '../app/flash/elevate';

/**
 * The packaged app started as the writer (`<app> --no-sandbox --emt-writer [writer args]`): how an
 * AppImage writes sticks (app/flash/elevate.ts `appImageWriterCommand`). Root runs the AppImage
 * file, which mounts itself and starts Electron's main process with these arguments; before any
 * window, main hands over to the bundled writer on the same runtime in plain Node mode, and exits
 * with its exit code. The writer inherits stdio, so the client talks to it as to any writer.
 *
 * Why a child and not the writer inside main: Electron's main script runs before the platform
 * and its display are set up, which is exactly what a root process started by pkexec has none of;
 * blocking here until the writer ends means they are never needed.
 */

/** The writer's arguments when this process was started as the writer, else null. */
export function writerEntryArgs(argv: readonly string[]): string[] | null {
  const at = argv.indexOf(WRITER_ENTRY_FLAG);
  return at < 0 ? null : argv.slice(at + 1);
}

export interface WriterEntryDeps {
  /** Electron's executable (process.execPath): run in Node mode, it is the writer's runtime. */
  execPath: string;
  /** The folder of the main bundle, where `writer.cjs` lies beside `main.cjs`. */
  bundleDir: string;
  env: NodeJS.ProcessEnv;
  spawnSync(command: string, args: readonly string[], options: SpawnSyncOptions): Pick<SpawnSyncReturns<Buffer>, 'status' | 'signal' | 'error'>;
}

/** Runs the writer to its end; returns the exit code for this process. */
export function runWriterEntry(args: readonly string[], deps: WriterEntryDeps): number {
  const r = deps.spawnSync(deps.execPath, [join(deps.bundleDir, 'writer.cjs'), ...args], {
    stdio: 'inherit',
    env: { ...deps.env, ELECTRON_RUN_AS_NODE: '1' },
  });
  if (r.error) {
    process.stderr.write(`emt-media-writer: the writer could not start: ${r.error.message}\n`);
    return 127;
  }
  // Killed by a signal: it did not end well, which is all the client needs to know.
  return r.status ?? 1;
}
