import { spawn } from 'node:child_process';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { constants } from 'node:fs';
import { access, chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { SafetyFinding } from '../contract/drives';
import type { ProgressEvent } from '../contract/jobs';
import { EmtError, toEmtError } from '../errors';
import { WriterEventSchema, type EjectJob, type InspectJob, type RestoreJob, type Source, type VerifyJob, type WriteJob, type WriterEvent } from '../writer/protocol';
import { launchPlan, writerCommand, type WriterLaunch } from './elevate';

/**
 * The unprivileged end of the writer. How the bytes reach the privileged writer: it cannot be
 * handed a live ByteSource, and pkexec closes every descriptor but stdio, so this side opens a
 * socket in a private 0700 directory (a named pipe on Windows), sends its path and a one-time
 * token in the job, and streams the source through it once; the writer fans each block out to
 * every stick. Any composed ByteSource works without a temporary image, it is read here with the
 * user's rights, and a socket write that waits for the slowest stick is the backpressure. A plain
 * file is the exception: the writer reads it itself, opening it with the user's ids (not root's),
 * which spares the copy through the socket. Control runs over the writer's stdio.
 */

type FileSource = Extract<Source, { kind: 'file' }>;
type MapSourceRequest = Omit<Extract<Source, { kind: 'map' }>, 'socket' | 'token'>;
/**
 * A write or verify job; without `source` the bytes come through the data socket from `data`.
 * With a map source, `data` carries only the word that the app's checks passed.
 */
export type TargetsJobRequest = (Omit<WriteJob, 'source'> | Omit<VerifyJob, 'source'>) & { source?: FileSource | MapSourceRequest };
export type WriterOutcome = Extract<WriterEvent, { type: 'write-result' | 'restore-result' | 'eject-result' | 'inspect-result' | 'error' }>;
/** Jobs that take no bytes from this side. */
type ByteFreeJob = RestoreJob | EjectJob | InspectJob;

export interface RunWriterJobOptions {
  /**
   * The job, or the job once it is ready (a write whose source map is still being made while the
   * writer starts and asks for rights): it is sent when the writer is ready and it is.
   */
  job: TargetsJobRequest | ByteFreeJob | Promise<TargetsJobRequest>;
  /** The bytes to send (write and verify jobs); called once, when the writer connects. */
  data?: (signal: AbortSignal) => AsyncIterable<Buffer>;
  launch?: WriterLaunch;
  /** A terminal is attached (CLI): pkexec/sudo may prompt there. */
  isInteractive?: boolean;
  /** Where EMT_WRITER is looked up (the CLI passes its own environment). */
  env?: NodeJS.ProcessEnv;
  onProgress?: (e: ProgressEvent) => void;
  onFindings?: (device: string, findings: SafetyFinding[]) => void;
  onReady?: (info: { pid: number; isRoot: boolean }) => void;
  signal?: AbortSignal;
  /** The writer is declared dead after this long without a line (its heartbeat is 1 s). */
  silenceMs?: number;
}

async function hasProgram(name: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && (await access(join(dir, name), constants.X_OK).then(() => true, () => false))) return true;
  }
  return false;
}

function pipePath(dir: string, name: string): string {
  return process.platform === 'win32' ? `\\\\.\\pipe\\${basename(dir)}-${name}` : join(dir, `${name}.sock`);
}

async function listen(path: string, onConnection: (s: Socket) => void): Promise<Server> {
  const server = createServer(onConnection);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(path, resolve));
  return server;
}

async function defaultLaunch(dir: string, ipcPath: string, isInteractive: boolean, env: NodeJS.ProcessEnv): Promise<WriterLaunch> {
  const isRoot = process.getuid?.() === 0;
  let askpass: string | undefined;
  if (process.platform === 'darwin' && !isRoot && !isInteractive) {
    askpass = join(dir, 'askpass');
    const prompt = 'EMT Media Builder needs an administrator password to write the USB stick.';
    await writeFile(askpass, `#!/bin/sh\nexec /usr/bin/osascript -e 'text returned of (display dialog "${prompt}" default answer "" with hidden answer with title "EMT Media Builder")'\n`);
    await chmod(askpass, 0o700);
  }
  const hasPkexec = process.platform === 'linux' && !isRoot && (await hasProgram('pkexec'));
  return launchPlan(writerCommand(env), { platform: process.platform, isRoot, isInteractive, hasPkexec, askpass, ipcPath });
}

