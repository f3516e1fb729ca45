import { ManagementLockClient } from '@azure/arm-locks';
import { afterEach, describe, expect, it } from 'vitest';
import { emulatorCredential } from '../../src/adapters/azure/credential.js';
import { ResourceGraphListing } from '../../src/adapters/azure/arm/resourceGraph.js';
import { ArmServers } from '../../src/adapters/azure/arm/servers.js';
import { createMemoryStores } from '../../src/adapters/memory/memoryStores.js';
import { DEFAULT_POLICY } from '../../src/domain/policy.js';
import { serverFromArm } from '../../src/domain/snapshot.js';
import { runLimitedPerKey } from '../../src/jobs/listing.js';
import { awaitDeletions, sweep, type SweepDeps } from '../../src/jobs/sweep.js';
import { armClientOptions, startEmulator, type Emulator } from '../../src/local/emulator/index.js';
import { fixedClock } from '../../src/ports/clock.js';
import { SUB1, SUB2, armServer } from '../support/estate.js';
import { ACTOR, ENFORCE, MAIL, noticesFor, rowsFor } from './sweepSeed.js';

const NOW = '2026-12-20T10:00:00Z';

/** Per subscription: production, three clones expired and announced long ago, and one clone that expires next year. */
function estate() {
  const arm = [SUB1, SUB2].flatMap((sub, s) => {
    const prod = armServer({
      subscriptionId: sub,
      name: `pg-prod-${s}`,
      tags: { Owner: 'team@contoso.com', Environment: 'production' },
      createdAt: '2026-01-01T00:00:00Z',
    });
    const clone = (name: string, expiresOn: string, createdAt: string) =>
      armServer({
        subscriptionId: sub,
        name,
        createdAt,
        tags: {
          RestoredFrom: prod.id,
          RestorePointUtc: '2026-10-31T23:00:00Z',
          Owner: 'alice@contoso.com',
          Incident: `INC-${s}`,
          ExpiresOn: expiresOn,
        },
      });
    return [
      prod,
      ...[0, 1, 2].map((i) => clone(`pg-old-${s}-${i}`, '2026-11-20', '2026-11-01T00:00:00Z')),
      clone(`pg-new-${s}`, '2027-01-30', '2026-12-15T00:00:00Z'),
    ];
  });
  const servers = arm.map((a) => serverFromArm(a));
  const notices = Object.fromEntries(
    servers.map((s) => [
      s.key,
      noticesFor(s, s.tags.ExpiresOn === '2026-11-20' ? { finalAt: '2026-11-20T09:00:00Z' } : {}),
    ]),
  );
  // Reconcile reads every clone with its locks and records what it found (none here); production is never read so.
  const rows = rowsFor(servers, new Date('2026-12-16T00:00:00Z'), notices).map((row) =>
    row.classification === 'not-a-clone' ? row : { ...row, lockSignature: '' },
  );
  return { arm, servers, rows };
}

