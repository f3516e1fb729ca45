import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Suites that start Azurite and the emulator are I/O bound; two cores run four files well.
    maxWorkers: 4,
    // The dashboard's stylesheet is imported as text (`?raw`); without this vitest hands an empty string.
    css: { include: [/web\/dashboard\/.+\.css/] },
  },
});
