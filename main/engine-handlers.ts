import type { Contract } from '../app/contract/api';
import type { Handlers } from './handler-types';
import type { ShellNamespaces } from './shell-handlers';
import type { EngineContext } from './engine/context';
import { releaseHandlers } from './engine/release-handlers';
import { profileHandlers } from './engine/profile-handlers';
import { flashHandlers } from './engine/flash-handlers';
import { buildHandlers } from './engine/build-handlers';

export type { EngineContext };
export type EngineNamespaces = Exclude<keyof Contract, ShellNamespaces>;

/**
 * The engine side of the contract: each call mapped onto the engine function that does the work.
 * Node only, no Electron: Electron main and the Playwright bridge both serve the UI with these.
 */
export function createEngineHandlers(ctx: EngineContext): Pick<Handlers<Contract>, EngineNamespaces> {
  return { ...releaseHandlers(ctx), ...profileHandlers(), ...flashHandlers(ctx), ...buildHandlers(ctx) };
}