/**
 * The writer opens an image file as the user pkexec or sudo names (PKEXEC_UID, SUDO_UID). When we
 * are root already and start it directly, those names only tell who ran `sudo emt-media`: that
 * person asked for root's rights, and the writer gains nothing over us, so they are dropped.
 */
function writerEnv(launch: WriterLaunch): NodeJS.ProcessEnv {
  if (launch.via !== 'direct') return process.env;
  const { PKEXEC_UID: _p, SUDO_UID: _u, SUDO_GID: _g, ...env } = process.env;
  return env;
}

/** Read the writer's token line from a data connection; anything else closes it. */
function acceptToken(sock: Socket, token: string): Promise<boolean> {
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      got = Buffer.concat([got, d]);
      const nl = got.indexOf(10);
      if (nl < 0 && got.length < 256) return;
      sock.off('data', onData);
      const line = got.subarray(0, Math.max(nl, 0));
      resolve(nl >= 0 && line.length === token.length && timingSafeEqual(line, Buffer.from(token)));
    };
    sock.on('data', onData).once('close', () => resolve(false));
  });
}

function drained(sock: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      sock.off('drain', done).off('close', done);
      resolve();
    };
    sock.on('drain', done).on('close', done);
  });
}

async function pump(sock: Socket, data: RunWriterJobOptions['data'], onSourceError: (e: EmtError) => void): Promise<void> {
  const ac = new AbortController();
  sock.once('close', () => ac.abort());
  sock.on('error', () => ac.abort());
  try {
    for await (const chunk of data!(ac.signal)) {
      if (sock.destroyed) return;
      if (!sock.write(chunk)) await drained(sock);
    }
    sock.end();
  } catch (e) {
    // The writer hanging up (cancel, every stick failed) ends the pump; anything else is the source's fault.
    if (!ac.signal.aborted) onSourceError(toEmtError(e, 'Reading the image failed'));
    sock.destroy();
  }
}

function beforeReady(via: WriterLaunch['via'], code: number | null, stderr: string): EmtError {
  const details = { exitCode: code, stderr: stderr.slice(-2000) };
  const cancelled = (via === 'pkexec' && code === 126) || (via === 'uac' && /cancell?ed by the user/i.test(stderr));
  if (cancelled) return new EmtError('E_AUTH_CANCELLED', 'The authorization was cancelled, so nothing was written.', 'Start again and enter the administrator password when asked.', { details });
  if (via !== 'direct') {
    return new EmtError('E_AUTH_FAILED', 'The system did not grant the writer administrator rights.', 'Check that you may administer this computer and that an authentication agent runs, or run emt-media as root.', { details });
  }
  return new EmtError('E_WRITER_CRASHED', `The writer program could not start (exit code ${code}).`, 'Reinstall EMT Media Builder; if it persists, report it with this message.', { details });
}

