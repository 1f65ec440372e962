import type { Drive } from '../contract/drives';
import { toEmtError, type EmtError } from '../errors';
import { listDrives, type ListDrivesOptions } from './drives';

export interface WatchDrivesOptions extends ListDrivesOptions {
  /** Poll period; drivelist has no hot-plug events, so we list again about once a second. */
  intervalMs?: number;
  onError?: (e: EmtError) => void;
  signal?: AbortSignal;
}

/**
 * Calls `onChange` with the full drive list now and whenever it changes (a stick plugged in or
 * pulled, a partition mounted). Returns a function that stops watching.
 */
export function watchDrives(onChange: (drives: Drive[]) => void, options: WatchDrivesOptions = {}): () => void {
  let last = '';
  let timer: NodeJS.Timeout | undefined;
  let isStopped = false;
  const stop = () => {
    isStopped = true;
    if (timer) clearTimeout(timer);
  };
  const tick = async () => {
    try {
      const drives = await listDrives(options);
      const key = JSON.stringify(drives);
      if (!isStopped && key !== last) {
        last = key;
        onChange(drives);
      }
    } catch (e) {
      if (!isStopped) options.onError?.(toEmtError(e, 'Listing the drives failed'));
    }
    if (!isStopped) timer = setTimeout(tick, options.intervalMs ?? 1000);
  };
  options.signal?.addEventListener('abort', stop, { once: true });
  void tick();
  return stop;
}
