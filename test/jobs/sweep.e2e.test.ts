import { ManagementLockClient } from '@azure/arm-locks';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { NoticeSent } from '../../src/domain/model.js';
import { parseSnapshotText } from '../../src/domain/snapshot.js';
import { parseExpiresOn } from '../../src/domain/tags.js';
import { sweep, type SweepOptions } from '../../src/jobs/sweep.js';
import { armClientOptions } from '../../src/local/emulator/index.js';
import { fixedClock } from '../../src/ports/clock.js';
import { build } from '../../src/wiring.js';
import { rowsFor } from './sweepSeed.js';
import { startStack, type TestStack } from '../support/stack.js';

const ESTATE = new URL('../../examples/estate.json', import.meta.url).pathname;
/** A month after the estate's day: every dated clone is past expiry and past the grace of its final notice. */
const NOW = '2026-12-20T10:00:00Z';
const estate = parseSnapshotText(readFileSync(ESTATE, 'utf8'), 'examples/estate.json');
// pg-inventory-prod-pitr-1109 is as expired and announced as these, but only claimed (lineage tags, no Activity Log
// record): never deleted.
// my-payments-prod-pitr-1116 is a MySQL flexible server clone, proven by its Activity Log record like the others.
const ELIGIBLE = ['my-payments-prod-pitr-1116', 'pg-crm-prod-pitr-1030', 'pg-orders-prod-restore-1114'];
const byName = (name: string) => estate.servers.find((s) => s.name === name)!;
const ENFORCE: SweepOptions = {
  mode: 'enforce',
  maxDeletionsPerRun: 10,
  maxDeletionPercent: 100,
  maxDisagreementPercent: 25,
};

/** What the notices job would have sent by now: new-clone at creation, the final notice an hour after expiry. */
function noticeHistory(): Record<string, NoticeSent[]> {
  const out: Record<string, NoticeSent[]> = {};
  for (const server of estate.servers) {
    const expiry = parseExpiresOn(server.tags.ExpiresOn);
    const history: NoticeSent[] = [
      { stage: 'new-clone', sentAt: server.createdAt ?? '2026-11-01T00:00:00Z', to: 'owner@contoso.com' },
    ];
    if (expiry.ok)
      history.push({
        stage: 'final-notice',
        sentAt: new Date(expiry.at.getTime() + 3_600_000).toISOString(),
        to: 'owner@contoso.com',
      });
    out[server.key] = history;
  }
  return out;
}

