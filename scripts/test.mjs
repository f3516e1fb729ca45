// Runs vitest, shows its usual output, and closes with the line CI reads: "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';

const out = join(process.cwd(), 'test-results.json');
rmSync(out, { force: true });
// Every random choice of the run (fast-check, the emulator's faults) comes from this seed: test/support/seed.ts.
const seed = process.env.TEST_SEED || '1';
const vitest = join(process.cwd(), 'node_modules', 'vitest', 'vitest.mjs');
const run = spawnSync(
  process.execPath,
  [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    env: { ...process.env, TEST_SEED: seed, FORCE_COLOR: process.env.CI ? '0' : process.env.FORCE_COLOR },
  },
);
let passed = 0;
let failed = 0;
try {
  const report = JSON.parse(readFileSync(out, 'utf8'));
  passed = report.numPassedTests ?? 0;
  failed = (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0);
  if (run.status !== 0 && failed === 0) failed = 1;
  printSlowest(report.testResults ?? [], 10);
} catch {
  failed = Math.max(failed, 1);
}
if (failed > 0) console.log(`\nSeed of this run: TEST_SEED=${seed} (replay: TEST_SEED=${seed} npm test)`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(run.status === 0 && failed === 0 ? 0 : 1);

/** The files that took longest (import, setup and tests), to see where the run's time goes. */
function printSlowest(files, count) {
  const timed = files
    .filter((f) => typeof f.startTime === 'number' && typeof f.endTime === 'number')
    .map((f) => ({ file: relative(process.cwd(), f.name), ms: f.endTime - f.startTime }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, count);
  if (timed.length === 0) return;
  console.log(`\nSlowest ${timed.length} test files:`);
  for (const { file, ms } of timed) console.log(`${(ms / 1000).toFixed(1).padStart(7)} s  ${file}`);
}
