import type { Command } from './command';

/** Every `emt-media` command, in the order --help lists them. Each lives in its own file. */
export const commands: Command[] = [];
