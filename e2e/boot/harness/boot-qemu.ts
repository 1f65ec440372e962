import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import { nicId, OVMF_SECBOOT_VARS, qemuArgs, runFiles, type BootMode, type ExtraDrive, type Nic } from './qemu-args';
import { Qmp } from './qmp';
import { MarkerMatcher, SerialCleaner } from './serial';

/**
 * Boots media or a kernel in QEMU (software emulation) and watches the serial console: ordered
 * markers, fatal patterns, a hard timeout. QEMU always ends with the call, also when the test
 * fails: it runs in a process group of its own under coreutils `timeout`, so that even a test
 * process that dies cannot leave it running past the hard limit. See e2e/boot/harness/README.md.
 */

export type { BootMode, ExtraDrive, Nic };

export interface QemuControl {
  /** Plugs (true) or unplugs (false) a NIC's cable by its device id (nic0, nic1, ... by default). */
  setLink(id: string, isUp: boolean): Promise<void>;
  /** Any other QMP command. */
  qmp(command: string, args?: Record<string, unknown>): Promise<unknown>;
}

export interface BootOptions {
  /** Names the log: `.cache/boot-logs/<name>.log`. */
  name: string;
  mode: BootMode;
  media?: string;
  kernel?: string;
  /** Several initrds are concatenated (each padded to 4 bytes), as a boot loader loads them. */
  initrd?: string | readonly string[];
  append?: string;
  /** Must appear on the serial console in this order. */
  markers: readonly string[];
  /** More reasons to stop at once, besides the built-in ones (serial.ts FATAL_PATTERNS). */
  failOn?: readonly (string | RegExp)[];
  memoryMiB?: number;
  cpus?: number;
  drives?: readonly ExtraDrive[];
  nics?: readonly Nic[];
  /** Hard limit for the whole boot (default 240 s). */
  timeoutMs?: number;
  /** After the last marker, how long QEMU may take to power off by itself before it is stopped (default 10 s). */
  exitGraceMs?: number;
  /** Called once per matched marker, in order (e.g. to unplug a cable at a given point). */
  onMarker?: (marker: string, control: QemuControl) => void | Promise<void>;
  signal?: AbortSignal;
}

export interface BootFailure {
  kind: 'fatal-pattern' | 'timeout' | 'exited' | 'aborted' | 'callback';
  detail: string;
}

export interface BootResult {
  name: string;
  /** Every marker appeared in order and nothing fatal did. */
  isBooted: boolean;
  matched: string[];
  missing: string[];
  failure: BootFailure | null;
  /** The serial console without escapes and carriage returns. */
  log: string;
  logPath: string;
  durationMs: number;
  /** QEMU's exit code; null when it had to be stopped. */
  exitCode: number | null;
  argv: string[];
  /** QEMU's process group (ended when bootQemu returns) and private folder (removed by then). */
  pgid: number | null;
  runDir: string;
}

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const BOOT_LOG_DIR = join(REPO, '.cache', 'boot-logs');

/** Process groups of QEMUs still running, ended if this process exits before they do. */
const live = new Set<number>();
process.once('exit', () => {
  for (const pgid of live) killGroup(pgid, 'SIGKILL');
});

function killGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // Already gone.
  }
}

async function concatInitrds(files: readonly string[], out: string): Promise<void> {
  const fh = await open(out, 'w');
  try {
    for (const f of files) {
      const data = await readFile(f);
      await fh.write(data);
      // The kernel finds an uncompressed cpio segment only at a 4-byte boundary.
      const pad = (4 - (data.length % 4)) % 4;
      if (pad) await fh.write(Buffer.alloc(pad));
    }
  } finally {
    await fh.close();
  }
}

