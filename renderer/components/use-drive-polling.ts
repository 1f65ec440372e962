import { useEffect } from 'react';
import type { WriteSource } from '../../app/contract/api';
import { useAppShallow, useAppStore } from '../state/hooks';
import type { AppState } from '../state/store';

/** How often the drive list is read while a picker is on screen (a stick plugged in shows up by itself). */
export const DRIVE_POLL_MS = 2000;

const none = (): null => null;

/**
 * Keeps the drive list fresh while the screen is shown, judged for what would be written (null:
 * no image, as in the tools). Paused while a job holds the sticks, as Etcher learned: a drive
 * that vanishes while it is unmounted must not leave the list mid-write.
 */
export function useDrivePolling(isPaused: boolean, sourceOf: (s: AppState) => WriteSource | null = none): void {
  const store = useAppStore();
  const source = useAppShallow(sourceOf);
  const key = source ? JSON.stringify(source) : '';
  useEffect(() => {
    if (isPaused) return;
    const refresh = (): void => void store.getState().refreshDrives(sourceOf(store.getState()));
    refresh();
    const timer = setInterval(refresh, DRIVE_POLL_MS);
    return () => clearInterval(timer);
  }, [store, isPaused, key, sourceOf]);
}

/** A tool picks its own stick: the wizard's selection is neither carried in nor out. */
export function useOwnDriveSelection(): void {
  const store = useAppStore();
  useEffect(() => {
    store.getState().clearDriveSelection();
    return () => store.getState().clearDriveSelection();
  }, [store]);
}
