import type { ReleaseList } from '../../app/contract/catalog';
import type { ErrorInfo } from '../../app/contract/jobs';
import { toErrorInfo } from '../../app/contract/api';
import { runJob } from './jobs-slice';
import type { JobState, Slice } from './store-types';

export interface ReleaseSlice {
  releases: ReleaseList | null;
  isLoadingReleases: boolean;
  releasesError: ErrorInfo | null;
  releaseId: string | null;
  /** The download or import in progress (one at a time), and which release it is about. */
  releaseJob: (JobState & { kind: 'download' | 'import'; releaseId: string | null }) | null;
  loadReleases(): Promise<void>;
  selectRelease(id: string): void;
  downloadRelease(id: string, options?: { acceptNewHash?: boolean }): Promise<void>;
  /** Pick a Bootkit tarball in a dialog and add it to the cache; selects it when done. */
  importRelease(): Promise<void>;
}

export const createReleaseSlice: Slice<ReleaseSlice> = (deps) => (set, get) => {
  const put = (kind: 'download' | 'import', releaseId: string | null) => (job: JobState) => set({ releaseJob: { ...job, kind, releaseId } });
  return {
    releases: null,
    isLoadingReleases: false,
    releasesError: null,
    releaseId: null,
    releaseJob: null,
    loadReleases: async () => {
      set({ isLoadingReleases: true });
      try {
        set({ releases: await deps.api.releases.list(), releasesError: null });
      } catch (e) {
        set({ releasesError: toErrorInfo(e) });
      } finally {
        set({ isLoadingReleases: false });
      }
    },
    selectRelease: (id) => set({ releaseId: id }),
    downloadRelease: async (id, options = {}) => {
      set({ releaseId: id });
      const r = await runJob(deps, put('download', id), get().forgetProgress, (jobId) =>
        deps.api.releases.download(jobId, { id, acceptNewHash: options.acceptNewHash ?? false, refresh: false }),
      );
      if (r.ok) await get().loadReleases();
    },
    importRelease: async () => {
      let picked;
      try {
        picked = await deps.api.dialogs.openFile('release');
      } catch (e) {
        set({ releasesError: toErrorInfo(e) });
        return;
      }
      if (!picked) return;
      const r = await runJob(deps, put('import', null), get().forgetProgress, (jobId) => deps.api.releases.import(jobId, { path: picked.path, mode: 'copy' }));
      if (!r.ok) return;
      await get().loadReleases();
      set({ releaseId: r.value.id });
    },
  };
};