export async function bootQemu(opts: BootOptions): Promise<BootResult> {
  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'emt-qemu-'));
  const files = runFiles(dir);
  const nics = opts.nics ?? [];
  await mkdir(BOOT_LOG_DIR, { recursive: true });
  const logPath = join(BOOT_LOG_DIR, `${opts.name.replace(/[^A-Za-z0-9._-]+/g, '_')}.log`);
  const logStream: WriteStream = createWriteStream(logPath);
  const matcher = new MarkerMatcher(opts.markers, opts.failOn ?? []);
  const cleaner = new SerialCleaner();
  let child: ChildProcess | null = null;
  // Resolves on 'close' (exit and stdio drained): the last serial bytes come in before it.
  let closed: Promise<void> | null = null;
  // A holder, not a variable: TypeScript cannot see the assignments made inside callbacks.
  const session: { qmp: Qmp | null } = { qmp: null };
  let argv: string[];
  let failure: BootFailure | null;
  let exitCode: number | null = null;
  try {
    let initrd: string | undefined;
    if (typeof opts.initrd === 'string') initrd = opts.initrd;
    else if (opts.initrd && opts.initrd.length > 0) {
      await concatInitrds(opts.initrd, files.initrd);
      initrd = files.initrd;
    }
    if (opts.mode.startsWith('uefi-secureboot')) await copyFile(OVMF_SECBOOT_VARS, files.varsCopy);
    const isPaused = nics.some((n) => n.isLinkUp === false);
    const args = qemuArgs({
      mode: opts.mode,
      media: opts.media,
      kernel: opts.kernel,
      initrd,
      append: opts.append,
      memoryMiB: opts.memoryMiB ?? 1024,
      cpus: opts.cpus ?? 1,
      drives: opts.drives ?? [],
      nics,
      varsCopy: files.varsCopy,
      qmpSocket: files.qmpSocket,
      isPaused,
    });
    const timeoutMs = opts.timeoutMs ?? 240_000;
    // The outer limit outlives ours so that our timeout, with its log, is the one that normally fires.
    argv = ['timeout', '--kill-after=5', String(Math.ceil(timeoutMs / 1000) + 30), 'qemu-system-x86_64', ...args];
    const proc = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: dir } });
    child = proc;
    closed = new Promise<void>((r) => proc.once('close', () => r()));
    if (proc.pid) live.add(proc.pid);
    let stderr = '';
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (d: string) => {
      stderr += d;
    });

    const control: QemuControl = {
      setLink: async (id, isUp) => (session.qmp ??= await Qmp.connect(files.qmpSocket)).setLink(id, isUp),
      qmp: async (command, args2) => (session.qmp ??= await Qmp.connect(files.qmpSocket)).execute(command, args2),
    };

    failure = await new Promise<BootFailure | null>((settle) => {
      let isDone = false;
      let callbacks = Promise.resolve();
      let notified = 0;
      const timers: NodeJS.Timeout[] = [];
      const finish = (f: BootFailure | null) => {
        if (isDone) return;
        isDone = true;
        for (const t of timers) clearTimeout(t);
        opts.signal?.removeEventListener('abort', onAbort);
        settle(f);
      };
      const onAbort = () => finish({ kind: 'aborted', detail: 'the caller aborted the boot' });
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener('abort', onAbort);
      timers.push(setTimeout(() => finish({ kind: 'timeout', detail: `no ${opts.markers[matcher.matched.length] ?? 'exit'} within ${timeoutMs / 1000} s` }), timeoutMs));

      const decoder = new StringDecoder('utf8');
      const take = (text: string) => {
        if (!text) return;
        logStream.write(text);
        if (process.env.EMT_BOOT_ECHO) process.stderr.write(text);
        const state = matcher.push(text);
        for (; notified < state.matched.length; notified++) {
          const marker = state.matched[notified]!;
          if (opts.onMarker) {
            callbacks = callbacks
              .then(() => opts.onMarker!(marker, control))
              .catch((e: unknown) => finish({ kind: 'callback', detail: `onMarker(${marker}) failed: ${(e as Error).message}` }));
          }
        }
        if (state.fatal) finish({ kind: 'fatal-pattern', detail: `"${state.fatal}" on the serial console` });
        else if (state.isComplete) {
          // Give the guest time to power off by itself, then stop it.
          timers.push(setTimeout(() => void callbacks.then(() => finish(null)), opts.exitGraceMs ?? 10_000));
        }
      };
      proc.stdout!.on('data', (chunk: Buffer) => take(cleaner.push(decoder.write(chunk))));
      proc.on('error', (e) => finish({ kind: 'exited', detail: `QEMU could not start: ${e.message}` }));
      proc.on('close', (code) => {
        exitCode = code;
        take(cleaner.push(decoder.end()) + cleaner.flush());
        if (live.has(proc.pid ?? -1)) live.delete(proc.pid!);
        void callbacks.then(() => {
          if (matcher.isComplete && !matcher.fatalSeen) finish(null);
          else if (!matcher.fatalSeen) finish({ kind: 'exited', detail: `QEMU exited (code ${code}) before ${opts.markers[matcher.matched.length]}${stderr ? `: ${stderr.trim()}` : ''}` });
          else finish({ kind: 'fatal-pattern', detail: `"${matcher.fatalSeen}" on the serial console` });
        });
      });
      if (isPaused) {
        void (async () => {
          try {
            for (const [i, n] of nics.entries()) if (n.isLinkUp === false) await control.setLink(nicId(n, i), false);
            await control.qmp('cont');
          } catch (e) {
            finish({ kind: 'callback', detail: `could not prepare the NICs over QMP: ${(e as Error).message}` });
          }
        })();
      }
    });
  } finally {
    session.qmp?.close();
    if (child?.pid && closed) {
      if (child.exitCode === null && child.signalCode === null) {
        killGroup(child.pid, 'SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const isGone = await Promise.race([closed.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 3000)))]);
        clearTimeout(timer);
        if (!isGone) killGroup(child.pid, 'SIGKILL');
      }
      await closed;
    }
    if (child?.pid) live.delete(child.pid);
    await new Promise<void>((r) => logStream.end(() => r()));
    await rm(dir, { recursive: true, force: true });
  }
  const durationMs = Math.round(performance.now() - started);
  return {
    name: opts.name,
    isBooted: failure === null && matcher.isComplete,
    matched: [...matcher.matched],
    missing: opts.markers.slice(matcher.matched.length),
    failure,
    log: matcher.log,
    logPath,
    durationMs,
    exitCode: failure === null ? exitCode : null,
    argv,
    pgid: child?.pid ?? null,
    runDir: dir,
  };
}

/** Throws a readable error (what failed, the next missing marker, the end of the log) unless the boot succeeded. */
export function assertBooted(r: BootResult): void {
  if (r.isBooted) return;
  const tail = r.log.split('\n').slice(-40).join('\n');
  throw new Error(
    `boot "${r.name}" failed: ${r.failure ? `${r.failure.kind}: ${r.failure.detail}` : 'not every marker appeared'}\n` +
      `matched: ${JSON.stringify(r.matched)}\nmissing: ${JSON.stringify(r.missing)}\nlog: ${r.logPath}\n--- last lines ---\n${tail}`,
  );
}
