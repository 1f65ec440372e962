import {
  callChannel,
  eventChannel,
  eventMethodName,
  listCalls,
  type CallOutcome,
  type ContractMap,
  type EmtApi,
  type EventMap,
} from '../app/contract/api';

/** The slice of ipcRenderer the preload uses; nothing else of it reaches the page. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, payload: unknown) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): unknown;
}

/**
 * Builds `window.emt` from the contract's keys: one function per call, one `onXxx` per event, and
 * nothing else. Listeners get the payload only, never the IPC event (Electron security checklist
 * item 20), and every `onXxx` returns its own unsubscribe. Plain functions and objects only: the
 * context bridge copies getters and setters in surprising ways (electron/electron#25516).
 */
export function buildApi<C extends ContractMap, E extends EventMap>(contract: C, events: E, ipc: IpcRendererLike): EmtApi<C, E> {
  const api: Record<string, unknown> = {};
  for (const [ns, method] of listCalls(contract)) {
    const channel = callChannel(ns, method);
    const group = (api[ns] ??= {}) as Record<string, unknown>;
    group[method] = async (...args: unknown[]) => {
      const outcome = (await ipc.invoke(channel, ...args)) as CallOutcome;
      if (outcome.ok) return outcome.value;
      // A plain {code, message, hint}: an Error would lose its fields crossing the context bridge.
      throw outcome.error;
    };
  }
  for (const name of Object.keys(events)) {
    const channel = eventChannel(name);
    api[eventMethodName(name)] = (listener: (payload: unknown) => void) => {
      const wrapped = (_event: unknown, payload: unknown): void => listener(payload);
      ipc.on(channel, wrapped);
      return () => {
        ipc.removeListener(channel, wrapped);
      };
    };
  }
  return api as EmtApi<C, E>;
}
