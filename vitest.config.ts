import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
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
  },
});
