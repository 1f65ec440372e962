import type { ErrorInfo, ProgressEvent } from '../app/contract/jobs';
import type { JobObserver } from './gate';
import { mainStrings } from './strings';

/** The Electron pieces a long job touches, passed in so that tests can hand over fakes. */
export interface JobEffectsDeps {
  powerSaveBlocker: { start(type: 'prevent-app-suspension'): number; stop(id: number): void };
  /** The main window, when there is one. */
  window(): { setProgressBar(progress: number, options?: { mode: 'normal' | 'error' | 'none' }): void; isFocused(): boolean; flashFrame(flag: boolean): void } | null;
  notify(title: string, body: string): void;
}

/** Calls whose jobs leave sticks unusable when the app quits in the middle. */
export const WRITE_CALLS: ReadonlySet<string> = new Set(['flash.write', 'flash.restore']);

interface Tracked {
  name: string;
  byTarget: Map<string, { done: number; total: number }>;
}

/**
 * What the desktop does while jobs run: the system does not go to sleep (a sleeping laptop kills a
 * write), the taskbar shows the overall progress, and when a job ends while the window is in the
 * background an OS notification says how it went (a cancelled job says nothing: the user did it).
 */
export function createJobEffects(deps: JobEffectsDeps): JobObserver & { runningWrites(): number } {
  const jobs = new Map<string, Tracked>();
  let blockerId: number | null = null;

  const updateBar = (): void => {
    const win = deps.window();
    if (!win) return;
    let done = 0;
    let total = 0;
    for (const job of jobs.values()) for (const t of job.byTarget.values()) {
      done += t.done;
      total += t.total;
    }
    if (jobs.size === 0) win.setProgressBar(-1, { mode: 'none' });
    else win.setProgressBar(total > 0 ? Math.min(1, done / total) : 2, { mode: 'normal' });
  };

  return {
    onStart(name, jobId) {
      jobs.set(jobId, { name, byTarget: new Map() });
      if (blockerId === null) blockerId = deps.powerSaveBlocker.start('prevent-app-suspension');
      updateBar();
    },
    onProgress(_name, jobId, event: ProgressEvent) {
      const job = jobs.get(jobId);
      if (!job) return;
      job.byTarget.set(event.target ?? '', { done: event.done, total: event.total });
      updateBar();
    },
    onEnd(name, jobId, error: ErrorInfo | null) {
      jobs.delete(jobId);
      if (jobs.size === 0 && blockerId !== null) {
        deps.powerSaveBlocker.stop(blockerId);
        blockerId = null;
      }
      updateBar();
      const win = deps.window();
      if (error?.code === 'E_CANCELLED' || (win && win.isFocused())) return;
      const what = mainStrings.jobNames[name] ?? mainStrings.jobFallbackName;
      if (error) deps.notify(mainStrings.notify.failed(what), `${error.message} ${error.hint}`);
      else deps.notify(mainStrings.notify.done(what), '');
      win?.flashFrame(true);
    },
    runningWrites: () => [...jobs.values()].filter((j) => WRITE_CALLS.has(j.name)).length,
  };
}
