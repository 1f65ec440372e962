import { vi } from 'vitest';
import { contract, eventMethodName, events, listCalls, type EmtApi, type JobProgress, type MenuCommand } from '../../app/contract/api';
import { createAppStore, type AppStore } from '../state/store';

type Impl = (...args: never[]) => unknown;

/**
 * A scripted `window.emt` for unit tests of the store and components: every call of the contract
 * is a vi.fn that rejects unless a test gives it an answer. The real engine behind the real
 * contract is exercised by the Playwright suite (e2e/ui); here only the UI's logic is under test.
 */
export function scriptedApi(answers: Record<string, Impl> = {}) {
  const listeners = { jobProgress: new Set<(p: JobProgress) => void>(), menuCommand: new Set<(c: MenuCommand) => void>() };
  const api: Record<string, unknown> = {};
  const fns: Record<string, ReturnType<typeof vi.fn>> = {};
  for (const [ns, method] of listCalls(contract)) {
    const name = `${ns}.${method}`;
    const fn = vi.fn(async (...args: unknown[]) => {
      const impl = answers[name];
      if (!impl) throw { code: 'E_NOT_SCRIPTED', message: `${name} has no scripted answer.`, hint: 'Give it one in the test.' };
      return (impl as (...a: unknown[]) => unknown)(...args);
    });
    fns[name] = fn;
    ((api[ns] ??= {}) as Record<string, unknown>)[method] = fn;
  }
  for (const name of Object.keys(events) as Array<keyof typeof listeners>) {
    api[eventMethodName(name)] = (cb: never) => {
      listeners[name].add(cb);
      return () => listeners[name].delete(cb);
    };
  }
  return {
    api: api as unknown as EmtApi,
    fns,
    emitProgress: (p: JobProgress) => listeners.jobProgress.forEach((l) => l(p)),
    emitMenu: (c: MenuCommand) => listeners.menuCommand.forEach((l) => l(c)),
  };
}

/** A fresh store on a scripted API, with predictable job ids and an in-memory persistence. */
export function testStore(answers: Record<string, Impl> = {}): ReturnType<typeof scriptedApi> & { store: AppStore; saved: Map<string, string> } {
  const scripted = scriptedApi(answers);
  const saved = new Map<string, string>();
  let n = 0;
  const store = createAppStore(
    { api: scripted.api, newJobId: () => `job-${++n}`, checkDelayMs: 0 },
    { getItem: (k) => saved.get(k) ?? null, setItem: (k, v) => void saved.set(k, v), removeItem: (k) => void saved.delete(k) },
  );
  return { ...scripted, store, saved };
}
