import { buildCommand } from './build';
import { cacheCommand } from './cache';
import type { Command } from './command';
import { downloadCommand } from './download';
import { drivesCommand } from './drives';
import { flashCommand } from './flash';
import { inspectCommand } from './inspect';
import { profileCommand } from './profile';
import { releasesCommand } from './releases';
import { restoreCommand } from './restore';
import { verifyCommand } from './verify';

/** Every `emt-media` command, in the order --help lists them. Each lives in its own file. */
export const commands: Command[] = [buildCommand, inspectCommand, releasesCommand, downloadCommand, cacheCommand, profileCommand, drivesCommand, flashCommand, verifyCommand, restoreCommand];
