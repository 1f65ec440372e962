import { mainStrings } from './strings';

/** The message box of Electron's `dialog.showMessageBoxSync`, as the guard uses it. */
export type AskSync = (options: { type: 'warning'; title: string; message: string; detail: string; buttons: string[]; defaultId: number; cancelId: number }) => number;

/**
 * Whether closing the window must be stopped: only while sticks are being written, and only when
 * the user keeps the default answer ("Keep writing"). A half-written stick is worse than a
 * window that stays open.
 */
export function shouldKeepOpen(runningWrites: number, ask: AskSync): boolean {
  if (runningWrites === 0) return false;
  const q = mainStrings.quitWhileWriting;
  return ask({ type: 'warning', title: q.title, message: q.message, detail: q.detail, buttons: [q.keep, q.quit], defaultId: 0, cancelId: 0 }) === 0;
}
