import { defineConfig } from 'vitest/config';
import { testHomeEnv } from './scripts/test-home';

// Fast suites: the engine and main (Node), the renderer (jsdom). The QEMU boot suite and the
// Playwright suite have their own configs (vitest.boot.config.ts, playwright.config.ts).
export default defineConfig({
  test: {
    env: testHomeEnv(),
    globalSetup: ['./scripts/test-home.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'engine',
          environment: 'node',
          include: ['app/**/*.test.ts', 'main/**/*.test.ts', 'scripts/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'renderer',
          environment: 'jsdom',
          include: ['renderer/**/*.test.ts', 'renderer/**/*.test.tsx'],
        },
      },
    ],
  },
});
