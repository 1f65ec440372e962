import type { RestoreRequest } from '../../app/contract/api';
import type { RestoreResult } from '../../app/contract/drives';
import type { Inspection } from '../../app/contract/inspect';
import { runJob } from './jobs-slice';
import type { JobState, Slice } from './store-types';

export interface ToolsSlice {
  inspectJob: JobState | null;
  inspection: Inspection | null;
  restoreJob: JobState | null;
  restoreResult: RestoreResult | null;
  /** Reads an ISO file or a stick's device back and checks it against its manifest. */
  inspect(path: string): Promise<void>;
  restore(request: RestoreRequest): Promise<void>;
}

export const createToolsSlice: Slice<ToolsSlice> = (deps) => (set, get) => ({
  inspectJob: null,
  inspection: null,
  restoreJob: null,
  restoreResult: null,
  inspect: async (path) => {
    set({ inspection: null });
    const r = await runJob(deps, (job) => set({ inspectJob: job }), get().forgetProgress, (jobId) => deps.api.tools.inspect(jobId, path));
    if (r.ok) set({ inspection: r.value });
  },
  restore: async (request) => {
    set({ restoreResult: null });
    const r = await runJob(deps, (job) => set({ restoreJob: job }), get().forgetProgress, (jobId) => deps.api.flash.restore(jobId, request));
    if (r.ok) set({ restoreResult: r.value });
  },
});
