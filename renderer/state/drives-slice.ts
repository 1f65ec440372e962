import type { DriveListing, WriteSource } from '../../app/contract/api';
import { toErrorInfo } from '../../app/contract/api';
import type { ErrorInfo } from '../../app/contract/jobs';
import type { Slice } from './store-types';

export interface DrivesSlice {
  drives: DriveListing[];
  drivesError: ErrorInfo | null;
  hasListedDrives: boolean;
  /** System and internal drives are hidden unless the user asks to see them. */
  isShowingHiddenDrives: boolean;
  selectedDevices: string[];
  /** The name typed to confirm a drive the rules mark `confirm`, by device. */
  typedNames: Record<string, string>;
  /** The user said yes to the warnings shown for the selected drives. */
  hasAcceptedWarnings: boolean;
  refreshDrives(source: WriteSource | null): Promise<void>;
  toggleDrive(device: string): void;
  setTypedName(device: string, name: string): void;
  setShowHiddenDrives(isShowing: boolean): void;
  setAcceptedWarnings(isAccepted: boolean): void;
  clearDriveSelection(): void;
}

export const createDrivesSlice: Slice<DrivesSlice> = (deps) => (set, get) => ({
  drives: [],
  drivesError: null,
  hasListedDrives: false,
  isShowingHiddenDrives: false,
  selectedDevices: [],
  typedNames: {},
  hasAcceptedWarnings: false,
  refreshDrives: async (source) => {
    try {
      const drives = await deps.api.drives.list(source);
      // A stick that was pulled leaves the selection: nothing is written to a drive that is gone.
      const present = new Set(drives.map((d) => d.drive.device));
      set({ drives, drivesError: null, hasListedDrives: true, selectedDevices: get().selectedDevices.filter((d) => present.has(d)) });
    } catch (e) {
      set({ drivesError: toErrorInfo(e), hasListedDrives: true });
    }
  },
  toggleDrive: (device) => {
    const selected = get().selectedDevices;
    set({ selectedDevices: selected.includes(device) ? selected.filter((d) => d !== device) : [...selected, device], hasAcceptedWarnings: false });
  },
  setTypedName: (device, name) => set((s) => ({ typedNames: { ...s.typedNames, [device]: name } })),
  setShowHiddenDrives: (isShowing) => set({ isShowingHiddenDrives: isShowing }),
  setAcceptedWarnings: (isAccepted) => set({ hasAcceptedWarnings: isAccepted }),
  clearDriveSelection: () => set({ selectedDevices: [], typedNames: {}, hasAcceptedWarnings: false }),
});
