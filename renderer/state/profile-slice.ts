import type { Profile, ProfilePreview } from '../../app/contract/profile';
import type { Finding } from '../../app/contract/build';
import type { ErrorInfo } from '../../app/contract/jobs';
import { toErrorInfo, type LoadedProfile, type PickedFile, type PickPurpose } from '../../app/contract/api';
import { setIn, switchMode, type Path, type ProfileMode } from './profile-edit';
import type { Slice } from './store-types';

export interface ProfileSlice {
  /** null until a mode is chosen. */
  profile: Profile | null;
  profilePath: string | null;
  profileFormat: 'yaml' | 'json';
  /** What the engine said about the profile as it stands (findings per field, summary, overlay). */
  preview: ProfilePreview | null;
  /** Findings from reading a file (an upgrade, an unknown key), shown until the next edit. */
  loadFindings: Finding[];
  migratedFrom: number | null;
  profileError: ErrorInfo | null;
  isChecking: boolean;
  isProfileDirty: boolean;
  setMode(mode: ProfileMode): void;
  setProfileField(path: Path, value: unknown): void;
  replaceProfile(profile: Profile): void;
  checkProfile(): Promise<void>;
  openProfile(): Promise<void>;
  importProfileText(text: string, fileName: string): Promise<void>;
  /** Save to the current file, or ask where when there is none (or `isSaveAs`). */
  saveProfile(isSaveAs?: boolean): Promise<void>;
  /** A native file dialog for a form field; null when cancelled (a failure shows as profileError). */
  pickFile(purpose: PickPurpose): Promise<PickedFile | null>;
  /** Replace the installer scripts with those of a folder or tarball the user picks. */
  importInstaller(kind: 'folder' | 'tarball'): Promise<void>;
  pickFolder(purpose: PickPurpose): Promise<string | null>;
}

const DEFAULT_NAME = 'New site';

export const createProfileSlice: Slice<ProfileSlice> = (deps) => (set, get) => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let seq = 0;
  const scheduleCheck = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => void get().checkProfile(), deps.checkDelayMs);
  };
  const adopt = (loaded: LoadedProfile): void => {
    set({
      profile: loaded.profile,
      profilePath: loaded.path,
      profileFormat: loaded.format,
      loadFindings: loaded.findings,
      migratedFrom: loaded.migratedFrom,
      profileError: null,
      isProfileDirty: false,
    });
    scheduleCheck();
  };
  return {
    profile: null,
    profilePath: null,
    profileFormat: 'yaml',
    preview: null,
    loadFindings: [],
    migratedFrom: null,
    profileError: null,
    isChecking: false,
    isProfileDirty: false,
    setMode: (mode) => {
      const current = get().profile;
      if (current?.mode === mode) return;
      set({ profile: switchMode(current, mode, DEFAULT_NAME), preview: null, isProfileDirty: current !== null });
      scheduleCheck();
    },
    setProfileField: (path, value) => {
      const current = get().profile;
      if (!current) return;
      set({ profile: setIn(current, path, value), isProfileDirty: true, loadFindings: [] });
      scheduleCheck();
    },
    replaceProfile: (profile) => {
      set({ profile, isProfileDirty: true });
      scheduleCheck();
    },
    checkProfile: async () => {
      const { profile, profilePath } = get();
      if (!profile) return;
      const mine = ++seq;
      set({ isChecking: true });
      try {
        const preview = await deps.api.profiles.check(profile, profilePath);
        // A slower answer to an older edit must not overwrite the answer to a newer one.
        if (mine === seq) set({ preview, profileError: null });
      } catch (e) {
        if (mine === seq) set({ profileError: toErrorInfo(e) });
      } finally {
        if (mine === seq) set({ isChecking: false });
      }
    },
    openProfile: async () => {
      try {
        const picked = await deps.api.dialogs.openFile('profile');
        if (picked) adopt(await deps.api.profiles.load(picked.path));
      } catch (e) {
        set({ profileError: toErrorInfo(e) });
      }
    },
    importProfileText: async (text, fileName) => {
      try {
        adopt(await deps.api.profiles.parse(text, /\.json$/i.test(fileName) ? 'json' : 'yaml'));
      } catch (e) {
        set({ profileError: toErrorInfo(e) });
      }
    },
    pickFile: async (purpose) => {
      try {
        return await deps.api.dialogs.openFile(purpose);
      } catch (e) {
        set({ profileError: toErrorInfo(e) });
        return null;
      }
    },
    importInstaller: async (kind) => {
      try {
        const path = kind === 'folder' ? await deps.api.dialogs.openFolder('installer') : (await deps.api.dialogs.openFile('installer'))?.path;
        if (!path) return;
        const bundle = await deps.api.profiles.readInstaller(path);
        get().setProfileField(['standalone', 'installer', 'files'], bundle.files);
      } catch (e) {
        set({ profileError: toErrorInfo(e) });
      }
    },
    pickFolder: async (purpose) => {
      try {
        return await deps.api.dialogs.openFolder(purpose);
      } catch (e) {
        set({ profileError: toErrorInfo(e) });
        return null;
      }
    },
    saveProfile: async (isSaveAs = false) => {
      const { profile, profilePath, profileFormat } = get();
      if (!profile) return;
      try {
        const suggested = `${profile.name.replace(/[^A-Za-z0-9._-]+/g, '-') || 'site'}.${profileFormat === 'json' ? 'json' : 'yaml'}`;
        const path = !isSaveAs && profilePath ? profilePath : await deps.api.dialogs.saveFile('profile', suggested);
        if (!path) return;
        await deps.api.profiles.save(path, profile);
        set({ profilePath: path, isProfileDirty: false, profileError: null });
      } catch (e) {
        set({ profileError: toErrorInfo(e) });
      }
    },
  };
};