describe('sweep listing through Resource Graph, with one lock read per deletion and no row read per deletion', () => {
  let emulator: Emulator | undefined;
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  async function setup() {
    const e = estate();
    emulator = await startEmulator({ snapshot: { servers: e.arm }, now: () => new Date(NOW) });
    const stores = createMemoryStores();
    for (const row of e.rows) await stores.inventory.upsert(row);
    const rowGets: string[] = [];
    const arm = {
      credential: emulatorCredential,
      clientOptions: { ...armClientOptions(emulator), retryOptions: { maxRetries: 0 } },
      pollIntervalInMs: 1,
    };
    const lines: string[] = [];
    const deps: SweepDeps = {
      clock: fixedClock(NOW),
      servers: new ArmServers(arm),
      listing: new ResourceGraphListing(arm),
      inventory: {
        ...stores.inventory,
        get: (key) => (rowGets.push(key), stores.inventory.get(key)),
        list: (o) => stores.inventory.list(o),
        listVersioned: (o) => stores.inventory.listVersioned(o),
        upsert: (r, o) => stores.inventory.upsert(r, o),
        upsertMany: (w) => stores.inventory.upsertMany(w),
      },
      evidence: stores.evidence,
      runs: stores.runs,
      policy: DEFAULT_POLICY,
      settings: { subscriptionIds: [SUB1, SUB2], ...MAIL },
      actor: ACTOR,
      log: (line) => lines.push(line),
    };
    return { ...e, emulator, stores, deps, rowGets, lines };
  }

  const expired = ['pg-old-0-0', 'pg-old-0-1', 'pg-old-0-2', 'pg-old-1-0', 'pg-old-1-1', 'pg-old-1-2'];

  it('lists every subscription in one query, takes creation times from the rows, and deletes exactly the expired clones', async () => {
    const t = await setup();
    const result = await sweep(t.deps, ENFORCE);
    expect(result.stoppedBecause).toBeUndefined();
    expect(result).toMatchObject({
      failed: [],
      counts: { subscriptions: 2, servers: 10, knownClones: 8, disagreements: 0 },
    });
    // ARM accepted every DELETE (202); the sweep does not wait for the minute each delete takes.
    expect(result.deleted.map((d) => [d.name, d.outcome]).sort()).toEqual(expired.map((n) => [n, 'requested']));
    expect(t.emulator.requests.entries({ method: 'DELETE' }).map((r) => r.status)).toEqual(expired.map(() => 202));

    const count = (operation: string) => t.emulator.requests.count({ operation });
    expect(count('Resources_Query')).toBe(1);
    expect(count('Servers_ListBySubscription')).toBe(0);
    // One live re-read per deletion (the rows gave every listed server its creation time: no other GET).
    expect(count('Servers_Get')).toBe(expired.length);
    // Planned from the locks the rows recorded: the only lock reads are right before the DELETEs, one list of the
    // subscription for each group of its deletions (here each subscription's three expired clones are one group).
    const lockReads = t.emulator.requests.entries({ operation: 'ManagementLocks_List' });
    expect(lockReads.map((r) => r.path.toLowerCase()).sort()).toEqual(
      [SUB1, SUB2].map((s) => `/subscriptions/${s}/providers/microsoft.authorization/locks`).sort(),
    );
    expect(lockReads.length).toBeLessThanOrEqual(expired.length);
    // No poll of the delete operations.
    expect(count('AzureAsyncOperation_Get') + count('OperationResults_Get')).toBe(0);
    // The rows as listed, with their ETags, carry each deletion: none is read again.
    expect(t.rowGets).toEqual([]);
    for (const name of expired) {
      const server = t.servers.find((s) => s.name === name)!;
      expect((await t.stores.inventory.get(server.key))?.value).toMatchObject({ state: 'deleting', deletedBy: ACTOR });
      expect((await t.stores.evidence.list(server.key)).map((e) => e.kind)).toEqual(['deleting']);
    }

    // A minute later ARM has finished: the next run finds them gone and records each once, without a second DELETE.
    t.emulator.clock.advance(60_000);
    const names = new Set(t.emulator.snapshot().servers.map((s) => (s as { name: string }).name));
    expect([...names].sort()).toEqual(['pg-new-0', 'pg-new-1', 'pg-prod-0', 'pg-prod-1']);
    const next = await sweep({ ...t.deps, clock: fixedClock('2026-12-20T10:05:00Z') }, ENFORCE);
    expect(next.failed).toEqual([]);
    expect(next.deleted.map((d) => [d.name, d.outcome]).sort()).toEqual(expired.map((n) => [n, 'finished']));
    expect(t.emulator.requests.count({ method: 'DELETE' })).toBe(expired.length);
    expect(t.rowGets).toEqual([]);
    for (const name of expired) {
      const server = t.servers.find((s) => s.name === name)!;
      expect((await t.stores.inventory.get(server.key))?.value).toMatchObject({ state: 'deleted', deletedBy: ACTOR });
      expect((await t.stores.evidence.list(server.key)).map((e) => e.kind).sort()).toEqual(['deleted', 'deleting']);
    }
  });

  it('awaitDeletions reads the accepted deletes until ARM has finished them and records each once', async () => {
    const t = await setup();
    const result = await sweep(t.deps, ENFORCE);
    const gets = () => t.emulator.requests.count({ operation: 'Servers_Get' });
    const before = gets();
    let waits = 0;
    const waited = await awaitDeletions(t.deps, result.deleted, {
      // ARM's minute passes while the CLI waits.
      sleep: () => Promise.resolve(void (waits++, t.emulator.clock.advance(60_000))),
    });
    expect(waited.pending).toBe(0);
    expect(waited.deletions.map((d) => [d.name, d.outcome]).sort()).toEqual(expired.map((n) => [n, 'finished']));
    expect(waits).toBeLessThanOrEqual(1);
    expect(gets() - before).toBeGreaterThanOrEqual(expired.length);
    expect(t.emulator.requests.count({ method: 'DELETE' })).toBe(expired.length);
    for (const name of expired) {
      const server = t.servers.find((s) => s.name === name)!;
      expect((await t.stores.inventory.get(server.key))?.value.state).toBe('deleted');
      expect((await t.stores.evidence.list(server.key)).map((e) => e.kind).sort()).toEqual(['deleted', 'deleting']);
    }
  });

  it('rows that never recorded their locks are planned from one lock list of their subscription', async () => {
    const t = await setup();
    for (const row of t.rows) {
      const { lockSignature: _never, ...unread } = row;
      await t.stores.inventory.upsert(unread);
    }
    const result = await sweep(t.deps, ENFORCE);
    expect(result.failed).toEqual([]);
    expect(result.deleted.map((d) => d.name).sort()).toEqual(expired);
    // One list per subscription to plan, one per subscription's group right before its DELETEs.
    expect(t.emulator.requests.count({ operation: 'ManagementLocks_List' })).toBe(2 + 2);
  });

  it('a lock placed since reconcile recorded none keeps its clone: held by the re-check, no DELETE', async () => {
    const t = await setup();
    const target = t.servers.find((s) => s.name === 'pg-old-0-1')!;
    const locks = new ManagementLockClient(emulatorCredential, SUB1, armClientOptions(t.emulator));
    await locks.managementLocks.createOrUpdateAtResourceLevel(
      'rg-prod',
      'Microsoft.DBforPostgreSQL',
      '',
      'flexibleServers',
      target.name,
      'keep-for-audit',
      { level: 'CanNotDelete' },
    );
    const result = await sweep(t.deps, ENFORCE);
    expect(result.failed).toEqual([]);
    expect(result.deleted.map((d) => d.name).sort()).toEqual(expired.filter((n) => n !== target.name));
    expect(result.held).toEqual([
      expect.objectContaining({
        name: target.name,
        reason: expect.stringMatching(/^locked: CanNotDelete lock "keep-for-audit"/),
      }),
    ]);
    const deleted = t.emulator.requests.entries({ method: 'DELETE' }).map((r) => decodeURIComponent(r.path));
    expect(deleted.some((p) => p.includes(`/${target.name}?`) || p.endsWith(`/${target.name}`))).toBe(false);
    expect((await t.stores.inventory.get(target.key))?.value.state).not.toBe('deleting');
  });

  it('a row written after the listing (an extend) cancels that deletion: the intent writes only over the version planned', async () => {
    const t = await setup();
    const extendedClone = t.servers.find((s) => s.name === 'pg-old-1-0')!;
    const arm = t.deps.servers;
    let extended = false;
    // Right before the target's re-read, someone extends it: its row is written after the sweep listed it.
    const servers = new Proxy(arm, {
      get: (target, prop) =>
        prop === 'get'
          ? async (id: string, o?: { withLocks?: boolean }) => {
              if (id === extendedClone.id && !extended) {
                extended = true;
                const row = (await t.stores.inventory.get(extendedClone.key))!;
                await t.stores.inventory.upsert(
                  { ...row.value, updatedAt: '2026-12-20T09:59:00Z' },
                  { ifMatch: row.etag },
                );
              }
              return arm.get(id, o);
            }
          : (Reflect.get(target, prop) as unknown),
    });
    const result = await sweep({ ...t.deps, servers }, ENFORCE);
    expect(result.stoppedBecause).toBeUndefined();
    expect(result.failed).toEqual([]);
    expect(result.deleted.map((d) => d.name).sort()).toEqual(expired.filter((n) => n !== 'pg-old-1-0'));
    expect(result.skipped).toEqual([
      expect.objectContaining({
        name: 'pg-old-1-0',
        reason: 'changed since planning: the inventory row was written meanwhile',
      }),
    ]);
    expect(t.emulator.snapshot().servers.some((s) => (s as { name: string }).name === 'pg-old-1-0')).toBe(true);
  });

  it('falls back to ARM lists when the query fails, and deletes the same clones', async () => {
    const t = await setup();
    t.emulator.faults.add({ operation: 'Resources_Query', status: 500 });
    const result = await sweep(t.deps, ENFORCE);
    expect(result.deleted.map((d) => d.name).sort()).toEqual(expired);
    expect(t.emulator.requests.count({ operation: 'Servers_ListBySubscription' })).toBeGreaterThanOrEqual(2);
    expect(t.lines.join('\n')).toMatch(
      /sweep: the Resource Graph listing failed, listing the remaining subscriptions through ARM/,
    );
  });

  it('a subscription whose ARM list fails (after the query failed too) stops the run before any DELETE', async () => {
    const t = await setup();
    t.emulator.faults.add({ operation: 'Resources_Query', status: 500 });
    t.emulator.faults.add({ operation: 'Servers_ListBySubscription', status: 500 });
    const result = await sweep(t.deps, ENFORCE);
    expect(result.stoppedBecause).toMatch(/^listing failed for 2 of 2 subscription\(s\)/);
    expect(t.emulator.requests.count({ method: 'DELETE' })).toBe(0);
  });
});

