import type { MenuCommand } from '../../app/contract/api';
import type { Slice } from './store-types';

export const STEPS = ['release', 'mode', 'customize', 'review', 'build', 'write', 'done'] as const;
export type Step = (typeof STEPS)[number];

/** Views outside the wizard, opened from the header or the application menu. */
export type Tool = MenuCommand;

export interface WizardSlice {
  step: Step;
  /** A tool shown over the wizard; the wizard keeps its place underneath. */
  tool: Tool | null;
  goTo(step: Step): void;
  openTool(tool: Tool): void;
  closeTool(): void;
}

export const createWizardSlice: Slice<WizardSlice> = () => (set) => ({
  step: 'release',
  tool: null,
  goTo: (step) => set({ step, tool: null }),
  openTool: (tool) => set({ tool }),
  closeTool: () => set({ tool: null }),
});
