/**
 * Every sentence the main process shows (menu, dialogs, notifications), in one place, ready for
 * translation. The renderer's catalog is renderer/i18n/en.ts; the two layers cannot share a module.
 */
export const mainStrings = {
  appName: 'EMT Media Builder',
  menu: {
    file: 'File',
    settings: 'Settings…',
    quit: 'Quit',
    tools: 'Tools',
    inspect: 'Inspect a stick or ISO…',
    restore: 'Restore a stick…',
    view: 'View',
    help: 'Help',
    openLogs: 'Open logs',
    documentation: 'Bootkit (EMT-Tink) documentation',
    about: 'About EMT Media Builder',
  },
  quitWhileWriting: {
    title: 'A write is still running',
    message: 'Sticks are being written. Quitting now leaves them unusable.',
    detail: 'Let the write finish, or cancel it first. Cancelled sticks can be written again.',
    keep: 'Keep writing',
    quit: 'Quit anyway',
  },
  notify: {
    done: (what: string) => `${what} finished`,
    failed: (what: string) => `${what} failed`,
  },
  jobNames: {
    'release.download': 'Download',
    'build.run': 'Build',
    'flash.write': 'Write',
  } as Record<string, string>,
  jobFallbackName: 'Task',
} as const;
