import type { CliIo } from '../../cli/command';
import type { ProgressEvent } from '../../contract/jobs';

/** A CliIo that records what a command printed, for tests that run `main()` in-process. */
export function recordingIo(env: NodeJS.ProcessEnv, cwd: string): { io: CliIo; out: string[]; err: string[]; progress: ProgressEvent[]; text: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  const progress: ProgressEvent[] = [];
  return {
    io: { out: (l) => out.push(l), err: (l) => err.push(l), progress: (e) => progress.push(e), askSecret: async () => null, readStdin: async () => '', env, cwd },
    out,
    err,
    progress,
    text: () => [...out, ...err].join('\n'),
  };
}
