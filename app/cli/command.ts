import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EmtError } from '../errors';
import type { ProgressEvent } from '../contract/jobs';

/** What a command may use of the outside world; tests pass their own. */
export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Progress line on a terminal; a no-op when stderr is not a TTY (quiet in pipes and CI). */
  progress: (event: ProgressEvent) => void;
  /** Ask for a secret without echo (the standalone password); null when not interactive. */
  askSecret: (prompt: string) => Promise<string | null>;
  readStdin: () => Promise<string>;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Returns the exit code. Throw EmtError for failures the user can fix. */
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export function parse(cmd: Command, argv: string[]): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: cmd.options, allowPositionals: true, strict: true });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (e) {
    throw new EmtError('E_USAGE', `${(e as Error).message}.`, `Usage: emt-media ${cmd.usage}`);
  }
}

export function str(args: ParsedArgs, key: string): string | undefined {
  const v = args.values[key];
  return typeof v === 'string' ? v : undefined;
}

export function strs(args: ParsedArgs, key: string): string[] {
  const v = args.values[key];
  return Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : [];
}

export function flag(args: ParsedArgs, key: string): boolean {
  return args.values[key] === true;
}

export function required(args: ParsedArgs, key: string, cmd: Command): string {
  const v = str(args, key);
  if (!v) throw new EmtError('E_USAGE', `--${key} is required.`, `Usage: emt-media ${cmd.usage}`);
  return v;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
