import type { BuildResult } from '../../app/contract/build';
import { toErrorInfo } from '../../app/contract/api';
import type { ErrorInfo } from '../../app/contract/jobs';
import { runJob } from './jobs-slice';
import { bootChainDirOf } from './selectors';
import type { JobState, Slice } from './store-types';

export interface BuildSlice {
  buildOutput: string | null;
  /** The standalone password: in memory only, sent with the build request, never saved. */
  password: string;
  buildJob: JobState | null;
  buildResult: BuildResult | null;
  buildDialogError: ErrorInfo | null;
  chooseBuildOutput(): Promise<void>;
  setPassword(password: string): void;
  startBuild(): Promise<void>;
  /** Forget the build (a new profile or release makes it stale). */
  clearBuild(): void;
}

export const createBuildSlice: Slice<BuildSlice> = (deps) => (set, get) => ({
  buildOutput: null,
  password: '',
  buildJob: null,
  buildResult: null,
  buildDialogError: null,
  chooseBuildOutput: async () => {
    const { profile, releaseId } = get();
    const suggested = `${(profile?.name ?? releaseId ?? 'emt-media').replace(/[^A-Za-z0-9._-]+/g, '-')}.iso`;
    try {
      const path = await deps.api.dialogs.saveFile('output', suggested);
      if (path) set({ buildOutput: path, buildDialogError: null });
    } catch (e) {
      set({ buildDialogError: toErrorInfo(e) });
    }
  },
  setPassword: (password) => set({ password }),
  startBuild: async () => {
    const s = get();
    const { releaseId, profile, buildOutput, password, profilePath } = s;
    if (!releaseId || !buildOutput) return;
    set({ buildResult: null, writeResult: null, writeJob: null });
    const r = await runJob(deps, (job) => set({ buildJob: job }), get().forgetProgress, (jobId) =>
      deps.api.build.run(jobId, { releaseId, profile, output: buildOutput, profilePath, bootChainDir: bootChainDirOf(s), ...(profile?.mode === 'standalone' && password ? { password } : {}) }),
    );
    if (r.ok) set({ buildResult: r.value, step: 'write' });
  },
  clearBuild: () => set({ buildJob: null, buildResult: null }),
});
