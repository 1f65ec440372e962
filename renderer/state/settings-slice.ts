import type { SettingsInfo, SettingsPatch } from '../../app/contract/settings';
import type { ErrorInfo } from '../../app/contract/jobs';
import type { AppInfo } from '../../app/contract/api';
import { toErrorInfo } from '../../app/contract/api';
import type { Slice } from './store-types';

export interface SettingsSlice {
  appInfo: AppInfo | null;
  settings: SettingsInfo | null;
  settingsError: ErrorInfo | null;
  isSavingSettings: boolean;
  loadSettings(): Promise<void>;
  /** Saves a change; true when the engine accepted it. */
  saveSettings(patch: SettingsPatch): Promise<boolean>;
  openLogs(): Promise<void>;
  showInFolder(path: string): Promise<void>;
  openLink(url: string): Promise<void>;
}

export const createSettingsSlice: Slice<SettingsSlice> = (deps) => (set) => ({
  appInfo: null,
  settings: null,
  settingsError: null,
  isSavingSettings: false,
  loadSettings: async () => {
    try {
      const [appInfo, settings] = await Promise.all([deps.api.app.info(), deps.api.settings.get()]);
      set({ appInfo, settings, settingsError: null });
    } catch (e) {
      set({ settingsError: toErrorInfo(e) });
    }
  },
  openLogs: async () => {
    await deps.api.shell.openLogs().catch((e: unknown) => set({ settingsError: toErrorInfo(e) }));
  },
  showInFolder: async (path) => {
    await deps.api.shell.showInFolder(path).catch((e: unknown) => set({ settingsError: toErrorInfo(e) }));
  },
  openLink: async (url) => {
    await deps.api.shell.openExternal(url).catch((e: unknown) => set({ settingsError: toErrorInfo(e) }));
  },
  saveSettings: async (patch) => {
    set({ isSavingSettings: true });
    try {
      set({ settings: await deps.api.settings.update(patch), settingsError: null });
      return true;
    } catch (e) {
      set({ settingsError: toErrorInfo(e) });
      return false;
    } finally {
      set({ isSavingSettings: false });
    }
  },
});
