// Electron main process: one secure window, the IPC gate, the desktop effects of long jobs.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeTheme, Notification, powerSaveBlocker, protocol, session, shell, webContents } from 'electron';
import { contract, events } from '../app/contract/api';
import { APP_ENTRY, APP_SCHEME } from './app-origin';
import { APP_SCHEME_PRIVILEGES, serveAppRequest } from './app-protocol';
import { Gate } from './gate';
import { registerGate, isTrustedAppSender } from './ipc';
import { JobRegistry } from './job-registry';
import { createJobEffects } from './job-effects';
import { createFileLogger } from './log';
import { buildMenuTemplate } from './menu';
import { denyAllPermissions, lockDownContents } from './navigation';
import { openExternalSafely } from './external-links';
import { createShellHandlers } from './shell-handlers';
import { createEngineHandlers } from './engine-handlers';
import { packagedWriterEnv } from './writer-path';
import { runWriterEntry, writerEntryArgs } from './writer-entry';
import { mainWindowOptions } from './window-options';
import { mainStrings } from './strings';
import { shouldKeepOpen } from './quit-guard';
import { platformName } from './platform-name';

const DOCS_URL = 'https://github.com/open-edge-platform/edge-microvisor-toolkit';

// Started as the privileged writer (an AppImage run by pkexec, main/writer-entry.ts): no window,
// no single-instance lock, nothing of the app; the writer's exit code is ours.
const writerArgs = writerEntryArgs(process.argv);
if (writerArgs) {
  process.exit(runWriterEntry(writerArgs, { execPath: process.execPath, bundleDir: __dirname, env: process.env, spawnSync }));
} else {
  // Before ready: the sandbox for every renderer, and the app:// scheme as a secure standard origin.
  app.enableSandbox();
  protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
  if (!app.requestSingleInstanceLock()) {
    app.quit();
  } else {
    void app.whenReady().then(start);
  }
}

function start(): void {
  const log = createFileLogger(join(app.getPath('logs'), 'main.log'));
  log.info('start', { version: app.getVersion(), platform: process.platform, isPackaged: app.isPackaged });
  const rendererDir = join(__dirname, '..', 'renderer');
  const canOpenDevTools = !app.isPackaged;
  let win: BrowserWindow | null = null;

  protocol.handle(APP_SCHEME, (request) => serveAppRequest(rendererDir, request));
  denyAllPermissions(session.defaultSession);
  const openLink = (url: string): void => void openExternalSafely(shell, url, log);
  app.on('web-contents-created', (_event, contents) => lockDownContents(contents, openLink));

  const jobs = new JobRegistry();
  const effects = createJobEffects({
    powerSaveBlocker,
    window: () => win,
    notify: (title, body) => {
      if (Notification.isSupported()) new Notification({ title, body }).show();
    },
  });
  // The engine reads its templates from assets/ (inside app.asar when packaged, the checkout otherwise).
  process.env.EMT_ASSETS_DIR ??= join(app.getAppPath(), 'assets');
  // The packaged writer runs on Electron's own Node: through a launcher that the polkit policy
  // names, or in an AppImage as the AppImage itself (main/writer-path.ts).
  if (app.isPackaged) Object.assign(process.env, packagedWriterEnv(process.resourcesPath, process.platform, process.env));
  const handlers = {
    ...createShellHandlers({
      info: { name: mainStrings.appName, version: app.getVersion(), platform: platformName(process.platform), logFile: log.file, isTestBridge: false },
      shell,
      dialog,
      jobs,
      log,
    }),
    ...createEngineHandlers({ env: process.env, cwd: app.getPath('home'), builds: new Map(), ...(app.isPackaged ? { resourcesPath: process.resourcesPath } : {}) }),
  };
  const gate = new Gate(
    contract,
    handlers,
    {
      events,
      isTrustedSender: isTrustedAppSender,
      send: (channel, payload, to) => {
        const targets = to === undefined ? BrowserWindow.getAllWindows().map((w) => w.webContents) : [webContents.fromId(Number(to))];
        for (const t of targets) if (t && !t.isDestroyed()) t.send(channel, payload);
      },
      log,
      jobs,
      observer: effects,
    },
  );
  registerGate(ipcMain, gate);

  const menu = buildMenuTemplate(
    {
      openSettings: () => gate.emit('menuCommand', 'settings'),
      openTool: (tool) => gate.emit('menuCommand', tool),
      openLogs: () => void shell.openPath(log.file),
      openDocs: () => openLink(DOCS_URL),
      about: () => gate.emit('menuCommand', 'about'),
    },
    process.platform,
    canOpenDevTools,
  );
  Menu.setApplicationMenu(Menu.buildFromTemplate(menu));

  const createWindow = (): void => {
    win = new BrowserWindow(mainWindowOptions({ preloadPath: join(__dirname, 'preload.cjs'), isDark: nativeTheme.shouldUseDarkColors, canOpenDevTools }));
    const contents = win.webContents;
    const senderId = String(contents.id);
    win.once('ready-to-show', () => win?.show());
    win.on('close', (event) => {
      if (win && shouldKeepOpen(effects.runningWrites(), (o) => dialog.showMessageBoxSync(win!, o))) event.preventDefault();
    });
    win.on('closed', () => {
      jobs.cancelAll(senderId);
      win = null;
    });
    contents.on('render-process-gone', (_e, details) => log.error('renderer gone', { reason: details.reason }));
    void win.loadURL(APP_ENTRY);
  };

  app.on('second-instance', () => {
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('activate', () => {
    if (!win) createWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  createWindow();
}
