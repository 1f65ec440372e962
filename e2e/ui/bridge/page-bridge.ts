/**
 * The test bridge's `window.emt`, installed in the page before any of its scripts run (Playwright
 * `addInitScript`). Same shape as the preload's (one function per call of the contract, `onXxx`
 * per event, nothing else), but over HTTP to the bridge server: calls are POSTs answered with the
 * gate's outcome, events arrive on one EventSource. Self-contained: Playwright serializes it.
 */
export interface PageBridgeConfig {
  token: string;
  calls: Array<[namespace: string, method: string]>;
  events: string[];
}

export function installPageBridge(config: PageBridgeConfig): void {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const isMainFrame = window.top === window;
  const api: Record<string, unknown> = {};
  for (const [ns, method] of config.calls) {
    const group = (api[ns] ??= {}) as Record<string, unknown>;
    group[method] = async (...args: unknown[]) => {
      const res = await fetch(`/emt/call/emt:${ns}.${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-emt-token': config.token, 'x-emt-frame': isMainFrame ? 'main' : 'sub' },
        body: JSON.stringify(args),
      });
      const outcome = (await res.json()) as { ok: true; value: unknown } | { ok: false; error: unknown };
      if (outcome.ok) return outcome.value;
      throw outcome.error;
    };
  }
  const source = new EventSource(`/emt/events?token=${encodeURIComponent(config.token)}`);
  for (const name of config.events) {
    listeners.set(name, new Set());
    source.addEventListener(`emt:event:${name}`, (e) => {
      const payload: unknown = JSON.parse((e as MessageEvent<string>).data);
      for (const l of listeners.get(name) ?? []) l(payload);
    });
    api[`on${name.charAt(0).toUpperCase()}${name.slice(1)}`] = (listener: (payload: unknown) => void) => {
      listeners.get(name)!.add(listener);
      return () => {
        listeners.get(name)!.delete(listener);
      };
    };
  }
  Object.defineProperty(window, 'emt', { value: Object.freeze(api), writable: false, configurable: false });
}
