import type { StateCreator } from 'zustand';
import type { ErrorInfo } from '../../app/contract/jobs';
import type { EmtApi } from '../api';
import type { WizardSlice } from './wizard-slice';
import type { JobsSlice } from './jobs-slice';
import type { SettingsSlice } from './settings-slice';
import type { ReleaseSlice } from './release-slice';
import type { ProfileSlice } from './profile-slice';
import type { BuildSlice } from './build-slice';
import type { DrivesSlice } from './drives-slice';
import type { WriteSlice } from './write-slice';
import type { ToolsSlice } from './tools-slice';
import type { ReviewSlice } from './review-slice';

export type AppState = WizardSlice & JobsSlice & SettingsSlice & ReleaseSlice & ProfileSlice & ReviewSlice & BuildSlice & DrivesSlice & WriteSlice & ToolsSlice;

/** What the store needs from outside: the contract API and a source of job ids (tests pass their own). */
export interface StoreDeps {
  api: EmtApi;
  newJobId(): string;
  /** Delay before a profile edit is checked by the engine (0 in tests). */
  checkDelayMs: number;
}

export type Slice<T> = (deps: StoreDeps) => StateCreator<AppState, [], [], T>;

/** The state of one long job as a slice tracks it. */
export interface JobState {
  jobId: string;
  status: 'running' | 'done' | 'failed' | 'cancelled';
  error: ErrorInfo | null;
}
