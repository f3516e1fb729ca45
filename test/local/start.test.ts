import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = (env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['dist/local/start.js', '--once'], { cwd: root, encoding: 'utf8', timeout: 90_000, env: { ...process.env, ...env } });

describe('npm start (the local runner on embedded defaults)', () => {
  beforeAll(() => {
    // What `npm start` does first; fast with esbuild.
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'pipe' });
  }, 60_000);

  it('starts Azurite and the emulator, shows every function of the bundle, and governs the demo estate', () => {
    const result = run();
    expect(result.status, result.stderr).toBe(0);
    for (const fn of ['onResourceEvent', 'onActivityLogAlert', 'reconcile', 'health']) expect(result.stdout).toContain(fn);
    expect(result.stdout).toMatch(/ARM emulator\s+https:\/\/127\.0\.0\.1:\d+/);
    expect(result.stdout).toMatch(/reconcile: \d+ servers in 2 subscriptions, [1-9]\d* clones/);
    expect(result.stdout).toMatch(/reconcile \(timer\) succeeded/);
    expect(result.stdout).toMatch(/sendOwnerNotices: [1-9]\d* owner\(s\) due, [1-9]\d* digest\(s\) sent/);
    expect(result.stdout).toMatch(/deleteExpiredClones \(dry-run\): .* 0 deleted/);
  }, 90_000);

  it('bundles the app without test code or the local sandbox', () => {
    const inputs = JSON.parse(readFileSync(`${root}/dist/app-inputs.json`, 'utf8')) as string[];
    expect(inputs).toContain('functions/index.ts');
    expect(inputs.filter((i) => i.startsWith('test/') || i.startsWith('src/local/') || i.startsWith('src/cli/') || i.startsWith('bench/'))).toEqual([]);
    expect(inputs.some((i) => i.includes('node_modules/azurite') || i.includes('node_modules/vitest'))).toBe(false);
  });

  it('refuses bad settings with one message naming each of them, and exits non-zero', () => {
    const result = run({ SWEEP_MODE: 'yolo', MAIL_LIMIT_PER_MINUTE: '-1', FALLBACK_MAILBOX: 'not-an-address' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Invalid settings (3)');
    for (const name of ['SWEEP_MODE', 'MAIL_LIMIT_PER_MINUTE', 'FALLBACK_MAILBOX']) expect(result.stderr).toContain(name);
    expect(result.stdout).not.toContain('is running locally');
  }, 90_000);
});
