import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { call, callChannel, eventChannel, job, JobProgressSchema, type CallOutcome } from '../app/contract/api';
import { EmtError, cancelledError, throwIfAborted } from '../app/errors';
import { Gate, type SenderInfo } from './gate';
import { isTrustedAppSender } from './ipc';
import type { Handlers } from './handler-types';
import { JobRegistry } from './job-registry';

const contract = {
  math: {
    add: call([z.number(), z.number()], z.number()),
    fail: call([z.string()], z.void()),
    crash: call([], z.void()),
    lie: call([], z.object({ name: z.string() })),
  },
  work: {
    count: job([z.number().int().positive()], z.literal('done')),
  },
  jobs: {
    cancel: call([z.string()], z.boolean()),
  },
};
const events = { jobProgress: JobProgressSchema, note: z.object({ text: z.string() }) };

const app: SenderInfo = { id: '1', url: 'app://emt/index.html', isMainFrame: true };

function makeGate() {
  const sent: Array<{ channel: string; payload: unknown; to: string | undefined }> = [];
  const log = { warn: vi.fn(), error: vi.fn() };
  const calls: string[] = [];
  const jobs = new JobRegistry();
  const handlers: Handlers<typeof contract> = {
    math: {
      add: (_ctx, a, b) => {
        calls.push('add');
        return a + b;
      },
      fail: (_ctx, what) => {
        throw new EmtError('E_NO_SUCH_THING', `There is no ${what}.`, 'Pick another thing.');
      },
      crash: () => {
        throw new TypeError('undefined is not a function');
      },
      lie: () => ({ name: 42 }) as unknown as { name: string },
    },
    work: {
      count: async ({ signal, progress }, n) => {
        for (let i = 1; i <= n; i++) {
          progress({ phase: 'counting', done: i, total: n, bytesPerSecond: null, etaSeconds: null });
          await new Promise((r) => setImmediate(r));
          throwIfAborted(signal);
        }
        return 'done';
      },
    },
    jobs: { cancel: (ctx, id) => jobs.cancel(ctx.senderId, id) },
  };
  const gate = new Gate(contract, handlers, {
    events,
    isTrustedSender: isTrustedAppSender,
    send: (channel, payload, to) => sent.push({ channel, payload, to }),
    log,
    jobs,
  });
  return { gate, sent, log, calls };
}

function errorOf(outcome: CallOutcome) {
  if (outcome.ok) throw new Error(`expected a failure, got ${JSON.stringify(outcome.value)}`);
  return outcome.error;
}

describe('gate: sender checks', () => {
  it('answers a call from the app origin main frame', async () => {
    const { gate } = makeGate();
    expect(await gate.invoke(callChannel('math', 'add'), app, [2, 3])).toEqual({ ok: true, value: 5 });
  });

  it.each([
    ['another origin', { id: '1', url: 'https://evil.example/index.html', isMainFrame: true }],
    ['a look-alike host', { id: '1', url: 'app://emt.evil/index.html', isMainFrame: true }],
    ['a file: page', { id: '1', url: 'file:///tmp/index.html', isMainFrame: true }],
    ['a sub-frame of the app', { id: '1', url: 'app://emt/index.html', isMainFrame: false }],
    ['a frame that is gone', { id: '1', url: undefined, isMainFrame: true }],
    ['an unparsable url', { id: '1', url: 'not a url', isMainFrame: true }],
  ])('refuses %s without running the handler', async (_what, sender) => {
    const { gate, calls, log } = makeGate();
    const error = errorOf(await gate.invoke(callChannel('math', 'add'), sender, [2, 3]));
    expect(error.code).toBe('E_FORBIDDEN');
    expect(calls).toEqual([]);
    expect(log.warn).toHaveBeenCalledWith('call from an untrusted sender refused', expect.objectContaining({ url: sender.url }));
  });

  it('refuses a channel that is not in the contract', async () => {
    const { gate } = makeGate();
    expect(errorOf(await gate.invoke('emt:fs.readFile', app, ['/etc/shadow'])).code).toBe('E_UNKNOWN_CALL');
    expect(gate.channels()).not.toContain('emt:fs.readFile');
  });
});

