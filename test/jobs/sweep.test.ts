import { describe, expect, it } from 'vitest';
import { sweep, SWEEP_JOB } from '../../src/jobs/sweep.js';
import type { Server } from '../../src/domain/model.js';
import {
  ACTOR,
  cloneServer,
  domainServer,
  DRY_RUN,
  ENFORCE,
  memoryDeps,
  noticesFor,
  rowsFor,
  SUB_A,
  SUB_B,
} from './sweepSeed.js';

const NOW = '2026-12-10T10:00:00Z';
const PLANNED_AT = new Date('2026-12-09T00:00:00Z');

/** One server per reason a clone is or is not deleted. */
function estate() {
  const expired = cloneServer('pg-expired', '2026-12-01');
  const older = cloneServer('pg-older', '2026-11-25');
  const grace = cloneServer('pg-grace', '2026-12-08', { createdAt: '2026-11-20T00:00:00Z' });
  const hold = cloneServer('pg-hold', '2026-12-01', { tags: { LegalHold: 'CASE-1' } });
  const locked = cloneServer('pg-locked', '2026-12-01');
  const bad = cloneServer('pg-bad', 'soon');
  const future = cloneServer('pg-future', '2026-12-20', { createdAt: '2026-11-20T00:00:00Z' });
  const prod = domainServer({
    name: 'pg-prod',
    tags: { Owner: 'team@contoso.com', ExpiresOn: '2026-01-01' },
    createdAt: '2025-01-01T00:00:00Z',
  });
  const servers = [expired, older, grace, hold, locked, bad, future, prod];
  const notices = {
    [expired.key]: noticesFor(expired, { finalAt: '2026-12-01T09:00:00Z' }),
    [older.key]: noticesFor(older, { finalAt: '2026-11-25T09:00:00Z' }),
    [grace.key]: noticesFor(grace, { finalAt: '2026-12-09T00:00:00Z' }),
    [hold.key]: noticesFor(hold, { finalAt: '2026-12-01T09:00:00Z' }),
    [locked.key]: noticesFor(locked, { finalAt: '2026-12-01T09:00:00Z' }),
    [bad.key]: noticesFor(bad),
    [prod.key]: noticesFor(prod, { finalAt: '2026-01-02T00:00:00Z' }),
  };
  return { servers, notices, expired, older, grace, hold, locked, bad, future, prod };
}

async function setup(extra: { servers?: Server[]; rowsOnly?: Server[] } = {}) {
  const e = estate();
  const servers = [...e.servers, ...(extra.servers ?? [])];
  const rows = rowsFor([...servers, ...(extra.rowsOnly ?? [])], PLANNED_AT, e.notices);
  const ctx = await memoryDeps({
    now: NOW,
    servers,
    rows,
    locks: { [e.locked.id]: [{ name: 'keep', level: 'CanNotDelete' }] },
  });
  return { ...e, ...ctx };
}

const deleteCalls = (s: { calls: { op: string; target: string }[] }) =>
  s.calls.filter((c) => c.op === 'delete').map((c) => c.target);

