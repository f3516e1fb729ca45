import { defineConfig } from 'vitest/config';

/**
 * Files that load the whole app (functions/index.ts, in the test process or in `npm start`'s) get a fresh process each:
 * a module is evaluated once per process, so a second entry loading the same function modules would register nothing.
 * Every other file runs in a worker that keeps its loaded modules from one file to the next (`isolate: false`):
 * importing the Azure SDKs once per worker instead of once per file is most of what the run saves. The app's
 * process-wide parts are built per settings (src/config.ts `perSettings`), and the local host remembers what each
 * entry registered, so hosting the app again with another stack's settings in the same worker is safe.
 */
const APP_PROCESS_FILES = ['test/local/**/*.test.ts', 'test/dashboard/**/*.test.ts'];

export default defineConfig({
  test: {
    // Seeds fast-check and the emulator's faults (TEST_SEED, default 1) and prints the seed when a test fails; leaves no
    // app settings in process.env for the next file of the worker.
    setupFiles: ['test/support/seed.ts', 'test/support/process.ts'],
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
      {
        extends: true,
        test: { name: 'shared-worker', include: ['test/**/*.test.ts'], exclude: APP_PROCESS_FILES, isolate: false },
      },
    ],
  },
});
