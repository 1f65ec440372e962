import { createContext, useContext, useMemo } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { AppState, AppStore } from './store';

export const StoreContext = createContext<AppStore | null>(null);

export function useAppStore(): AppStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useApp outside <StoreContext.Provider>');
  return store;
}

/** One value of the state; the component re-renders only when that value changes. */
export function useApp<T>(selector: (s: AppState) => T): T {
  return useStore(useAppStore(), selector);
}

/** A derived object or array, compared shallowly so that a new but equal result does not re-render. */
export function useAppShallow<T>(selector: (s: AppState) => T): T {
  return useStore(useAppStore(), useShallow(selector));
}

/**
 * A value derived from several fields (rows of the drive list): the fields are picked shallowly
 * and the derivation runs only when one of them changes, so a selector that builds new objects
 * cannot make React render in a loop.
 */
export function useAppDerived<K extends keyof AppState, T>(keys: readonly K[], derive: (picked: Pick<AppState, K>) => T): T {
  const picked = useAppShallow((s) => {
    const out = {} as Pick<AppState, K>;
    for (const k of keys) out[k] = s[k];
    return out;
  });
  return useMemo(() => derive(picked), [picked, derive]);
}
