import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EmtError } from '../errors';

/** How to run the writer program without any elevation: a program and its arguments. */
export interface WriterCommand {
  command: string;
  args: string[];
}

/** How to start it for real. `ipc`: the writer gets no stdio and must connect back (`--ipc`). */
export interface WriterLaunch extends WriterCommand {
  via: 'direct' | 'pkexec' | 'sudo' | 'uac';
  env?: NodeJS.ProcessEnv;
  ipc?: boolean;
}

/**
 * The argument that makes the packaged app run the writer instead of its window. An AppImage is
 * FUSE-mounted for the user who started it, and root cannot read that mount (FUSE without
 * allow_other), so the writer cannot be started from inside it: the AppImage file itself is run as
 * root with this argument and mounts itself for root (main/writer-entry.ts).
 */
export const WRITER_ENTRY_FLAG = '--emt-writer';

/**
 * The AppImage run as the writer. `--no-sandbox` comes first: Electron refuses to start as root
 * without it (the writer never opens a window), and the AppImage's AppRun adds it by itself only
 * sometimes; anything before the flag is the runtime's, the writer's arguments follow it.
 */
export function appImageWriterCommand(appImage: string): WriterCommand {
  return { command: appImage, args: ['--no-sandbox', WRITER_ENTRY_FLAG] };
}

function thisFile(): string {
  // In the CommonJS bundle (dist/) import.meta is empty and __filename is the bundle.
  return typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
}

/**
 * The writer program. `EMT_WRITER_APPIMAGE` (set by main in an AppImage) names the AppImage to
 * run as the writer. `EMT_WRITER` names one (a .ts/.js/.cjs file, or an executable such as the
 * packaged launcher `resources/emt-media-writer`). Otherwise: in a checkout, `app/writer/main.ts`
 * through tsx; in a bundle, `writer.cjs` beside the bundle.
 */
export function writerCommand(env: NodeJS.ProcessEnv = process.env): WriterCommand {
  if (env.EMT_WRITER_APPIMAGE) return appImageWriterCommand(env.EMT_WRITER_APPIMAGE);
  const here = thisFile();
  const path = env.EMT_WRITER || (here.endsWith('.ts') ? join(dirname(here), '..', 'writer', 'main.ts') : join(dirname(here), 'writer.cjs'));
  if (path.endsWith('.ts')) {
    const tsx = pathToFileURL(createRequire(here).resolve('tsx')).href;
    return { command: process.execPath, args: ['--import', tsx, path] };
  }
  if (/\.[cm]?js$/.test(path)) return { command: process.execPath, args: [path] };
  return { command: path, args: [] };
}

export interface LaunchContext {
  platform: NodeJS.Platform;
  isRoot: boolean;
  /** A terminal is attached: pkexec and sudo may ask there instead of in a dialog. */
  isInteractive: boolean;
  hasPkexec: boolean;
  /** macOS: a script that asks for the password in a dialog (SUDO_ASKPASS). */
  askpass?: string;
  /** Windows: the pipe an elevated writer connects back to. */
  ipcPath?: string;
}

/** Windows command-line quoting (CommandLineToArgvW rules), for the one place a string is unavoidable. */
export function quoteWindowsArg(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  return `"${arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1')}"`;
}

/**
 * The least privilege that works: nothing when already root; pkexec (polkit, with the policy in
 * assets/linux) on Linux; sudo with a graphical askpass on macOS; UAC on Windows. Always an
 * argument vector — except under UAC, where Start-Process takes one command line, built with
 * Windows' quoting rules from our own paths only.
 */
export function launchPlan(writer: WriterCommand, ctx: LaunchContext): WriterLaunch {
  if (ctx.isRoot) return { ...writer, via: 'direct' };
  if (ctx.platform === 'linux') {
    if (!ctx.hasPkexec) {
      throw new EmtError('E_NO_ELEVATION', 'Writing sticks needs administrator rights, and polkit (pkexec) is not installed.', 'Install polkit (the policykit-1 or polkit package), or run emt-media as root.');
    }
    // --disable-internal-agent: without a desktop agent, fail fast rather than wait on a hidden terminal prompt.
    return { command: 'pkexec', args: [...(ctx.isInteractive ? [] : ['--disable-internal-agent']), writer.command, ...writer.args], via: 'pkexec' };
  }
  if (ctx.platform === 'darwin') {
    if (ctx.isInteractive || !ctx.askpass) return { command: 'sudo', args: ['--', writer.command, ...writer.args], via: 'sudo' };
    return { command: 'sudo', args: ['--askpass', '--', writer.command, ...writer.args], via: 'sudo', env: { ...process.env, SUDO_ASKPASS: ctx.askpass } };
  }
  if (ctx.platform === 'win32') {
    const ps = (s: string) => `'${s.replace(/'/g, "''")}'`;
    const line = [...writer.args, '--ipc', ctx.ipcPath ?? ''].map(quoteWindowsArg).join(' ');
    const script = `Start-Process -FilePath ${ps(writer.command)} -ArgumentList ${ps(line)} -Verb RunAs -WindowStyle Hidden -Wait`;
    return { command: 'powershell.exe', args: ['-NoProfile', '-NonInteractive', '-Command', script], via: 'uac', ipc: true };
  }
  throw new EmtError('E_UNSUPPORTED', `Writing sticks is not supported on ${ctx.platform}.`, 'Use Linux, macOS or Windows.');
}