/** Start the writer, give it one job, feed it the source, and return how the job ended. */
export async function runWriterJob(o: RunWriterJobOptions): Promise<WriterOutcome> {
  // Handled when the writer is ready; until then a failure must not count as unhandled.
  if (o.job instanceof Promise) o.job.catch(() => {});
  const dir = await mkdtemp(join(tmpdir(), 'emt-writer-'));
  const token = randomBytes(24).toString('hex');
  const servers: Server[] = [];
  let sourceError: EmtError | null = null;
  try {
    let isServed = false;
    const dataPath = pipePath(dir, 'data');
    // A job still being made is a write or a verify: its source may be the socket.
    const known = o.job instanceof Promise ? null : o.job;
    if (!known || ((known.type === 'write' || known.type === 'verify') && (!known.source || known.source.kind === 'map'))) {
      servers.push(
        await listen(dataPath, (sock) => {
          void acceptToken(sock, token).then((ok) => {
            if (!ok || isServed) return void sock.destroy();
            isServed = true;
            return pump(sock, o.data, (e) => (sourceError = e));
          });
        }),
      );
    }
    const ipcPath = pipePath(dir, 'ipc');
    const launch = o.launch ?? (await defaultLaunch(dir, ipcPath, o.isInteractive ?? false, o.env ?? process.env));
    let control: Promise<Socket> | null = null;
    if (launch.ipc) {
      control = new Promise((resolve) => {
        void listen(ipcPath, resolve).then((s) => servers.push(s));
      });
    }
    const child = spawn(launch.command, launch.args, { stdio: [launch.ipc ? 'ignore' : 'pipe', launch.ipc ? 'ignore' : 'pipe', 'pipe'], env: launch.env ?? writerEnv(launch) });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-8000)));
    const outcome = await talk(o, launch, child, control, dataPath, token, () => stderr);
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('close', () => {
        clearTimeout(t);
        resolve();
      });
    });
    return withSourceError(outcome, sourceError);
  } finally {
    for (const s of servers) s.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function talk(
  o: RunWriterJobOptions,
  launch: WriterLaunch,
  child: ReturnType<typeof spawn>,
  control: Promise<Socket> | null,
  dataPath: string,
  token: string,
  stderr: () => string,
): Promise<WriterOutcome> {
  return new Promise((resolve) => {
    let isReady = false;
    let lastHeard = Date.now();
    let input: Writable | null = null;
    let done: WriterOutcome | null = null;
    const finish = (e: WriterOutcome) => {
      if (done) return;
      done = e;
      clearInterval(timer);
      o.signal?.removeEventListener('abort', onAbort);
      resolve(e);
    };
    const send = (msg: unknown) => input?.writable && input.write(`${JSON.stringify(msg)}\n`);
    const onAbort = () => (isReady ? send({ type: 'cancel' }) : child.kill('SIGTERM'));
    const timer = setInterval(() => {
      if (isReady) send({ type: 'ping' });
      if (Date.now() - lastHeard > (o.silenceMs ?? 15_000) && isReady) {
        child.kill('SIGKILL');
        finish({ type: 'error', error: new EmtError('E_WRITER_CRASHED', 'The writer stopped responding.', 'Unplug and check the sticks, restore them if needed, and write again.').toJSON() });
      }
    }, 1000);
    o.signal?.addEventListener('abort', onAbort, { once: true });

    const attach = (out: Readable, inp: Writable) => {
      input = inp;
      inp.on('error', () => {});
      createInterface({ input: out }).on('line', (line) => {
        lastHeard = Date.now();
        let parsed;
        try {
          parsed = WriterEventSchema.safeParse(JSON.parse(line));
        } catch {
          return;
        }
        if (!parsed.success) return;
        const e = parsed.data;
        if (e.type === 'ready') {
          isReady = true;
          o.onReady?.({ pid: e.pid, isRoot: e.isRoot });
          const channel = { socket: dataPath, token };
          Promise.resolve(o.job).then(
            (job) => {
              const own = job.type === 'write' || job.type === 'verify' ? job.source : undefined;
              const source = job.type === 'write' || job.type === 'verify' ? { source: !own ? { kind: 'socket', ...channel } : own.kind === 'map' ? { ...own, ...channel } : own } : {};
              send({ ...job, ...source });
              if (o.signal?.aborted) send({ type: 'cancel' });
            },
            (e: unknown) => {
              // Nothing was sent: the writer ends when its input does.
              input?.end();
              finish({ type: 'error', error: toEmtError(e, 'Preparing the write failed').toJSON() });
            },
          );
        } else if (e.type === 'progress') o.onProgress?.(e.event);
        else if (e.type === 'findings') o.onFindings?.(e.device, e.findings);
        else if (e.type !== 'heartbeat') finish(e);
      });
    };
    if (control) void control.then((s) => attach(s, s));
    else attach(child.stdout!, child.stdin!);

    child.once('error', (err) => finish({ type: 'error', error: beforeReady(launch.via, 127, err.message).toJSON() }));
    child.once('close', (code, sig) => {
      // Under UAC the process we started is PowerShell; give the writer's last lines on the pipe a moment.
      if (launch.ipc) setTimeout(() => ended(code, sig), 1000);
      else ended(code, sig);
    });
    const ended = (code: number | null, sig: NodeJS.Signals | null) => {
      if (!isReady) return finish({ type: 'error', error: beforeReady(launch.via, code, stderr()).toJSON() });
      const how = sig ? `was killed (${sig})` : `exited with code ${code}`;
      finish({
        type: 'error',
        error: new EmtError('E_WRITER_CRASHED', `The writer ${how} before it finished.`, 'Check the sticks (restore them if needed) and write again; if it repeats, report it with the log.', {
          details: { exitCode: code, signal: sig, stderr: stderr().slice(-2000) },
        }).toJSON(),
      });
    };
  });
}

/** A source that failed shows as "data ended" in the writer; tell the user the real cause. */
function withSourceError(outcome: WriterOutcome, sourceError: EmtError | null): WriterOutcome {
  if (!sourceError || outcome.type !== 'write-result') return outcome;
  const error = sourceError.toJSON();
  const targets = outcome.result.targets.map((t) => (t.error?.code === 'E_SOURCE_ENDED' ? { ...t, error } : t));
  return { ...outcome, result: { ...outcome.result, targets } };
}