describe('sweep in enforce mode (memory adapters)', () => {
  it('deletes exactly the expired, announced, past-grace clones without hold or lock, oldest first, and records who, what and why', async () => {
    const t = await setup();
    const result = await sweep(t.deps, ENFORCE);

    expect(result.stoppedBecause).toBeUndefined();
    expect(result.planned.map((p) => p.name)).toEqual(['pg-older', 'pg-expired']);
    expect(deleteCalls(t.servers)).toEqual([t.older.key, t.expired.key]);
    expect(result.deleted.map((d) => [d.name, d.outcome])).toEqual([
      ['pg-older', 'deleted'],
      ['pg-expired', 'deleted'],
    ]);
    expect(t.servers.peek(t.expired.id)).toBeUndefined();
    for (const name of ['pg-grace', 'pg-hold', 'pg-locked', 'pg-bad', 'pg-future', 'pg-prod'])
      expect(
        t.servers.peek(
          `/subscriptions/${SUB_A}/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/${name}`,
        ),
      ).toBeDefined();

    const row = (await t.stores.inventory.get(t.expired.key))!.value;
    expect(row).toMatchObject({
      state: 'deleted',
      deletedAt: NOW.replace('Z', '.000Z'),
      deletedBy: ACTOR,
      deleteReason: expect.stringContaining('expired 2026-12-01'),
    });
    const evidence = await t.stores.evidence.list(t.expired.key);
    expect(evidence.map((e) => [e.kind, e.id])).toEqual([
      ['deleted', 'sweep:deleted:2026-12-01T00:00:00Z'],
      ['deleting', 'sweep:deleting:2026-12-01T00:00:00Z'],
    ]);
    const deleted = evidence.find((e) => e.kind === 'deleted')!;
    expect(deleted).toMatchObject({
      actor: ACTOR,
      reason: expect.stringContaining('final notice sent 2026-12-01T09:00:00Z'),
    });
    expect(deleted.details).toMatchObject({
      outcome: 'deleted',
      action: { type: 'delete-server', expiresOn: '2026-12-01T00:00:00Z' },
      noticesSent: [{ stage: 'new-clone' }, { stage: 'final-notice' }],
    });

    expect(result.held.map((h) => [h.name, h.reason.split(':')[0]])).toEqual(
      expect.arrayContaining([
        ['pg-hold', 'legal-hold'],
        ['pg-locked', 'locked'],
      ]),
    );
    expect(result.skipped.map((s) => [s.name, s.reason.split(':')[0]])).toEqual(
      expect.arrayContaining([
        ['pg-grace', 'grace-period'],
        ['pg-bad', 'expiry-unparseable'],
      ]),
    );
    expect(result.failed).toEqual([]);

    const run = (await t.stores.runs.list()).find((r) => r.job === SWEEP_JOB)!;
    expect(run).toMatchObject({
      lastOutcome: 'succeeded',
      counts: expect.objectContaining({ deleted: 2, planned: 2, held: 2, failed: 0, stopped: 0 }),
    });
  });

  it('a second run deletes nothing more and writes no new evidence', async () => {
    const t = await setup();
    await sweep(t.deps, ENFORCE);
    const evidenceBefore = (await t.stores.evidence.list(t.expired.key)).length;
    t.clock.advance(3_600_000);
    const again = await sweep(t.deps, ENFORCE);
    expect(again.deleted).toEqual([]);
    expect(deleteCalls(t.servers)).toHaveLength(2);
    expect((await t.stores.evidence.list(t.expired.key)).length).toBe(evidenceBefore);
  });

  it('caps deletions per run, oldest expiry first, and reports the rest as deferred', async () => {
    const t = await setup();
    const result = await sweep(t.deps, { ...ENFORCE, maxDeletionsPerRun: 1 });
    expect(deleteCalls(t.servers)).toEqual([t.older.key]);
    expect(result.counts.cap).toBe(1);
    expect(result.skipped.find((s) => s.name === 'pg-expired')?.reason).toMatch(/^deferred: 2 eligible, cap 1/);
  });

  it('caps deletions at a percentage of known clones (rounded down: 20% of 7 clones is 1)', async () => {
    const t = await setup();
    const result = await sweep(t.deps, { ...ENFORCE, maxDeletionPercent: 20 });
    expect(result.counts.knownClones).toBe(7);
    expect(deleteCalls(t.servers)).toEqual([t.older.key]);
  });

  it('lets a small estate expire one clone per run under the percentage cap (10% of 7 clones rounds to 0), and 0% none', async () => {
    const t = await setup();
    const result = await sweep(t.deps, { ...ENFORCE, maxDeletionPercent: 10 });
    expect(result.counts.cap).toBe(1);
    expect(deleteCalls(t.servers)).toEqual([t.older.key]);
    const off = await setup();
    expect((await sweep(off.deps, { ...ENFORCE, maxDeletionPercent: 0 })).counts.cap).toBe(0);
    expect(deleteCalls(off.servers)).toEqual([]);
  });

  it('deletes nothing and says why when listing any subscription fails', async () => {
    const t = await setup();
    t.deps = { ...t.deps, settings: { ...t.deps.settings, subscriptionIds: [SUB_A, SUB_B] } };
    t.servers.fault = (call) =>
      call.op === 'list' && call.target === SUB_B
        ? new Error('Could not list flexible servers of subscription b: 503')
        : undefined;
    const result = await sweep(t.deps, ENFORCE);
    expect(result.stoppedBecause).toMatch(/listing failed for 1 of 2 subscription\(s\).*503/);
    expect(deleteCalls(t.servers)).toEqual([]);
    expect((await t.stores.runs.list())[0]).toMatchObject({ lastOutcome: 'failed', lastError: result.stoppedBecause });
  });

  it('deletes nothing when the inventory and ARM disagree beyond the threshold', async () => {
    const ghosts = [1, 2, 3].map((i) => cloneServer(`pg-ghost-${i}`, '2026-12-30'));
    const t = await setup({ rowsOnly: ghosts });
    const result = await sweep(t.deps, ENFORCE);
    // 3 rows without a listed server among 10 known clones: 30% > 25%.
    expect(result.counts).toMatchObject({ knownClones: 10, disagreements: 3 });
    expect(result.stoppedBecause).toMatch(
      /disagree on 3 server\(s\), 30.0% of 10 known clone\(s\) \(limit 25%\).*pg-ghost-1/,
    );
    expect(deleteCalls(t.servers)).toEqual([]);
    expect(result.deleted).toEqual([]);
  });

  it('cancels a delete when the live server changed since planning (owner extended the expiry)', async () => {
    const t = await setup();
    let reads = 0;
    t.servers.beforeCall = (call) => {
      if (call.op === 'get' && call.target === t.expired.key && reads++ === 0) {
        t.servers.put({ ...t.servers.peek(t.expired.id)!, tags: { ...t.expired.tags, ExpiresOn: '2026-12-24' } });
      }
    };
    const result = await sweep(t.deps, ENFORCE);
    expect(deleteCalls(t.servers)).toEqual([t.older.key]);
    expect(result.skipped.find((s) => s.name === 'pg-expired')?.reason).toBe('changed since planning: tags ExpiresOn');
    expect((await t.stores.inventory.get(t.expired.key))!.value.state).not.toBe('deleting');
  });

  it('keeps a clone whose lock appeared since planning: held by the re-check, not deleted', async () => {
    const t = await setup();
    const result = await sweep(t.deps, {
      ...ENFORCE,
      // Every subscription is planned: the lock is placed before the re-check reads the locks again.
      onProgress: (done, total, label) =>
        void (
          label === 'list' &&
          done === total &&
          t.servers.setLocks(t.expired.id, [{ name: 'late', level: 'ReadOnly' }])
        ),
    });
    expect(deleteCalls(t.servers)).toEqual([t.older.key]);
    expect(result.held.find((s) => s.name === 'pg-expired')?.reason).toBe(
      'locked: ReadOnly lock "late" (placed after the locks the plan used were read)',
    );
    expect(result.skipped.find((s) => s.name === 'pg-expired')).toBeUndefined();
  });

  it('records a 409 ScopeLocked (a lock after the re-check) as held, not as a failure', async () => {
    const t = await setup();
    const result = await sweep(t.deps, {
      ...ENFORCE,
      hooks: {
        beforeDelete: (id) =>
          void (id === t.expired.id && t.servers.setLocks(id, [{ name: 'race', level: 'CanNotDelete' }])),
      },
    });
    expect(deleteCalls(t.servers)).toEqual([t.older.key, t.expired.key]);
    expect(result.held.find((h) => h.name === 'pg-expired')?.reason).toMatch(/409 ScopeLocked/);
    expect(result.failed).toEqual([]);
    const row = (await t.stores.inventory.get(t.expired.key))!.value;
    expect(row.state).toBe('held');
    expect(row.deletedBy).toBeUndefined();
    expect((await t.stores.evidence.list(t.expired.key)).map((e) => e.kind).sort()).toEqual(['deleting', 'held']);
    expect((await t.stores.runs.list())[0]?.lastOutcome).toBe('succeeded');
  });

  it('a failed delete is reported and retried next run, once', async () => {
    const t = await setup();
    let failures = 1;
    t.servers.fault = (call) =>
      call.op === 'delete' && call.target === t.expired.key && failures-- > 0
        ? new Error('Could not delete: 500 InternalServerError')
        : undefined;
    const first = await sweep(t.deps, ENFORCE);
    expect(first.failed).toEqual([
      expect.objectContaining({ name: 'pg-expired', reason: expect.stringContaining('500') }),
    ]);
    expect((await t.stores.inventory.get(t.expired.key))!.value.state).toBe('deleting');
    expect((await t.stores.runs.list())[0]?.lastOutcome).toBe('failed');

    const second = await sweep(t.deps, ENFORCE);
    expect(second.deleted.map((d) => d.name)).toEqual(['pg-expired']);
    expect(deleteCalls(t.servers).filter((k) => k === t.expired.key)).toHaveLength(2);
    expect(t.servers.peek(t.expired.id)).toBeUndefined();
    expect((await t.stores.evidence.list(t.expired.key)).map((e) => e.kind).sort()).toEqual(['deleted', 'deleting']);
  });

  it('a crash after the DELETE: the next run records the deletion without a second DELETE or evidence', async () => {
    const t = await setup();
    await expect(
      sweep(t.deps, {
        ...ENFORCE,
        concurrency: 1,
        hooks: {
          afterDelete: () => {
            throw new Error('process killed');
          },
        },
      }),
    ).rejects.toThrow('process killed');
    expect(deleteCalls(t.servers)).toEqual([t.older.key]);
    expect((await t.stores.inventory.get(t.older.key))!.value).toMatchObject({ state: 'deleting', deletedBy: ACTOR });
    expect((await t.stores.runs.list())[0]).toMatchObject({ lastOutcome: 'failed', lastError: 'process killed' });

    const second = await sweep(t.deps, { ...ENFORCE, concurrency: 1 });
    expect(second.deleted.map((d) => [d.name, d.outcome])).toEqual(
      expect.arrayContaining([
        ['pg-older', 'finished'],
        ['pg-expired', 'deleted'],
      ]),
    );
    const deletes = deleteCalls(t.servers);
    expect(deletes.filter((k) => k === t.older.key)).toHaveLength(1);
    expect(deletes.filter((k) => k === t.expired.key)).toHaveLength(1);
    expect((await t.stores.inventory.get(t.older.key))!.value).toMatchObject({
      state: 'deleted',
      deletedBy: ACTOR,
      deleteReason: expect.stringContaining('expired 2026-11-25'),
    });
    expect((await t.stores.evidence.list(t.older.key)).map((e) => e.id).sort()).toEqual([
      'sweep:deleted:2026-11-25T00:00:00Z',
      'sweep:deleting:2026-11-25T00:00:00Z',
    ]);
  });

  it('a crash between intent and DELETE: the next run deletes it once', async () => {
    const t = await setup();
    await expect(
      sweep(t.deps, {
        ...ENFORCE,
        concurrency: 1,
        hooks: {
          beforeDelete: () => {
            throw new Error('killed');
          },
        },
      }),
    ).rejects.toThrow('killed');
    expect(deleteCalls(t.servers)).toEqual([]);
    await sweep(t.deps, ENFORCE);
    expect(deleteCalls(t.servers)).toEqual([t.older.key, t.expired.key]);
    expect((await t.stores.evidence.list(t.older.key)).map((e) => e.kind).sort()).toEqual(['deleted', 'deleting']);
  });

  it('an interrupted deletion whose server became locked is released, not deleted', async () => {
    const t = await setup();
    await expect(
      sweep(t.deps, {
        ...ENFORCE,
        concurrency: 1,
        hooks: {
          beforeDelete: () => {
            throw new Error('killed');
          },
        },
      }),
    ).rejects.toThrow();
    t.servers.setLocks(t.older.id, [{ name: 'keep', level: 'CanNotDelete' }]);
    const result = await sweep(t.deps, ENFORCE);
    expect(deleteCalls(t.servers)).toEqual([t.expired.key]);
    expect(result.skipped.find((s) => s.name === 'pg-older')?.reason).toMatch(
      /^interrupted deletion cancelled: locked/,
    );
    const row = (await t.stores.inventory.get(t.older.key))!.value;
    expect(row.state).toBe('held');
    expect(row.deletedBy).toBeUndefined();
  });

  it('never sends a second DELETE to a server ARM is already dropping', async () => {
    const t = await setup();
    t.servers.put({ ...t.servers.peek(t.expired.id)!, state: 'Dropping' });
    const result = await sweep(t.deps, ENFORCE);
    expect(deleteCalls(t.servers)).toEqual([t.older.key]);
    expect(result.skipped.find((s) => s.name === 'pg-expired')?.reason).toMatch(
      /Dropping: a delete is already under way/,
    );
  });

  it('locks that cannot be read keep the clones (unknown locks never delete)', async () => {
    const t = await setup();
    t.servers.fault = (call) =>
      call.op === 'listSubscriptionLocks' ? new Error('Could not list locks: 403') : undefined;
    const result = await sweep(t.deps, ENFORCE);
    expect(deleteCalls(t.servers)).toEqual([]);
    expect(result.failed.map((f) => f.name)).toEqual(expect.arrayContaining(['pg-expired', 'pg-older']));
    expect(result.failed.every((f) => f.reason.includes('read locks'))).toBe(true);
  });

  it('locks that cannot be read again right before the DELETEs keep every clone of the group', async () => {
    const t = await setup();
    let planned = false;
    t.servers.fault = (call) =>
      planned && call.op === 'listSubscriptionLocks'
        ? new Error('Could not list locks: 429 TooManyRequests')
        : undefined;
    const result = await sweep(t.deps, {
      ...ENFORCE,
      onProgress: (_d, _t, label) => void (planned ||= label === 'list'),
    });
    expect(deleteCalls(t.servers)).toEqual([]);
    expect(result.failed.map((f) => [f.name, f.reason]).sort()).toEqual([
      ['pg-expired', 're-read locks before delete: Could not list locks: 429 TooManyRequests'],
      ['pg-older', 're-read locks before delete: Could not list locks: 429 TooManyRequests'],
    ]);
    // Nothing was marked for deletion: the next run plans them afresh.
    for (const key of [t.expired.key, t.older.key])
      expect((await t.stores.inventory.get(key))!.value.state).not.toBe('deleting');
  });

  it('a server whose re-read fails right before the DELETE is kept; the other is deleted', async () => {
    const t = await setup();
    t.servers.fault = (call) =>
      call.op === 'get' && call.target === t.expired.key ? new Error('Could not read the server: 500') : undefined;
    const result = await sweep(t.deps, ENFORCE);
    expect(deleteCalls(t.servers)).toEqual([t.older.key]);
    expect(result.failed).toEqual([
      expect.objectContaining({ name: 'pg-expired', reason: expect.stringContaining('re-read before delete') }),
    ]);
  });

  it('reads locks at most once per deletion: one list per subscription to plan, one per group right before its DELETEs', async () => {
    const t = await setup();
    await sweep(t.deps, ENFORCE);
    expect(deleteCalls(t.servers)).toHaveLength(2);
    // The two deletions of the subscription are one group: its locks are listed again once, right before them.
    expect(t.servers.calls.filter((c) => c.op === 'listSubscriptionLocks')).toHaveLength(2);
    expect(t.servers.calls.filter((c) => c.op === 'listLocks')).toHaveLength(0);
    expect(
      t.servers.calls
        .filter((c) => c.op === 'get')
        .map((c) => c.target)
        .sort(),
    ).toEqual(deleteCalls(t.servers).sort());
  });

  it.each([
    { perSubscription: undefined, groups: [8, 8, 4] },
    { perSubscription: 6, groups: [6, 6, 6, 2] },
  ])(
    "goes through a subscription's deletions in groups of its deletions in flight ($perSubscription; default 8): one lock list and one row transaction each",
    async ({ perSubscription, groups }) => {
      // With the estate's two, 20 deletions in one subscription.
      const more = Array.from({ length: 18 }, (_, i) =>
        cloneServer(`pg-more-${String(i).padStart(2, '0')}`, '2026-12-01'),
      );
      const t = await setup({ servers: more });
      const notices = Object.fromEntries(more.map((s) => [s.key, noticesFor(s, { finalAt: '2026-12-01T09:00:00Z' })]));
      for (const row of rowsFor(more, PLANNED_AT, notices)) await t.stores.inventory.upsert(row);
      const transactions: number[] = [];
      const upsertMany = t.stores.inventory.upsertMany.bind(t.stores.inventory);
      t.deps = {
        ...t.deps,
        inventory: Object.assign(Object.create(t.stores.inventory) as typeof t.stores.inventory, {
          upsertMany: (writes: Parameters<typeof upsertMany>[0]) => {
            if (writes.length > 0) transactions.push(writes.length);
            return upsertMany(writes);
          },
        }),
      };
      const result = await sweep(t.deps, {
        ...ENFORCE,
        ...(perSubscription ? { concurrencyPerSubscription: perSubscription } : {}),
      });
      expect(result.failed).toEqual([]);
      expect(deleteCalls(t.servers)).toHaveLength(20);
      expect(t.servers.calls.filter((c) => c.op === 'listSubscriptionLocks')).toHaveLength(1 + groups.length);
      expect(transactions).toEqual(groups);
    },
  );
});

