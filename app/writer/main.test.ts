import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundleWriter } from './bundle';
import type { WriterEvent } from './protocol';

// The writer program itself, spoken to over its stdio as the client does.
mkdirSync(join(process.cwd(), '.cache'), { recursive: true });
const dir = mkdtempSync(join(process.cwd(), '.cache', 'writer-main-test-'));
let writer = '';
const children: Array<{ pid?: number; kill: (s?: NodeJS.Signals) => boolean }> = [];
beforeAll(async () => {
  writer = await bundleWriter(join(dir, 'writer.cjs'));
});
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function start(args: string[] = []): { child: ChildProcessWithoutNullStreams; events: WriterEvent[]; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [writer, ...args]);
  children.push(child);
  const events: WriterEvent[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => events.push(JSON.parse(l) as WriterEvent));
  const exit = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return { child, events, exit };
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await new Promise((r) => setTimeout(r, 50))) if (cond()) return true;
  return cond();
}

describe('the writer program', () => {
  it('says ready, sends a heartbeat every second, and exits when its input ends', async () => {
    const w = start();
    await waitFor(() => w.events.filter((e) => e.type === 'heartbeat').length >= 2, 5000);
    expect(w.events[0]).toMatchObject({ type: 'ready', version: 1, isRoot: process.getuid!() === 0 });
    expect(w.events.filter((e) => e.type === 'heartbeat').length).toBeGreaterThanOrEqual(2);
    w.child.stdin.end();
    expect(await w.exit).toBe(0);
  });

  it('stops when the parent stops pinging, even with its input still open', async () => {
    const w = start(['--heartbeat-timeout-ms', '1500']);
    const t0 = Date.now();
    expect(await w.exit).toBe(0);
    expect(Date.now() - t0).toBeGreaterThan(1400);
  });

  it('refuses a request it does not understand, with a code', async () => {
    const w = start();
    w.child.stdin.write('{"type":"write","targets":"/dev/sda"}\n');
    expect(await w.exit).toBe(2);
    expect(w.events.find((e) => e.type === 'error')).toMatchObject({ error: { code: 'E_WRITER_PROTOCOL' } });
  });

  it('ends mid-write when its parent is killed, leaving the stick without its first MiB', async () => {
    const target = join(dir, 'orphan.img');
    writeFileSync(target, Buffer.alloc(32 << 20, 0xee));
    // A parent that starts a write, feeds it slowly, and is then SIGKILLed by the test.
    const parentScript = join(dir, 'parent.mjs');
    writeFileSync(
      parentScript,
      `import { runWriterJob } from ${JSON.stringify(join(process.cwd(), 'app/flash/writer-client.ts'))};
       const slow = async function* () { for (let i = 0; i < 24; i++) { await new Promise((r) => setTimeout(r, 100)); yield Buffer.alloc(1 << 20, 1); } };
       await runWriterJob({
         launch: { command: process.execPath, args: [${JSON.stringify(writer)}], via: 'direct' },
         job: { type: 'write', verify: true, targets: [{ device: ${JSON.stringify(target)} }], size: 24 << 20, unused: [], sourcePaths: [], cachePaths: [], testTargets: [${JSON.stringify(target)}], acceptWarnings: false, eject: false },
         data: slow,
         onReady: (i) => console.log('writer', i.pid),
         onProgress: (e) => e.phase === 'write' && e.done > 0 && console.log('writing'),
       });`,
    );
    // Its private socket folder goes under our test folder: a killed parent cannot remove it.
    const parent = spawn(process.execPath, ['--import', 'tsx', parentScript], { cwd: process.cwd(), env: { ...process.env, TMPDIR: dir } });
    children.push(parent);
    let writerPid = 0;
    let isWriting = false;
    createInterface({ input: parent.stdout }).on('line', (l) => {
      if (l.startsWith('writer ')) writerPid = Number(l.slice(7));
      if (l === 'writing') isWriting = true;
    });
    expect(await waitFor(() => isWriting, 20_000)).toBe(true);
    parent.kill('SIGKILL');
    expect(await waitFor(() => !isAlive(writerPid), 10_000)).toBe(true);
    const disk = readFileSync(target);
    expect(disk.subarray(0, 1 << 20).every((b) => b === 0)).toBe(true);
    expect(disk.subarray(disk.length - (1 << 20)).every((b) => b === 0)).toBe(true);
  });
});
