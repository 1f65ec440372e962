import type { BootChainInfo, BuildCheck } from '../../app/contract/build';
import type { ErrorInfo } from '../../app/contract/jobs';
import { toErrorInfo } from '../../app/contract/api';
import { runJob } from './jobs-slice';
import { bootChainDirOf, countBySeverity, isReleaseReady, profileFindings, reviewKeyOf, selectedRelease } from './selectors';
import type { JobState, Slice } from './store-types';

export interface ReviewSlice {
  /** What the check in `reviewJob` / `reviewCheck` is of (see reviewKeyOf). */
  reviewKey: string | null;
  reviewJob: JobState | null;
  reviewCheck: BuildCheck | null;
  /** What the settings' signed boot chain folder holds; null without one. */
  bootChain: BootChainInfo | null;
  bootChainError: ErrorInfo | null;
  /**
   * Checks the profile against the release as the build will (Review does this on arrival).
   * Nothing happens when that very check is running or done, or when the profile cannot be
   * checked yet (its own errors come first); `force` checks again.
   */
  checkReview(options?: { force?: boolean }): Promise<void>;
  /** Asks for a signed boot chain folder, reads it, and keeps it in the settings. */
  chooseBootChain(): Promise<void>;
  /** Back to the kit's unsigned GRUB. */
  clearBootChain(): Promise<void>;
  /** Reads the folder the settings name, when it was not read yet. */
  loadBootChain(): Promise<void>;
}

export const createReviewSlice: Slice<ReviewSlice> = (deps) => (set, get) => ({
  reviewKey: null,
  reviewJob: null,
  reviewCheck: null,
  bootChain: null,
  bootChainError: null,
  checkReview: async ({ force = false } = {}) => {
    if (!get().settings) await get().loadSettings();
    const s = get();
    const key = reviewKeyOf(s);
    if (!force && s.reviewKey === key && (s.reviewJob?.status === 'running' || s.reviewJob?.status === 'done')) return;
    const { releaseId, profile, profilePath } = s;
    if (!releaseId || !isReleaseReady(selectedRelease(s)) || !s.preview || s.isChecking || countBySeverity(profileFindings(s)).errors > 0) return;
    // A check of what is no longer chosen would only be thrown away.
    if (s.reviewJob?.status === 'running') void deps.api.jobs.cancel(s.reviewJob.jobId).catch(() => false);
    set({ reviewKey: key, reviewCheck: null });
    const r = await runJob(
      deps,
      (job) => {
        if (get().reviewKey === key) set({ reviewJob: job });
      },
      get().forgetProgress,
      (jobId) => deps.api.build.check(jobId, { releaseId, profile, profilePath, bootChainDir: bootChainDirOf(s) }),
    );
    if (r.ok && get().reviewKey === key) set({ reviewCheck: r.value });
  },
  chooseBootChain: async () => {
    try {
      const dir = await deps.api.dialogs.openFolder('bootChain');
      if (!dir) return;
      // Read first: a folder without shim and GRUB is refused with the reason before it is kept.
      const info = await deps.api.build.bootChain(dir);
      set({ settings: await deps.api.settings.update({ bootChainDir: info.dir }), bootChain: info, bootChainError: null });
    } catch (e) {
      set({ bootChainError: toErrorInfo(e) });
    }
  },
  clearBootChain: async () => {
    try {
      set({ settings: await deps.api.settings.update({ bootChainDir: null }), bootChain: null, bootChainError: null });
    } catch (e) {
      set({ bootChainError: toErrorInfo(e) });
    }
  },
  loadBootChain: async () => {
    if (!get().settings) await get().loadSettings();
    const dir = bootChainDirOf(get());
    if (!dir) return set({ bootChain: null, bootChainError: null });
    if (get().bootChain?.dir === dir) return;
    try {
      set({ bootChain: await deps.api.build.bootChain(dir), bootChainError: null });
    } catch (e) {
      set({ bootChain: null, bootChainError: toErrorInfo(e) });
    }
  },
});