describe('expiry sweep on the emulator with examples/estate.json, a month later', () => {
  let stack: TestStack;
  let prefixes = 0;

  beforeAll(async () => {
    stack = await startStack({ snapshot: ESTATE, now: () => new Date(NOW) });
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** The seeded estate, fresh tables holding the rows reconcile and the notices job would have written, and the job's deps. */
  async function fresh() {
    stack.emulator.reset();
    const config = loadConfig({ ...stack.settings, TABLE_PREFIX: `${stack.config.tablePrefix}s${prefixes++}` });
    const wired = await build(config);
    const rows = rowsFor(
      estate.servers.map(({ locks: _l, firewallRules: _f, ...s }) => s),
      new Date('2026-11-22T00:00:00Z'),
      noticeHistory(),
      { restoreEvidence: estate.restoreEvidence },
    );
    await wired.inventory.upsertMany(rows.map((record) => ({ record })));
    return { deps: { ...wired, clock: fixedClock(NOW) }, wired };
  }

  const deleteRequests = (status?: number) =>
    stack.emulator.requests
      .entries({ method: 'DELETE', operation: 'Servers_Delete', ...(status ? { status } : {}) })
      .map((r) => decodeURIComponent(r.path).split('/').at(-1)!.split('?')[0]!);
  const liveNames = () => {
    const snapshot = stack.emulator.snapshot();
    return new Set([...snapshot.servers, ...(snapshot.sqlDatabases ?? [])].map((s) => (s as { name: string }).name));
  };

  it('dry-run sends no DELETE and records would-delete for exactly the eligible clones', async () => {
    const { deps } = await fresh();
    const result = await sweep(deps, { ...ENFORCE, mode: 'dry-run' });
    expect(result.stoppedBecause).toBeUndefined();
    expect(stack.emulator.requests.count({ method: 'DELETE' })).toBe(0);
    expect(result.wouldDelete.map((w) => w.name).sort()).toEqual(ELIGIBLE);
    const evidence = await deps.evidence.list(byName('pg-crm-prod-pitr-1030').key);
    expect(evidence.map((e) => e.kind)).toEqual(['would-delete']);
  });

  it('enforce deletes exactly the eligible clones; hold, lock, unparseable and undated ones stay', async () => {
    const { deps } = await fresh();
    const result = await sweep(deps, ENFORCE);
    expect(result.failed).toEqual([]);
    expect(result.deleted.map((d) => d.name).sort()).toEqual(ELIGIBLE);
    expect(deleteRequests().sort()).toEqual(ELIGIBLE);
    // A delete takes ARM about a minute.
    stack.emulator.clock.advance(60_000);
    const live = liveNames();
    for (const name of ELIGIBLE) expect(live.has(name)).toBe(false);
    for (const name of [
      'my-payments-prod',
      'pg-billing-prod-pitr-1020',
      'pg-analytics-prod-pitr-1101',
      'pg-crm-prod-pitr-1115',
      'pg-orders-prod-pitr-20261121',
      'pg-orders-copy',
      'pg-inventory-prod-pitr-1109',
      'pg-dev-sandbox',
      'pg-orders-prod',
    ]) {
      expect(live.has(name)).toBe(true);
    }
    expect(result.held.map((h) => [h.name, h.reason.split(':')[0]]).sort()).toEqual([
      ['pg-analytics-prod-pitr-1101', 'locked'],
      ['pg-billing-prod-pitr-1020', 'legal-hold'],
    ]);
    // ARM accepted each DELETE; the row says `deleting` until the server is recorded gone.
    expect(result.deleted.map((d) => d.outcome)).toEqual(ELIGIBLE.map(() => 'requested'));
    const row = (await deps.inventory.get(byName('pg-orders-prod-restore-1114').key))!.value;
    expect(row).toMatchObject({
      state: 'deleting',
      deletedBy: deps.actor,
      deleteReason: expect.stringContaining('expired'),
    });
    expect((await deps.inventory.get(byName('pg-inventory-prod-pitr-1109').key))!.value.state).not.toBe('deleted');
  });

  it('the seeded lock keeps its clone without a DELETE; a lock placed after the re-check gets 409 ScopeLocked and is recorded held', async () => {
    const { deps } = await fresh();
    const target = byName('pg-orders-prod-restore-1114');
    const locks = new ManagementLockClient(
      stack.emulator.credential,
      target.subscriptionId,
      armClientOptions(stack.emulator),
    );
    const result = await sweep(deps, {
      ...ENFORCE,
      hooks: {
        beforeDelete: async (id) =>
          void (
            id === target.id &&
            (await locks.managementLocks.createOrUpdateByScope(target.id, 'late-hold', { level: 'CanNotDelete' }))
          ),
      },
    });
    expect(deleteRequests(409)).toEqual(['pg-orders-prod-restore-1114']);
    expect(deleteRequests().filter((n) => n === 'pg-analytics-prod-pitr-1101')).toEqual([]);
    expect(liveNames().has('pg-orders-prod-restore-1114')).toBe(true);
    expect(result.held.find((h) => h.name === 'pg-orders-prod-restore-1114')?.reason).toMatch(/409 ScopeLocked/);
    expect(result.failed).toEqual([]);
    expect((await deps.inventory.get(target.key))!.value.state).toBe('held');
  });

  it('the default caps (10 per run, 20% of known clones) stop a run that would delete too many', async () => {
    const { deps } = await fresh();
    const result = await sweep(deps, { ...ENFORCE, maxDeletionPercent: 20 });
    // 10 known clones (PostgreSQL and MySQL flexible servers and the SQL database copy): 20% allows two, the oldest expiries.
    expect(result.counts).toMatchObject({ knownClones: 10, cap: 2 });
    expect(deleteRequests().sort()).toEqual(['my-payments-prod-pitr-1116', 'pg-crm-prod-pitr-1030']);
    expect(
      result.skipped
        .filter((s) => s.reason.startsWith('deferred'))
        .map((s) => s.name)
        .sort(),
    ).toEqual(['pg-orders-prod-restore-1114']);
  });

  it('with 20% of ARM calls failing (429, 503) the sweep completes, deletes nothing wrong, and retries failures next run', async () => {
    const { deps } = await fresh();
    const crm = byName('pg-crm-prod-pitr-1030');
    // One delete fails past the SDK's three retries; a fixed few faults on every kind of call, and 20% at random,
    // are retried by the SDK (Retry-After 0 keeps the test fast).
    stack.emulator.faults.add({
      operation: 'Servers_Delete',
      pathContains: crm.name,
      status: 503,
      retryAfterSeconds: 0,
      times: 4,
    });
    for (const operation of ['Servers_ListBySubscription', 'ManagementLocks_List', 'Servers_Get', 'Servers_Delete']) {
      stack.emulator.faults.add({ operation, status: 429, retryAfterSeconds: 0, times: 1 });
      stack.emulator.faults.add({ operation, status: 503, retryAfterSeconds: 0, times: 1 });
    }
    stack.emulator.faults.add({ operation: '*', status: 429, retryAfterSeconds: 0, probability: 0.1 });
    stack.emulator.faults.add({ operation: '*', status: 503, retryAfterSeconds: 0, probability: 0.1 });
    const first = await sweep(deps, ENFORCE);
    expect(
      stack.emulator.requests.count({ status: 429 }) + stack.emulator.requests.count({ status: 503 }),
    ).toBeGreaterThanOrEqual(12);
    expect(first.deleted.every((d) => ELIGIBLE.includes(d.name))).toBe(true);
    // A listing that failed past the retries (rare at random) stops the run instead; either way nothing wrong went.
    if (!first.stoppedBecause) expect(first.failed.map((f) => f.name)).toContain(crm.name);
    expect(deleteRequests().every((n) => ELIGIBLE.includes(n))).toBe(true);

    stack.emulator.faults.clear();
    deps.clock.advance(3_600_000);
    const second = await sweep(deps, ENFORCE);
    expect(second.failed).toEqual([]);
    // What the first run asked ARM for, the second records gone ('finished'); what failed, it deletes.
    expect([...new Set([...first.deleted, ...second.deleted].map((d) => d.name))].sort()).toEqual(ELIGIBLE);
    expect(deleteRequests(202).sort()).toEqual(ELIGIBLE);
    const live = liveNames();
    expect(ELIGIBLE.filter((n) => live.has(n))).toEqual([]);
    expect(estate.servers.filter((s) => !ELIGIBLE.includes(s.name) && !live.has(s.name))).toEqual([]);
  });

  it('a crash after the first DELETE, then a second run: one DELETE per server and no double evidence', async () => {
    const { deps } = await fresh();
    let deletes = 0;
    await expect(
      sweep(deps, {
        ...ENFORCE,
        concurrency: 1,
        hooks: {
          afterDelete: () => {
            if (++deletes === 1) throw new Error('process killed');
          },
        },
      }),
    ).rejects.toThrow('process killed');
    expect(deleteRequests()).toHaveLength(1);

    deps.clock.advance(600_000);
    const second = await sweep(deps, { ...ENFORCE, concurrency: 1 });
    expect(second.failed).toEqual([]);
    expect(second.deleted.map((d) => d.outcome).sort()).toEqual(['finished', 'requested', 'requested']);
    // ARM finishes the two it accepted; the next run records them gone.
    deps.clock.advance(600_000);
    const third = await sweep(deps, { ...ENFORCE, concurrency: 1 });
    expect(third.failed).toEqual([]);
    expect(third.deleted.map((d) => d.outcome)).toEqual(['finished', 'finished']);
    expect(deleteRequests().sort()).toEqual(ELIGIBLE);
    for (const name of ELIGIBLE) {
      const entries = await deps.evidence.list(byName(name).key);
      expect(entries.map((e) => e.kind).sort()).toEqual(['deleted', 'deleting']);
      expect((await deps.inventory.get(byName(name).key))!.value.state).toBe('deleted');
    }
  });
});
