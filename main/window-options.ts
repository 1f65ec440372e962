/**
 * The main window's web preferences: every setting of the Electron security checklist that has
 * one is written out explicitly, even where it is Electron's default, so that a reviewer (or a
 * scanner that predates the defaults) sees it and a future default change cannot loosen it.
 */
export function secureWebPreferences(preloadPath: string, canOpenDevTools = false) {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    devTools: canOpenDevTools,
    safeDialogs: true,
  } as const;
}

export interface MainWindowSetup {
  preloadPath: string;
  iconPath?: string;
  /** Dark background while the page loads when the OS is dark, so the window does not flash white. */
  isDark: boolean;
  /** Developer tools only in unpackaged runs. */
  canOpenDevTools: boolean;
}

export function mainWindowOptions({ preloadPath, iconPath, isDark, canOpenDevTools }: MainWindowSetup) {
  return {
    width: 1180,
    height: 800,
    minWidth: 880,
    minHeight: 600,
    show: false,
    title: 'EMT Media Builder',
    ...(iconPath ? { icon: iconPath } : {}),
    backgroundColor: isDark ? '#1b1d21' : '#f7f8fa',
    autoHideMenuBar: false,
    webPreferences: secureWebPreferences(preloadPath, canOpenDevTools),
  };
}
