/**
 * emt-media-writer: the privileged writer, a plain Node program (no Electron). It is started by
 * writer-client.ts with the least privilege that works and does one job — write, verify,
 * restore, eject or inspect — then exits. It speaks newline-delimited JSON (protocol.ts) over its stdio, or over the
 * socket named by `--ipc` where an elevated process gets no stdio (Windows UAC). It sends a
 * heartbeat every second and stops when its parent goes away: end of input, no ping for
 * `--heartbeat-timeout-ms` (10 s), or SIGHUP/SIGTERM/SIGINT. A write that stops early wipes the
 * start of its sticks, so they never boot half-written.
 */
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { Readable, Writable } from 'node:stream';
import type { SafetyFinding } from '../contract/drives';
import type { ProgressEvent } from '../contract/jobs';
import { EmtError, toEmtError } from '../errors';
import { PROTOCOL_VERSION, RequestSchema, type Job, type WriterEvent } from './protocol';
import { runEjectJob } from './eject-job';
import { runInspectJob } from './inspect-job';
import { runRestoreJob } from './restore-job';
import { runTargetsJob } from './targets-job';

async function channel(ipc: string | undefined): Promise<{ input: Readable; output: Writable }> {
  if (!ipc) return { input: process.stdin, output: process.stdout };
  const socket = connect(ipc);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return { input: socket, output: socket };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { ipc: { type: 'string' }, 'heartbeat-timeout-ms': { type: 'string' } }, strict: true });
  const heartbeatTimeout = Number(values['heartbeat-timeout-ms'] ?? 10_000);
  const { input, output } = await channel(values.ipc);
  let isOutputOpen = true;
  output.on('error', () => {
    isOutputOpen = false;
    stop();
  });
  const send = (e: WriterEvent) => {
    if (isOutputOpen) output.write(`${JSON.stringify(e)}\n`);
  };
  const exit = (code: number) => {
    clearInterval(heartbeat);
    if (isOutputOpen) output.write('', () => process.exit(code));
    else process.exit(code);
  };

  const abort = new AbortController();
  let job: Promise<void> | null = null;
  let lastHeard = Date.now();
  const stop = () => {
    abort.abort();
    if (!job) exit(0);
  };
  const heartbeat = setInterval(() => {
    send({ type: 'heartbeat' });
    if (Date.now() - lastHeard > heartbeatTimeout) stop();
  }, 1000);
  for (const sig of ['SIGHUP', 'SIGTERM', 'SIGINT'] as const) process.on(sig, stop);

  const run = async (j: Job) => {
    const io = {
      progress: (event: ProgressEvent) => send({ type: 'progress', event }),
      findings: (device: string, findings: SafetyFinding[]) => send({ type: 'findings', device, findings }),
      signal: abort.signal,
    };
    try {
      if (j.type === 'restore') send({ type: 'restore-result', result: await runRestoreJob(j, io) });
      else if (j.type === 'eject') send({ type: 'eject-result', result: await runEjectJob(j, io) });
      else if (j.type === 'inspect') send({ type: 'inspect-result', result: await runInspectJob(j, io) });
      else send({ type: 'write-result', result: await runTargetsJob(j, io) });
      exit(0);
    } catch (e) {
      send({ type: 'error', error: toEmtError(e, 'The writer failed').toJSON() });
      exit(1);
    }
  };

  send({ type: 'ready', version: PROTOCOL_VERSION, pid: process.pid, isRoot: process.getuid?.() === 0 });
  const lines = createInterface({ input });
  lines.on('close', stop);
  lines.on('line', (line) => {
    lastHeard = Date.now();
    let json: unknown = null;
    try {
      json = JSON.parse(line);
    } catch {
      // Not JSON at all: reported below like any other malformed request.
    }
    const parsed = RequestSchema.safeParse(json);
    if (!parsed.success) {
      send({ type: 'error', error: new EmtError('E_WRITER_PROTOCOL', `The writer got a request it does not understand: ${parsed.error.issues[0]?.message ?? 'invalid'}.`, 'This is a bug in EMT Media Builder. Save the log and report it.').toJSON() });
      if (!job) exit(2);
      return;
    }
    const req = parsed.data;
    if (req.type === 'ping') return;
    if (req.type === 'cancel') return abort.abort();
    if (job) return;
    job = run(req);
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`emt-media-writer: ${String((e as Error)?.stack ?? e)}\n`);
  process.exit(1);
});
