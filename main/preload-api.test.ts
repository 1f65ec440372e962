import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { call, contract as appContract, events as appEvents, eventChannel, job, JobProgressSchema, listCalls, callChannel } from '../app/contract/api';
import { EmtError } from '../app/errors';
import { Gate } from './gate';
import { registerGate, senderOf, type InvokeEventLike } from './ipc';
import { buildApi, type IpcRendererLike } from './preload-api';

const contract = {
  greet: { hello: call([z.string()], z.string()), refuse: call([], z.void()) },
  work: { run: job([], z.number()) },
};
const events = { jobProgress: JobProgressSchema, drivesChanged: z.array(z.string()) };

/**
 * A fake Electron IPC pair (no Electron binary can run here): ipcMain.handle + ipcRenderer.invoke
 * and webContents.send + ipcRenderer.on, wired the way Electron wires them for one window.
 */
function fakeElectronIpc(frameUrl: string) {
  const handlers = new Map<string, (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>>();
  const toRenderer = new EventEmitter();
  const wrappers = new Map<unknown, (payload: unknown) => void>();
  const mainFrame = { url: frameUrl, parent: null };
  const event: InvokeEventLike = { sender: { id: 7, mainFrame }, senderFrame: mainFrame };
  const ipcRenderer: IpcRendererLike = {
    invoke: async (channel, ...args) => {
      const h = handlers.get(channel);
      if (!h) throw new Error(`No handler registered for '${channel}'`);
      return h(event, ...args);
    },
    on: (channel, listener) => {
      const w = (payload: unknown) => listener({ sender: 'ipc event' }, payload);
      wrappers.set(listener, w);
      toRenderer.on(channel, w);
    },
    removeListener: (channel, listener) => toRenderer.removeListener(channel, wrappers.get(listener)!),
  };
  const ipcMain = { handle: (channel: string, h: (event: InvokeEventLike, ...args: unknown[]) => Promise<never>) => void handlers.set(channel, h) };
  return { ipcRenderer, ipcMain, handlers, toRenderer };
}

function setUp(frameUrl = 'app://emt/index.html') {
  const ipc = fakeElectronIpc(frameUrl);
  const gate = new Gate(
    contract,
    {
      greet: {
        hello: (_c, name) => `hello ${name}`,
        refuse: () => {
          throw new EmtError('E_NOPE', 'No.', 'Ask nicely.');
        },
      },
      work: {
        run: async ({ progress }) => {
          progress({ phase: 'writing', done: 1, total: 2, bytesPerSecond: null, etaSeconds: null });
          return 2;
        },
      },
    },
    { events, isTrustedSender: (s) => s.isMainFrame && s.url === 'app://emt/index.html', send: (ch, p) => ipc.toRenderer.emit(ch, p), log: { warn: () => {}, error: () => {} } },
  );
  registerGate(ipc.ipcMain, gate);
  return { api: buildApi(contract, events, ipc.ipcRenderer), ipc, gate };
}

describe('preload window.emt over fake Electron IPC', () => {
  it('has exactly the contract calls and one onXxx per event, nothing else', () => {
    const { api } = setUp();
    expect(Object.keys(api).sort()).toEqual(['greet', 'onDrivesChanged', 'onJobProgress', 'work']);
    expect(Object.keys(api.greet).sort()).toEqual(['hello', 'refuse']);
    expect(Object.values(api.greet).every((f) => typeof f === 'function')).toBe(true);
  });

  it('resolves a call with its value', async () => {
    expect(await setUp().api.greet.hello('technician')).toBe('hello technician');
  });

  it('rejects with plain {code, message, hint} data that survives the context bridge', async () => {
    const err = await setUp().api.greet.refuse().catch((e: unknown) => e);
    expect(err).toEqual({ code: 'E_NOPE', message: 'No.', hint: 'Ask nicely.' });
    expect(Object.getPrototypeOf(err)).toBe(Object.prototype);
  });

  it('is refused by the gate when loaded in a foreign page', async () => {
    const err = await setUp('https://evil.example/').api.greet.hello('x').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_FORBIDDEN' });
  });

  it('delivers events as payload only and stops after unsubscribe', async () => {
    const { api, gate } = setUp();
    const seen: unknown[] = [];
    const off = api.onDrivesChanged((drives) => seen.push(drives));
    gate.emit('drivesChanged', ['/dev/sdb']);
    off();
    gate.emit('drivesChanged', ['/dev/sdc']);
    expect(seen).toEqual([['/dev/sdb']]);
  });

  it('runs a job: progress arrives tagged with the id the UI chose', async () => {
    const { api } = setUp();
    const progress: unknown[] = [];
    const off = api.onJobProgress((p) => progress.push(p));
    expect(await api.work.run('abc')).toBe(2);
    off();
    expect(progress).toEqual([{ jobId: 'abc', event: { phase: 'writing', done: 1, total: 2, bytesPerSecond: null, etaSeconds: null } }]);
  });

  it('registers with ipcMain exactly the channels of the contract', () => {
    const { ipc } = setUp();
    expect([...ipc.handlers.keys()].sort()).toEqual(listCalls(contract).map(([n, m]) => callChannel(n, m)).sort());
  });
});

describe('senderOf on fake Electron invoke events', () => {
  it('marks a sub-frame as not the main frame', () => {
    const mainFrame = { url: 'app://emt/index.html', parent: null };
    const sub = { url: 'app://emt/index.html', parent: mainFrame };
    expect(senderOf({ sender: { id: 3, mainFrame }, senderFrame: sub })).toEqual({ id: '3', url: 'app://emt/index.html', isMainFrame: false });
    expect(senderOf({ sender: { id: 3, mainFrame }, senderFrame: mainFrame }).isMainFrame).toBe(true);
    expect(senderOf({ sender: { id: 3, mainFrame }, senderFrame: null })).toEqual({ id: '3', url: undefined, isMainFrame: false });
  });
});

describe('the app contract', () => {
  it('builds a window.emt whose event methods follow the onXxx convention', () => {
    const api = buildApi(appContract, appEvents, { invoke: async () => ({ ok: true, value: null }), on: () => {}, removeListener: () => {} });
    for (const name of Object.keys(appEvents)) expect(typeof (api as Record<string, unknown>)[`on${name[0]!.toUpperCase()}${name.slice(1)}`]).toBe('function');
    expect(eventChannel('jobProgress')).toBe('emt:event:jobProgress');
  });
});
