// One seed for every random choice of a test run: fast-check properties and the emulator's probabilistic faults.
// `TEST_SEED=<n> npm test` replays a run; a failing test prints the seed it ran with.
import fc from 'fast-check';
import { beforeEach } from 'vitest';

function readSeed(value: string | undefined): number {
  if (value === undefined || value === '') return 1;
  const seed = Number(value);
  if (!Number.isSafeInteger(seed)) throw new Error(`TEST_SEED must be an integer, got "${value}".`);
  return seed;
}

export const TEST_SEED = readSeed(process.env.TEST_SEED);

fc.configureGlobal({ seed: TEST_SEED });
// Emulators started by this worker draw their faults from the same seed (unless a test passes its own).
process.env.EMULATOR_SEED = String(TEST_SEED);

beforeEach(({ onTestFailed }) => {
  onTestFailed(() =>
    console.error(`[seed] this run used TEST_SEED=${TEST_SEED}; replay with: TEST_SEED=${TEST_SEED} npm test`),
  );
});
