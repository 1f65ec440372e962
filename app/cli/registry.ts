import { cacheCommand } from './cache';
import type { Command } from './command';
import { downloadCommand } from './download';
import { profileCommand } from './profile';
import { releasesCommand } from './releases';

/** Every `emt-media` command, in the order --help lists them. Each lives in its own file. */
export const commands: Command[] = [releasesCommand, downloadCommand, cacheCommand, profileCommand];
