import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base, _electron, type Page } from '@playwright/test';
import { FaultServer } from '../../../app/release/testing/fault-server';
import { LoopLab } from '../../../app/flash/testing/loops';
import type { Bridge } from '../bridge/bridge-server';
import { AppPage } from '../pages/app-page';

export const ROOT = join(import.meta.dirname, '..', '..', '..');
const FIXTURE = join(ROOT, '.cache', 'fixtures', 'plain');

/** The plain fixture release (scripts/fixtures): its tarball and what fixture.json says of it. */
export function plainFixture(): { tarball: string; file: string; size: number; sha256: string } {
  const manifest = JSON.parse(readFileSync(join(FIXTURE, 'fixture.json'), 'utf8')) as { release: { file: string; size: number; sha256: string } };
  return { tarball: join(FIXTURE, manifest.release.file), ...manifest.release };
}

/** The fixture release as the test catalog lists it. */
export interface ServedRelease {
  id: string;
  buildDate: string;
  sha256: string;
  size: number;
  url: string;
}

/** What the test does in place of the operating system's dialogs (see ScriptedDesktop). */
export interface DesktopScript {
  answer(path: string | null): Promise<void>;
}

interface Fixtures {
  /** Set by the `electron` project: run the real app instead of the browser bridge. */
  isElectron: boolean;
  /** The engine acts as for a user who may not read devices (bridge only: the suite runs as root). */
  isEngineUnprivileged: boolean;
  /** A catalog on 127.0.0.1 listing the plain fixture release, served by a real HTTP server. */
  catalog: { server: FaultServer; release: ServedRelease; url: string };
  /** Fresh config and cache folders for the engine; test targets are added per test. */
  engineEnv: { env: NodeJS.ProcessEnv; dir: string; setTestTargets(paths: string[]): void };
  loops: LoopLab;
  bridge: Bridge | null;
  app: AppPage;
}

export const test = base.extend<Fixtures>({
  isElectron: [false, { option: true }],
  isEngineUnprivileged: [false, { option: true }],

  // eslint-disable-next-line no-empty-pattern -- Playwright reads the parameter list: {} asks for no other fixture.
  catalog: async ({}, use) => {
    const manifest = { release: plainFixture() };
    const buildDate = /(\d{8})/.exec(manifest.release.file)![1]!;
    const server = await FaultServer.start();
    const path = `/files-edge-orch/repository/microvisor/uos/${manifest.release.file}`;
    server.serve(path, { body: readFileSync(join(FIXTURE, manifest.release.file)) });
    const release: ServedRelease = { id: `fixture-${buildDate}`, buildDate, sha256: manifest.release.sha256, size: manifest.release.size, url: server.url(path) };
    const catalog = {
      schemaVersion: 1,
      name: 'Lab catalog',
      releases: [{ kind: 'bootkit', id: release.id, name: 'Lab Bootkit', line: 'lab', buildDate, url: release.url, size: release.size, sha256: release.sha256 }],
    };
    server.serve('/catalog.json', { body: Buffer.from(JSON.stringify(catalog)) });
    await use({ server, release, url: server.url('/catalog.json') });
    await server.close();
  },

  engineEnv: async ({ catalog }, use) => {
    const dir = mkdtempSync(join(tmpdir(), 'emt-ui-'));
    mkdirSync(join(dir, 'config'));
    // The catalog is a setting, as a support person would add it.
    writeFileSync(join(dir, 'config', 'settings.json'), JSON.stringify({ version: 1, catalogs: [catalog.url] }));
    const env: NodeJS.ProcessEnv = { ...process.env, EMT_CONFIG_DIR: join(dir, 'config'), EMT_CACHE_DIR: join(dir, 'cache'), EMT_TEST_TARGETS: '' };
    // Test targets go into the settings file, which the engine reads on every call: this reaches
    // the bridge and an already running Electron app alike.
    const setTestTargets = (paths: string[]): void => {
      const file = join(dir, 'config', 'settings.json');
      // Atomically (write, then rename): the page may be reading the settings at this moment.
      writeFileSync(`${file}.new`, JSON.stringify({ ...(JSON.parse(readFileSync(file, 'utf8')) as object), testTargets: paths }));
      renameSync(`${file}.new`, file);
    };
    await use({ env, dir, setTestTargets });
    rmSync(dir, { recursive: true, force: true });
  },

  // eslint-disable-next-line no-empty-pattern -- as above.
  loops: async ({}, use) => {
    const lab = new LoopLab('ui-lab-');
    try {
      await use(lab);
    } finally {
      lab.cleanup();
    }
  },

  bridge: async ({ isElectron, isEngineUnprivileged, engineEnv }, use) => {
    if (isElectron) return use(null);
    // Loaded here, in the worker, rather than when Playwright collects the tests: the engine needs
    // the tsx loader that playwright.config.ts gives the workers.
    const { Bridge } = await import('../bridge/bridge-server');
    const bridge = await Bridge.start({ rendererDir: join(ROOT, 'dist', 'renderer'), env: engineEnv.env, logDir: engineEnv.dir, ...(isEngineUnprivileged ? { canReadDevices: false } : {}) });
    await use(bridge);
    await bridge.close();
  },

  app: async ({ isElectron, bridge, engineEnv, page }, use, testInfo) => {
    if (!isElectron) {
      await bridge!.attach(page);
      await page.goto(`${bridge!.url}/index.html`);
      await use(new AppPage(page, testInfo, { answer: async (path) => bridge!.desktop.answer(path) }));
      return;
    }
    const electronApp = await _electron.launch({ args: [ROOT], env: engineEnv.env as Record<string, string> });
    try {
      const window: Page = await electronApp.firstWindow();
      const scripted: DesktopScript = {
        answer: (path) =>
          electronApp.evaluate(({ dialog }, p) => {
            const g = globalThis as unknown as { emtAnswers?: Array<string | null> };
            g.emtAnswers ??= [];
            g.emtAnswers.push(p);
            const next = () => g.emtAnswers!.shift() ?? null;
            dialog.showOpenDialog = (async () => {
              const a = next();
              return a === null ? { canceled: true, filePaths: [] } : { canceled: false, filePaths: [a] };
            }) as typeof dialog.showOpenDialog;
            dialog.showSaveDialog = (async () => {
              const a = next();
              return a === null ? { canceled: true } : { canceled: false, filePath: a };
            }) as typeof dialog.showSaveDialog;
          }, path),
      };
      await use(new AppPage(window, testInfo, scripted));
    } finally {
      await electronApp.close();
    }
  },
});

export { expect } from '@playwright/test';
