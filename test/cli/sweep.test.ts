import { describe, expect, it } from 'vitest';
import { sweepCommand } from '../../src/cli/commands/sweep.js';
import type { SweepResult } from '../../src/jobs/sweep.js';
import { cloneServer, memoryDeps, noticesFor, rowsFor } from '../jobs/sweepSeed.js';

const NOW = '2026-12-10T10:00:00Z';

async function world(o: { acceptDeletes?: boolean } = {}) {
  const expired = cloneServer('pg-expired', '2026-12-01');
  const hold = cloneServer('pg-hold', '2026-12-01', { tags: { LegalHold: 'CASE-9' } });
  const notices = {
    [expired.key]: noticesFor(expired, { finalAt: '2026-12-01T09:00:00Z' }),
    [hold.key]: noticesFor(hold, { finalAt: '2026-12-01T09:00:00Z' }),
  };
  const t = await memoryDeps({
    now: NOW,
    servers: [expired, hold],
    rows: rowsFor([expired, hold], new Date('2026-12-09T00:00:00Z'), notices),
    ...o,
  });
  return { ...t, expired, hold };
}

/** Runs `pitr-warden sweep <args>` in-process on memory adapters. */
async function run(
  args: string[],
  t: Awaited<ReturnType<typeof world>>,
  sweepSettings = {
    mode: 'enforce' as const,
    maxDeletionsPerRun: 10,
    maxDeletionPercent: 100,
    maxDisagreementPercent: 25,
    concurrencyPerSubscription: 8,
  },
) {
  const out: string[] = [];
  const err: string[] = [];
  const progress: string[] = [];
  let exitCode: number | undefined;
  const command = sweepCommand({
    io: { out: (text) => out.push(text), err: (text) => err.push(text) },
    deps: () => Promise.resolve({ ...t.deps, config: { sweep: sweepSettings } }),
    setExitCode: (code) => (exitCode = code),
    onProgress: (done, total, label) => progress.push(`${label} ${done}/${total}`),
    pollIntervalMs: 1,
  });
  command.exitOverride().configureOutput({ writeOut: (text) => out.push(text), writeErr: (text) => err.push(text) });
  await command.parseAsync(args, { from: 'user' });
  return { stdout: out.join('\n'), stderr: err.join(''), exitCode, progress };
}

const deletes = (t: Awaited<ReturnType<typeof world>>) => t.servers.calls.filter((c) => c.op === 'delete').length;

describe('pitr-warden sweep', () => {
  it('is a dry-run by default even when SWEEP_MODE=enforce: a table of what would be deleted, no DELETE', async () => {
    const t = await world();
    const result = await run([], t);
    expect(deletes(t)).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^Sweep \(dry-run\) at 2026-12-10T10:00:00.000Z: 2 server\(s\) in 1 subscription\(s\), 2 known clone\(s\), 1 eligible, cap 2$/,
    );
    expect(lines[2]).toMatch(/^SERVER\s+ACTION\s+REASON$/);
    expect(result.stdout).toMatch(/pg-expired\s+would delete\s+expired 2026-12-01T00:00:00Z/);
    expect(result.stdout).toMatch(/pg-hold\s+held\s+legal-hold/);
    expect(result.exitCode).toBeUndefined();
    expect(result.progress).toEqual(['list 1/1']);
  });

  it('--enforce deletes and prints JSON with --output json', async () => {
    const t = await world();
    const result = await run(['--enforce', '--output', 'json'], t);
    const json = JSON.parse(result.stdout) as SweepResult;
    expect(json.mode).toBe('enforce');
    expect(json.deleted).toEqual([expect.objectContaining({ id: t.expired.id, outcome: 'deleted' })]);
    expect(deletes(t)).toBe(1);
    expect(t.servers.peek(t.hold.id)).toBeDefined();
    expect(result.progress).toEqual(['list 1/1', 'delete 1/1']);
  });

  it('--enforce reports a delete ARM accepted as requested; --wait waits for ARM, then records it deleted', async () => {
    const t = await world({ acceptDeletes: true });
    const asked = await run(['--enforce'], t);
    expect(asked.stdout).toMatch(/pg-expired\s+delete requested \(ARM deleting\)\s+expired 2026-12-01/);
    expect((await t.stores.inventory.get(t.expired.key))?.value.state).toBe('deleting');

    const u = await world({ acceptDeletes: true });
    const waited = await run(['--enforce', '--wait'], u);
    expect(waited.stdout).toMatch(/pg-expired\s+deleted \(ARM finished\)\s+expired 2026-12-01/);
    expect(waited.progress).toEqual(['list 1/1', 'delete 1/1', 'deleted by ARM 1/1']);
    expect(waited.exitCode).toBeUndefined();
    expect(waited.stderr).toBe('');
    expect((await u.stores.inventory.get(u.expired.key))?.value).toMatchObject({ state: 'deleted' });
    const kinds = (await u.stores.evidence.list(u.expired.key)).map((e) => e.kind);
    expect(kinds.filter((k) => k === 'deleting' || k === 'deleted').sort()).toEqual(['deleted', 'deleting']);
    // One DELETE; the wait only reads.
    expect(deletes(u)).toBe(1);
  });

  it('refuses --wait without --enforce, and a --wait-timeout that is not a positive number of minutes', async () => {
    const t = await world();
    expect(await run(['--wait'], t)).toMatchObject({
      exitCode: 2,
      stderr: 'pitr-warden sweep: --wait waits for deletions: give it with --enforce',
    });
    expect(await run(['--enforce', '--wait', '--wait-timeout', 'soon'], t)).toMatchObject({
      exitCode: 2,
      stderr: 'pitr-warden sweep: --wait-timeout must be a number of minutes above 0; got "soon"',
    });
    expect(t.servers.calls).toEqual([]);
  });

  it('refuses --dry-run with --enforce', async () => {
    const t = await world();
    const result = await run(['--dry-run', '--enforce'], t);
    expect(result).toMatchObject({
      exitCode: 2,
      stderr: 'pitr-warden sweep: give --dry-run or --enforce, not both',
      stdout: '',
    });
    expect(t.servers.calls).toEqual([]);
  });

  it('says STOPPED and exits 1 when a listing fails', async () => {
    const t = await world();
    t.servers.fault = (call) =>
      call.op === 'list' ? new Error('Could not list flexible servers: 403 AuthorizationFailed') : undefined;
    const result = await run(['--enforce'], t);
    expect(result.stdout.split('\n')[1]).toMatch(
      /^STOPPED, nothing deleted: listing failed for 1 of 1 subscription\(s\).*403/,
    );
    expect(result.exitCode).toBe(1);
    expect(deletes(t)).toBe(0);
  });
});
