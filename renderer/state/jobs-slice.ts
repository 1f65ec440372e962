import type { JobProgress } from '../../app/contract/api';
import type { ErrorInfo, ProgressEvent } from '../../app/contract/jobs';
import { toErrorInfo } from '../../app/contract/api';
import type { JobState, Slice, StoreDeps } from './store-types';

/** Latest progress of each running job, by target ('' when a job has one). */
export interface JobsSlice {
  progress: Record<string, Record<string, ProgressEvent>>;
  recordProgress(p: JobProgress): void;
  forgetProgress(jobId: string): void;
  cancelJob(jobId: string): Promise<void>;
}

export const createJobsSlice: Slice<JobsSlice> = (deps) => (set) => ({
  progress: {},
  recordProgress: ({ jobId, event }) =>
    set((s) => ({ progress: { ...s.progress, [jobId]: { ...s.progress[jobId], [event.target ?? '']: event } } })),
  forgetProgress: (jobId) =>
    set((s) => {
      const { [jobId]: _gone, ...rest } = s.progress;
      return { progress: rest };
    }),
  cancelJob: async (jobId) => {
    await deps.api.jobs.cancel(jobId);
  },
});

/**
 * Runs one job the same way for every slice: a fresh id, state `running`, then `done`, `failed`
 * or `cancelled` (E_CANCELLED is the user's own doing, not a failure). `put` stores the job state
 * in the slice's own field; the progress of the job is dropped when it ends.
 */
export async function runJob<T>(
  deps: StoreDeps,
  put: (job: JobState) => void,
  forget: (jobId: string) => void,
  call: (jobId: string) => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: ErrorInfo }> {
  const jobId = deps.newJobId();
  put({ jobId, status: 'running', error: null });
  try {
    const value = await call(jobId);
    put({ jobId, status: 'done', error: null });
    return { ok: true, value };
  } catch (e) {
    const error = toErrorInfo(e);
    put({ jobId, status: error.code === 'E_CANCELLED' ? 'cancelled' : 'failed', error });
    return { ok: false, error };
  } finally {
    forget(jobId);
  }
}