describe('sweep in dry-run mode', () => {
  it('never calls delete, records would-delete evidence once per server and expiry, and the run summary', async () => {
    const t = await setup();
    const result = await sweep(t.deps, DRY_RUN);
    expect(deleteCalls(t.servers)).toEqual([]);
    expect(t.servers.calls.some((c) => c.op === 'get')).toBe(false);
    expect(result.wouldDelete.map((w) => w.name)).toEqual(['pg-older', 'pg-expired']);
    expect(result.deleted).toEqual([]);
    const evidence = await t.stores.evidence.list(t.expired.key);
    expect(evidence).toEqual([
      expect.objectContaining({ kind: 'would-delete', id: 'sweep:would-delete:2026-12-01T00:00:00Z', actor: ACTOR }),
    ]);
    expect((await t.stores.inventory.get(t.expired.key))!.value.state).not.toBe('deleting');

    t.clock.advance(3_600_000);
    await sweep(t.deps, DRY_RUN);
    expect(await t.stores.evidence.list(t.expired.key)).toHaveLength(1);
    expect((await t.stores.runs.list())[0]).toMatchObject({
      job: SWEEP_JOB,
      lastOutcome: 'succeeded',
      counts: expect.objectContaining({ wouldDelete: 2, deleted: 0 }),
    });
  });
});
