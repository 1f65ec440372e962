import type { CallOutcome, ContractMap, EventMap } from '../app/contract/api';
import type { Gate, SenderInfo } from './gate';
import { isAppUrl } from './app-origin';

/** The parts of Electron's IpcMainInvokeEvent the gate looks at. */
export interface InvokeEventLike {
  readonly sender: { readonly id: number; readonly mainFrame: unknown };
  readonly senderFrame: { readonly url: string; readonly parent: unknown } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<CallOutcome>): void;
}

/** What the gate knows about the frame behind an IPC message. */
export function senderOf(event: InvokeEventLike): SenderInfo {
  const frame = event.senderFrame;
  return {
    id: String(event.sender.id),
    url: frame?.url,
    // Only the top frame of our window may call (a sub-frame has a parent).
    isMainFrame: frame !== null && frame.parent === null && event.sender.mainFrame === frame,
  };
}

/** Main's sender rule: the app's own origin, main frame only. */
export function isTrustedAppSender(sender: SenderInfo): boolean {
  return sender.isMainFrame && isAppUrl(sender.url);
}

/** Registers exactly the gate's channels with Electron's ipcMain: no other handler exists. */
export function registerGate<C extends ContractMap, E extends EventMap>(ipcMain: IpcMainLike, gate: Gate<C, E>): void {
  for (const channel of gate.channels()) {
    ipcMain.handle(channel, (event, ...args) => gate.invoke(channel, senderOf(event), args));
  }
}
