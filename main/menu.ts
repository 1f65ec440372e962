import { mainStrings } from './strings';

export interface MenuActions {
  openSettings(): void;
  openTool(tool: 'inspect' | 'restore'): void;
  openLogs(): void;
  openDocs(): void;
  about(): void;
}

/** The subset of Electron's MenuItemConstructorOptions we use. */
export interface MenuItemSpec {
  label?: string;
  role?: 'quit' | 'reload' | 'toggleDevTools' | 'resetZoom' | 'zoomIn' | 'zoomOut' | 'togglefullscreen' | 'appMenu' | 'editMenu' | 'windowMenu' | 'about';
  type?: 'separator';
  accelerator?: string;
  click?: () => void;
  submenu?: MenuItemSpec[];
}

/**
 * The application menu. The wizard lives in the window; the menu holds what a technician or
 * support person looks for in a menu: settings, the tools, and "Open logs".
 */
export function buildMenuTemplate(actions: MenuActions, platform: string, canOpenDevTools: boolean): MenuItemSpec[] {
  const s = mainStrings.menu;
  const isMac = platform === 'darwin';
  return [
    ...(isMac ? [{ role: 'appMenu' } as MenuItemSpec] : []),
    {
      label: s.file,
      submenu: [
        { label: s.settings, accelerator: 'CmdOrCtrl+,', click: actions.openSettings },
        ...(isMac ? [] : [{ type: 'separator' } as MenuItemSpec, { label: s.quit, role: 'quit' } as MenuItemSpec]),
      ],
    },
    { role: 'editMenu' },
    {
      label: s.tools,
      submenu: [
        { label: s.inspect, click: () => actions.openTool('inspect') },
        { label: s.restore, click: () => actions.openTool('restore') },
      ],
    },
    {
      label: s.view,
      submenu: [
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...(canOpenDevTools ? [{ role: 'reload' } as MenuItemSpec, { role: 'toggleDevTools' } as MenuItemSpec] : []),
      ],
    },
    { role: 'windowMenu' },
    {
      label: s.help,
      submenu: [
        { label: s.openLogs, click: actions.openLogs },
        { label: s.documentation, click: actions.openDocs },
        { type: 'separator' },
        { label: s.about, click: actions.about },
      ],
    },
  ];
}
