import type { RestoreRequest } from '../../app/contract/api';
import type { RestoreResult } from '../../app/contract/drives';
import { runJob } from './jobs-slice';
import type { JobState, Slice } from './store-types';

export interface ToolsSlice {
  restoreJob: JobState | null;
  restoreResult: RestoreResult | null;
  restore(request: RestoreRequest): Promise<void>;
}

export const createToolsSlice: Slice<ToolsSlice> = (deps) => (set, get) => ({
  restoreJob: null,
  restoreResult: null,
  restore: async (request) => {
    set({ restoreResult: null });
    const r = await runJob(deps, (job) => set({ restoreJob: job }), get().forgetProgress, (jobId) => deps.api.flash.restore(jobId, request));
    if (r.ok) set({ restoreResult: r.value });
  },
});
