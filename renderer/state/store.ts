import { createStore, type StoreApi } from 'zustand/vanilla';
import { persist, createJSONStorage, type StateStorage } from 'zustand/middleware';
import type { Profile } from '../../app/contract/profile';
import { ProfileSchema } from '../../app/contract/profile';
import type { EmtApi } from '../api';
import { createWizardSlice } from './wizard-slice';
import { createJobsSlice } from './jobs-slice';
import { createSettingsSlice } from './settings-slice';
import { createReleaseSlice } from './release-slice';
import { createProfileSlice } from './profile-slice';
import { createBuildSlice } from './build-slice';
import { createDrivesSlice } from './drives-slice';
import { createWriteSlice } from './write-slice';
import { createToolsSlice } from './tools-slice';
import { createReviewSlice } from './review-slice';
import type { AppState, StoreDeps } from './store-types';

export type { AppState, StoreDeps };
export type AppStore = StoreApi<AppState>;

/** What survives a restart: the work in progress, never a password or a job. */
interface Persisted {
  releaseId: string | null;
  profile: Profile | null;
  profilePath: string | null;
  isVerifying: boolean;
  isEjecting: boolean;
}

export const PERSIST_VERSION = 1;
export const PERSIST_KEY = 'emt-media-builder/wizard';

/** Drops a stored profile the current schema no longer accepts, rather than failing to start. */
export function migratePersisted(stored: unknown, version: number): Persisted {
  const s = (stored ?? {}) as Partial<Persisted>;
  const profile = ProfileSchema.safeParse(s.profile);
  return {
    releaseId: version === PERSIST_VERSION && typeof s.releaseId === 'string' ? s.releaseId : null,
    profile: profile.success ? profile.data : null,
    profilePath: typeof s.profilePath === 'string' ? s.profilePath : null,
    isVerifying: s.isVerifying !== false,
    isEjecting: s.isEjecting !== false,
  };
}

/** One store for the whole UI, built from the slices; middleware only here, on the combined store. */
export function createAppStore(deps: StoreDeps, storage?: StateStorage): AppStore {
  return createStore<AppState>()(
    persist(
      (...a) => ({
        ...createWizardSlice(deps)(...a),
        ...createJobsSlice(deps)(...a),
        ...createSettingsSlice(deps)(...a),
        ...createReleaseSlice(deps)(...a),
        ...createProfileSlice(deps)(...a),
        ...createReviewSlice(deps)(...a),
        ...createBuildSlice(deps)(...a),
        ...createDrivesSlice(deps)(...a),
        ...createWriteSlice(deps)(...a),
        ...createToolsSlice(deps)(...a),
      }),
      {
        name: PERSIST_KEY,
        version: PERSIST_VERSION,
        storage: createJSONStorage(() => storage ?? localStorage),
        partialize: (s): Persisted => ({ releaseId: s.releaseId, profile: s.profile, profilePath: s.profilePath, isVerifying: s.isVerifying, isEjecting: s.isEjecting }),
        migrate: migratePersisted,
        merge: (stored, current) => ({ ...current, ...migratePersisted(stored, PERSIST_VERSION) }),
      },
    ),
  );
}

/** Routes the contract's events into the store; returns the function that disconnects them. */
export function connectEvents(store: AppStore, api: EmtApi): () => void {
  const offs = [api.onJobProgress((p) => store.getState().recordProgress(p)), api.onMenuCommand((c) => store.getState().openTool(c))];
  return () => offs.forEach((off) => off());
}

let counter = 0;
/** Job ids unique within this window (the gate refuses a running id twice). */
export function newJobId(): string {
  counter += 1;
  return `job-${Date.now().toString(36)}-${counter}`;
}
