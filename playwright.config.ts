import { defineConfig } from '@playwright/test';

/**
 * The UI suite: the production renderer build in Debian's Chromium, with `window.emt` served by
 * the test bridge (e2e/ui/bridge) from the real engine. One worker: the flows build ISOs and write
 * loop devices, and CI has two cores. Where an Electron binary exists, EMT_E2E_ELECTRON=1 adds the
 * `electron` project: the same flows in the real app (e2e/ui/README.md).
 */
// The engine runs inside the test workers (the bridge). Some engine modules import JSON without an
// import attribute (app/version.ts), which Node's ESM loader refuses and tsx's accepts.
if (!/--import[= ]tsx\b/.test(process.env.NODE_OPTIONS ?? '')) process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import tsx`.trim();

const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export default defineConfig<{ isElectron: boolean }>({
  testDir: 'e2e/ui',
  testMatch: '**/*.spec.ts',
  outputDir: 'test-results/ui',
  globalSetup: './e2e/ui/support/global-setup.ts',
  timeout: 300_000,
  expect: { timeout: 30_000 },
  workers: 1,
  fullyParallel: false,
  retries: 0,
  // npm test (scripts/test-all.mjs) reads the counts from the JSON report it names.
  reporter: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ? [['list'], ['json']] : [['list']],
  use: {
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    actionTimeout: 30_000,
    viewport: { width: 1280, height: 860 },
  },
  projects: [
    {
      name: 'chromium-bridge',
      use: { browserName: 'chromium', headless: true, launchOptions: { executablePath: '/usr/bin/chromium', args: chromiumArgs } },
    },
    // Tests tagged @bridge reach into the bridge (a menu event, pausing the writer): browser only.
    ...(process.env.EMT_E2E_ELECTRON === '1' ? [{ name: 'electron', use: { isElectron: true }, grepInvert: /@bridge/ }] : []),
  ],
});