describe('gate: argument checks', () => {
  it.each([
    ['a wrong type', ['2', 3]],
    ['too few arguments', [2]],
    ['too many arguments', [2, 3, 4]],
    ['no argument list at all', { a: 2, b: 3 }],
  ])('refuses %s without running the handler', async (_what, args) => {
    const { gate, calls } = makeGate();
    const error = errorOf(await gate.invoke(callChannel('math', 'add'), app, args));
    expect(error.code).toBe('E_BAD_REQUEST');
    expect(error.message).toContain('math.add');
    expect(calls).toEqual([]);
  });

  it('refuses a job id that could inject into logs or paths', async () => {
    const { gate } = makeGate();
    expect(errorOf(await gate.invoke(callChannel('work', 'count'), app, ['../x\n', 1])).code).toBe('E_BAD_REQUEST');
  });
});

describe('gate: errors and results', () => {
  it('passes an EmtError through as plain code, message and hint', async () => {
    const { gate } = makeGate();
    expect(await gate.invoke(callChannel('math', 'fail'), app, ['spoon'])).toEqual({
      ok: false,
      error: { code: 'E_NO_SUCH_THING', message: 'There is no spoon.', hint: 'Pick another thing.' },
    });
  });

  it('turns an unexpected exception into E_INTERNAL and logs its stack', async () => {
    const { gate, log } = makeGate();
    const error = errorOf(await gate.invoke(callChannel('math', 'crash'), app, []));
    expect(error.code).toBe('E_INTERNAL');
    expect(error.message).toContain('undefined is not a function');
    expect(log.error).toHaveBeenCalledWith('call failed', expect.objectContaining({ stack: expect.stringContaining('TypeError') }));
  });

  it('refuses to pass on a result that breaks the contract', async () => {
    const { gate, log } = makeGate();
    expect(errorOf(await gate.invoke(callChannel('math', 'lie'), app, [])).code).toBe('E_CONTRACT');
    expect(log.error).toHaveBeenCalled();
  });

  it('refuses to build without a handler for every call', () => {
    expect(() => new Gate(contract, { math: {}, work: {}, jobs: {} } as unknown as Handlers<typeof contract>, { events, isTrustedSender: () => true, send: () => {}, log: console })).toThrow(/no handler for math.add/);
  });
});

describe('gate: jobs and events', () => {
  it('streams progress tagged with the job id to the sender only', async () => {
    const { gate, sent } = makeGate();
    expect(await gate.invoke(callChannel('work', 'count'), app, ['job-1', 3])).toEqual({ ok: true, value: 'done' });
    expect(sent.map((s) => [s.channel, s.to, (s.payload as { jobId: string; event: { done: number } }).event.done])).toEqual([
      [eventChannel('jobProgress'), '1', 1],
      [eventChannel('jobProgress'), '1', 2],
      [eventChannel('jobProgress'), '1', 3],
    ]);
    expect(gate.jobs.running()).toEqual([]);
  });

  it('cancels a job for its sender and not for another window', async () => {
    const { gate } = makeGate();
    const running = gate.invoke(callChannel('work', 'count'), app, ['job-2', 1000]);
    const other = { ...app, id: '2' };
    expect(await gate.invoke(callChannel('jobs', 'cancel'), other, ['job-2'])).toEqual({ ok: true, value: false });
    expect(gate.jobs.running()).toEqual(['work.count']);
    expect(await gate.invoke(callChannel('jobs', 'cancel'), app, ['job-2'])).toEqual({ ok: true, value: true });
    expect(errorOf(await running)).toEqual({ code: 'E_CANCELLED', message: cancelledError().message, hint: cancelledError().hint });
    expect(gate.jobs.running()).toEqual([]);
  });

  it('refuses a second job with an id that is still running', async () => {
    const { gate } = makeGate();
    const first = gate.invoke(callChannel('work', 'count'), app, ['job-3', 50]);
    expect(errorOf(await gate.invoke(callChannel('work', 'count'), app, ['job-3', 1])).code).toBe('E_JOB_EXISTS');
    expect((await first).ok).toBe(true);
  });

  it('checks event payloads against the contract before sending', () => {
    const { gate, sent } = makeGate();
    gate.emit('note', { text: 'hello' });
    expect(sent).toEqual([{ channel: eventChannel('note'), payload: { text: 'hello' }, to: undefined }]);
    expect(() => gate.emit('note', { text: 1 } as unknown as { text: string })).toThrow();
    expect(sent).toHaveLength(1);
  });
});
