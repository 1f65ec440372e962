import { stat } from 'node:fs/promises';
import type { AppInfo, Contract } from '../app/contract/api';
import { EmtError } from '../app/errors';
import type { Handlers } from './handler-types';
import type { JobRegistry } from './job-registry';
import { createDialogHandlers, type DialogLike } from './dialogs';
import { openExternalSafely, type ShellLike } from './external-links';
import type { Logger } from './log';

/** The namespaces main answers itself; the engine's live in engine-handlers.ts. */
export type ShellNamespaces = 'app' | 'shell' | 'dialogs' | 'jobs';

export interface ShellDeps {
  info: AppInfo;
  shell: ShellLike & { openPath(path: string): Promise<string>; showItemInFolder(path: string): void };
  dialog: DialogLike;
  jobs: JobRegistry;
  log: Logger;
}

/** The desktop side of the contract: app info, links, logs, native dialogs and job cancel. */
export function createShellHandlers(deps: ShellDeps): Pick<Handlers<Contract>, ShellNamespaces> {
  return {
    app: { info: () => deps.info },
    shell: {
      openExternal: async (_ctx, url) => {
        if (!(await openExternalSafely(deps.shell, url, deps.log))) {
          throw new EmtError('E_LINK_BLOCKED', 'That link points outside the places this app may open.', 'Copy the address and open it in your browser if you trust it.');
        }
      },
      openLogs: async () => {
        const problem = await deps.shell.openPath(deps.log.file);
        if (problem) throw new EmtError('E_OPEN_FAILED', `The log file could not be opened: ${problem}.`, `Open ${deps.log.file} with a text editor.`);
      },
      showInFolder: async (_ctx, path) => {
        // Only existing files: the page cannot make the file manager wander to arbitrary strings.
        await stat(path).catch(() => {
          throw new EmtError('E_NOT_FOUND', `${path} does not exist any more.`, 'It may have been moved or deleted.');
        });
        deps.shell.showItemInFolder(path);
      },
    },
    dialogs: createDialogHandlers(deps.dialog),
    jobs: { cancel: (ctx, jobId) => deps.jobs.cancel(ctx.senderId, jobId) },
  };
}
