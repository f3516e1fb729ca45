import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'warden-start-'));
const run = (env: Record<string, string> = {}, args = ['--once'], timeout = 90_000) =>
  spawnSync(process.execPath, ['dist/local/start.js', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout,
    env: { ...process.env, PITR_WARDEN_LOCAL_SETTINGS: join(scratch, 'settings.json'), ...env },
  });

describe('npm start (the local runner on embedded defaults)', () => {
  beforeAll(() => {
    // What `npm start` does first; fast with esbuild.
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'pipe' });
  }, 60_000);

  it('starts Azurite and the emulator, shows every function of the bundle, and governs the demo estate', () => {
    // The whole demo, PostgreSQL of pg-orders-prod and its drill included: a hung-test bound for a loaded machine.
    const result = run({}, ['--once'], 240_000);
    expect(result.status, result.stderr).toBe(0);
    for (const fn of ['onResourceEvent', 'onActivityLogAlert', 'reconcile', 'health'])
      expect(result.stdout).toContain(fn);
    expect(result.stdout).toMatch(/ARM emulator\s+https:\/\/127\.0\.0\.1:\d+/);
    expect(result.stdout).toMatch(/reconcile: \d+ servers in 2 subscriptions, [1-9]\d* clones/);
    expect(result.stdout).toMatch(/reconcile \(timer\) succeeded/);
    expect(result.stdout).toMatch(/sendOwnerNotices: [1-9]\d* owner\(s\) due, [1-9]\d* digest\(s\) sent/);
    expect(result.stdout).toMatch(/deleteExpiredClones \(dry-run\): .* 0 deleted/);
    // The demo policy's drill of pg-orders-prod, on its real PostgreSQL data: restored, validated, deleted.
    expect(result.stdout).toMatch(/runRestoreDrills: 1 drill\(s\) run, 0 kept clone\(s\) deleted, 0 could not start/);
    expect(result.stdout).toMatch(/drill drill-orders-nightly-\d{12} of pg-orders-prod: passed/);
  }, 250_000);

  it('bundles the app without test code or the local sandbox', () => {
    const inputs = JSON.parse(readFileSync(`${root}/dist/app-inputs.json`, 'utf8')) as string[];
    expect(inputs).toContain('functions/index.ts');
    expect(
      inputs.filter(
        (i) =>
          i.startsWith('test/') || i.startsWith('src/local/') || i.startsWith('src/cli/') || i.startsWith('bench/'),
      ),
    ).toEqual([]);
    expect(inputs.some((i) => i.includes('node_modules/azurite') || i.includes('node_modules/vitest'))).toBe(false);
  });

  it('refuses bad settings with one message naming each of them, and exits non-zero', () => {
    const result = run({ SWEEP_MODE: 'yolo', MAIL_LIMIT_PER_MINUTE: '-1', FALLBACK_MAILBOX: 'not-an-address' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Invalid settings (3)');
    for (const name of ['SWEEP_MODE', 'MAIL_LIMIT_PER_MINUTE', 'FALLBACK_MAILBOX'])
      expect(result.stderr).toContain(name);
    expect(result.stdout).not.toContain('is running locally');
  }, 90_000);

  it('stops at once on a missing policy file, naming POLICY_PATH, with nothing started', () => {
    const result = run({ POLICY_PATH: join(scratch, 'missing-policy.json') });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `POLICY_PATH: cannot read the policy file "${join(scratch, 'missing-policy.json')}": no such file`,
    );
    expect(result.stdout).not.toContain('is running locally');
    expect(result.stdout).not.toContain('reconcile');
  }, 90_000);

  it('stops at once on an invalid policy, listing every problem under POLICY_PATH together with bad settings', () => {
    const broken = join(scratch, 'broken-policy.json');
    writeFileSync(
      broken,
      JSON.stringify({ rules: [{ type: 'expiry', mode: 'enforce', defaultLifetimeDays: 0 }, { type: 'sweep' }] }),
    );
    const result = run({ POLICY_PATH: broken, SWEEP_MODE: 'yolo' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/Invalid settings \([3-9]\)/);
    expect(result.stderr).toContain('SWEEP_MODE');
    expect(
      result.stderr.split('\n').filter((l) => l.includes(`POLICY_PATH: ${broken}: `)).length,
    ).toBeGreaterThanOrEqual(2);
    expect(result.stdout).not.toContain('is running locally');
  }, 90_000);

  it("does not silently replace an invalid GOVERNED_SUBSCRIPTION_IDS with the emulator's subscriptions", () => {
    const result = run({ GOVERNED_SUBSCRIPTION_IDS: 'prod-sub-1' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('GOVERNED_SUBSCRIPTION_IDS');
    expect(result.stderr).toContain('"prod-sub-1"');
  }, 90_000);

  it('a second `npm start` refuses, naming the running one, while that one lives', () => {
    const settings = join(scratch, 'running.json');
    // This test process plays the running stack: its pid is alive.
    writeFileSync(
      settings,
      JSON.stringify({
        PITR_WARDEN_LOCAL_PID: String(process.pid),
        PITR_WARDEN_LOCAL_STARTED_AT: '2026-12-05T07:00:00.000Z',
        PITR_WARDEN_LOCAL_HTTP_URL: 'http://127.0.0.1:7071',
      }),
    );
    const result = run({ PITR_WARDEN_LOCAL_SETTINGS: settings }, []);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `another local stack is running (pid ${process.pid}, started 2026-12-05T07:00:00.000Z, functions at http://127.0.0.1:7071)`,
    );
    expect(JSON.parse(readFileSync(settings, 'utf8'))).toMatchObject({ PITR_WARDEN_LOCAL_PID: String(process.pid) });
  }, 90_000);
});