describe('runLimitedPerKey', () => {
  it('runs every task, at most `limit` in all and `perKey` of one key at once, starting later keys while one is full', async () => {
    const inFlight = new Map<string, number>();
    let total = 0;
    let maxTotal = 0;
    const maxPerKey = new Map<string, number>();
    const started: number[] = [];
    const gates: Array<() => void> = [];
    const tasks = Array.from({ length: 12 }, (_, i) => {
      const key = i < 8 ? 'a' : 'b';
      return {
        key,
        run: async () => {
          started.push(i);
          inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
          maxPerKey.set(key, Math.max(maxPerKey.get(key) ?? 0, inFlight.get(key)!));
          maxTotal = Math.max(maxTotal, ++total);
          await new Promise<void>((resolve) => gates.push(resolve));
          inFlight.set(key, inFlight.get(key)! - 1);
          total--;
          if (i === 3) throw new Error('task 3 failed');
        },
      };
    });
    const errors: number[] = [];
    const done = runLimitedPerKey(tasks, 4, 2, (_, index) => errors.push(index));
    // Release the tasks one at a time, in the order they started, until all have run.
    while (started.length < tasks.length || gates.length > 0) {
      await new Promise((resolve) => setImmediate(resolve));
      gates.shift()?.();
    }
    await done;
    expect(started.slice().sort((x, y) => x - y)).toEqual(tasks.map((_, i) => i));
    // Key a fills its two slots; the first tasks of b start before a's third.
    expect(started.slice(0, 4)).toEqual([0, 1, 8, 9]);
    expect(maxTotal).toBe(4);
    expect(Object.fromEntries(maxPerKey)).toEqual({ a: 2, b: 2 });
    expect(errors).toEqual([3]);
  });
});
