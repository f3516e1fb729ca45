import { defineConfig } from 'vitest/config';

/**
 * Files that load the app's function modules (directly or through the local Functions host, as `npm start` does)
 * share what a Functions worker holds once per process: the registered functions and the wiring built from the
 * settings. Each of them gets a fresh process. Every other file runs in a worker that keeps its loaded modules from
 * one file to the next (`isolate: false`): importing the Azure SDKs once per worker instead of once per file is most of
 * what the run saves.
 */
const APP_PROCESS_FILES = [
  'test/functions/**/*.test.ts',
  'test/local/**/*.test.ts',
  'test/dashboard/**/*.test.ts',
  'test/jobs/*.e2e.test.ts',
  'test/jobs/*.function*.test.ts',
  'test/cli/run.test.ts',
];

export default defineConfig({
  test: {
    // Seeds fast-check and the emulator's faults (TEST_SEED, default 1) and prints the seed when a test fails.
    setupFiles: ['test/support/seed.ts'],
    // One Azurite per worker for the whole run (test/support/azurite.ts hands it to a file, emptied).
    globalSetup: ['test/support/globalSetup.ts'],
    // Deadlines for a hung test, not expectations of speed: the machine is shared, and nothing waits for them to pass.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    expect: { poll: { timeout: 60_000, interval: 20 } },
    pool: 'forks',
    // Suites that start Azurite and the emulator are I/O bound; two cores run four files well.
    maxWorkers: 4,
    // The dashboard's stylesheet is imported as text (`?raw`); without this vitest hands an empty string.
    css: { include: [/web\/dashboard\/.+\.css/] },
    projects: [
      { extends: true, test: { name: 'app-process', include: APP_PROCESS_FILES } },
      { extends: true, test: { name: 'shared-worker', include: ['test/**/*.test.ts'], exclude: APP_PROCESS_FILES, isolate: false } },
    ],
  },
});
