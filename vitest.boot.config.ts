import { defineConfig } from 'vitest/config';
import { testHomeEnv } from './scripts/test-home';

// The slow suite: real boots of the media under QEMU (software emulation) and real block
// devices. Two boots at a time: the CI machine has two cores.
export default defineConfig({
  test: {
    env: testHomeEnv(),
    globalSetup: ['./scripts/test-home.ts'],
    name: 'boot',
    environment: 'node',
    include: ['e2e/boot/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 900_000,
    maxWorkers: 2,
    fileParallelism: true,
  },
});
