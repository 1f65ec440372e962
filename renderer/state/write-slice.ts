import type { EjectTargetResult, WriteResult } from '../../app/contract/drives';
import { toErrorInfo } from '../../app/contract/api';
import { runJob } from './jobs-slice';
import { reportFileName, writeReport } from './report';
import { selectedTargets, writeBlock, writeSource } from './selectors';
import type { JobState, Slice } from './store-types';

export interface WriteSlice {
  isVerifying: boolean;
  isEjecting: boolean;
  /** An existing image chosen to write without building (Tools, or re-writing an earlier ISO). */
  writeSourceFile: string | null;
  writeJob: JobState | null;
  /** Devices of the write in progress (or the last one), in the order chosen. */
  writeTargets: string[];
  writeResult: WriteResult | null;
  reportPath: string | null;
  /** The eject the Done screen started for sticks the write left attached. */
  ejectJob: JobState | null;
  /** How each stick ended its eject, by device. */
  ejected: Record<string, EjectTargetResult>;
  setVerifying(isOn: boolean): void;
  setEjecting(isOn: boolean): void;
  startWrite(): Promise<void>;
  /** "Write more sticks": the same image, new sticks. */
  writeAgain(): void;
  /** "Make another": keep the release and profile, build again (for the next device). */
  makeAnother(): void;
  /** Asks where, then saves the report of this build and write. */
  saveReport(): Promise<void>;
  /** Powers down these sticks of the last write (through the privileged writer). */
  ejectSticks(devices: readonly string[]): Promise<void>;
}

export const createWriteSlice: Slice<WriteSlice> = (deps) => (set, get) => ({
  isVerifying: true,
  isEjecting: true,
  writeSourceFile: null,
  writeJob: null,
  writeTargets: [],
  writeResult: null,
  reportPath: null,
  ejectJob: null,
  ejected: {},
  setVerifying: (isOn) => set({ isVerifying: isOn }),
  setEjecting: (isOn) => set({ isEjecting: isOn }),
  startWrite: async () => {
    const s = get();
    if (writeBlock(s) !== null) return;
    const source = writeSource(s);
    if (!source) return;
    const targets = selectedTargets(s);
    set({ writeTargets: targets.map((t) => t.device), writeResult: null, ejectJob: null, ejected: {} });
    const r = await runJob(deps, (job) => set({ writeJob: job }), s.forgetProgress, (jobId) =>
      deps.api.flash.write(jobId, { source, targets, verify: s.isVerifying, eject: s.isEjecting, acceptWarnings: s.hasAcceptedWarnings }),
    );
    if (!r.ok) return;
    // A cancel reaches the writer as a per-stick E_CANCELLED: the user's own doing, not a failure.
    const isCancelled = r.value.targets.length > 0 && r.value.targets.every((t) => t.error?.code === 'E_CANCELLED');
    if (isCancelled) set({ writeJob: { ...get().writeJob!, status: 'cancelled', error: null } });
    else set({ writeResult: r.value, step: 'done' });
  },
  ejectSticks: async (devices) => {
    const s = get();
    if (devices.length === 0 || s.ejectJob?.status === 'running') return;
    // A system drive the user typed the name of to write it needs the same name to be ejected.
    const targets = devices.map((device) => (s.typedNames[device] ? { device, typedName: s.typedNames[device] } : { device }));
    const r = await runJob(deps, (job) => set({ ejectJob: job }), s.forgetProgress, (jobId) => deps.api.flash.eject(jobId, { targets }));
    if (r.ok) set((now) => ({ ejected: { ...now.ejected, ...Object.fromEntries(r.value.targets.map((t) => [t.device, t])) } }));
  },
  writeAgain: () => {
    get().clearDriveSelection();
    set({ writeJob: null, writeResult: null, writeTargets: [], reportPath: null, step: 'write' });
  },
  saveReport: async () => {
    const s = get();
    const now = new Date();
    try {
      const path = await deps.api.dialogs.saveText('report', reportFileName(s, now), `${JSON.stringify(writeReport(s, now), null, 2)}\n`);
      if (path) set({ reportPath: path });
    } catch (e) {
      set({ writeJob: s.writeJob ? { ...s.writeJob, error: toErrorInfo(e) } : null });
    }
  },
  makeAnother: () => {
    get().clearDriveSelection();
    set({ writeJob: null, writeResult: null, writeTargets: [], reportPath: null, buildJob: null, buildResult: null, buildOutput: null, password: '', step: 'customize' });
  },
});
