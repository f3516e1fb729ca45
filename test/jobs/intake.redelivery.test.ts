import { PostgreSQLManagementFlexibleServerClient } from '@azure/arm-postgresql-flexible';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emulatorCredential } from '../../src/adapters/azure/credential.js';
import { ArmActivityFeed, ArmServers } from '../../src/adapters/azure/arm/servers.js';
import { createMemoryStores } from '../../src/adapters/memory/memoryStores.js';
import { serverKey } from '../../src/domain/ids.js';
import { DEFAULT_POLICY } from '../../src/domain/policy.js';
import type { GovernDeps } from '../../src/jobs/deps.js';
import { handleQueueMessage } from '../../src/jobs/intake.js';
import { reconcile } from '../../src/jobs/reconcile.js';
import { fixedClock } from '../../src/ports/clock.js';
import type { InventoryStores } from '../../src/ports/inventory.js';
import { armClientOptions, startEmulator, type Emulator } from '../../src/local/emulator/index.js';
import { SUB1, productionEstate } from '../support/estate.js';

const CLONE_ID = `/subscriptions/${SUB1}/resourceGroups/rg-prod/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-orders-restore`;
const key = serverKey(CLONE_ID);

/** At-least-once delivery on the emulator (events kept in memory, not queued) and memory stores, with a clock the test moves. */
describe('a delivered event handled again changes nothing', () => {
  let emulator: Emulator;
  let stores: InventoryStores;
  let deps: GovernDeps;
  const clock = fixedClock(new Date(Date.now() + 60_000));

  beforeEach(async () => {
    const { prod, snapshot } = productionEstate();
    emulator = await startEmulator({ snapshot });
    stores = createMemoryStores();
    const arm = { credential: emulatorCredential, clientOptions: armClientOptions(emulator), pollIntervalInMs: 1 };
    deps = {
      clock,
      servers: new ArmServers(arm),
      activity: new ArmActivityFeed(arm),
      ...stores,
      policy: DEFAULT_POLICY,
      settings: {
        subscriptionIds: [SUB1],
        fallbackMailbox: 'dba-team@contoso.com',
        allowedRecipientDomains: ['contoso.com'],
      },
      actor: 'pitr-warden',
    };
    const pg = new PostgreSQLManagementFlexibleServerClient(emulator.credential, SUB1, armClientOptions(emulator));
    await pg.servers.beginCreateOrUpdateAndWait(
      'rg-prod',
      'pg-orders-restore',
      {
        location: 'eastus',
        createMode: 'PointInTimeRestore',
        sourceServerResourceId: prod.id,
        pointInTimeUTC: new Date(Date.now() - 3_600_000),
      },
      { updateIntervalInMs: 1 },
    );
  });
  afterEach(async () => {
    await emulator.close();
  });

  const writes = () =>
    emulator.requests.count({ method: 'PATCH' }) +
    emulator.requests.count({ method: 'DELETE' }) +
    emulator.requests.count({ method: 'PUT' });

  it('the row (version included), the evidence and ARM stay as the first delivery left them', async () => {
    const [restore] = emulator.events.emitted();
    const first = await handleQueueMessage(restore, deps);
    expect([...first.governed[0]!.actionsDone].sort()).toEqual(['delete-firewall-rule', 'delete-firewall-rule', 'tag']);
    const row = await stores.inventory.get(key);
    // The row tells the state after remediation: the open rules are gone, only what the owner must fix is left.
    expect(row?.value.violations.map((v) => v.rule)).toEqual(['required-tags']);
    expect(row?.value.violations[0]?.detail).toMatch(/Incident or Purpose/);
    const evidence = await stores.evidence.list(key);
    const armWrites = writes();

    clock.advance(60_000);
    const again = await handleQueueMessage(restore, deps);
    expect(again.governed[0]).toMatchObject({ actionsDone: [], failed: [], evidenceWritten: 0 });
    expect(await stores.inventory.get(key)).toEqual(row);
    expect(await stores.evidence.list(key)).toEqual(evidence);
    expect(writes()).toBe(armWrites);
  });

  it("the warden's own writes come back as events and change nothing either", async () => {
    const [restore] = emulator.events.emitted();
    await handleQueueMessage(restore, deps);
    const row = await stores.inventory.get(key);
    const evidence = await stores.evidence.list(key);
    const own = emulator.events.emitted().slice(1);
    expect(own.length).toBe(3);
    const armWrites = writes();
    clock.advance(60_000);
    for (const event of own) await handleQueueMessage(event, deps);
    expect(writes()).toBe(armWrites);
    expect((await stores.evidence.list(key)).length).toBe(evidence.length);
    const after = (await stores.inventory.get(key))!.value;
    // Bookkeeping times aside (observedAt, the write time, the time of the last full read), the row is the same.
    const { observedAt: _o, updatedAt: _u, checkedAt: _c, ...rest } = after;
    const { observedAt: _o0, updatedAt: _u0, checkedAt: _c0, ...restBefore } = row!.value;
    expect(rest).toEqual(restBefore);
    // Newer facts move observedAt forward; an older event delivered late never moves it back.
    const newest = own
      .map((e) => String(e.eventTime))
      .sort()
      .at(-1)!;
    expect(after.observedAt).toBe(new Date(newest).toISOString());
    await handleQueueMessage(restore, deps);
    expect((await stores.inventory.get(key))!.value.observedAt).toBe(after.observedAt);
  });

  it('a new server reusing the name of a server recorded deleted starts a fresh row: no notices, lineage or first sighting carried over', async () => {
    const [restore] = emulator.events.emitted();
    await handleQueueMessage(restore, deps);
    const fresh = (await stores.inventory.get(key))!;
    const old = {
      ...fresh.value,
      state: 'deleted' as const,
      deletedAt: '2026-01-01T00:00:00.000Z',
      firstSeenAt: '2025-12-01T00:00:00.000Z',
      lineage: {
        sourceServerId: '/subscriptions/x/resourceGroups/y/providers/Microsoft.DBforPostgreSQL/flexibleServers/older',
      },
      noticesSent: [{ stage: 'new-clone' as const, sentAt: '2025-12-01T09:00:00.000Z', to: 'bob@contoso.com' }],
    };
    await stores.inventory.upsert(old, { ifMatch: fresh.etag });

    clock.advance(60_000);
    await handleQueueMessage(restore, deps);
    const row = (await stores.inventory.get(key))!.value;
    expect(row).toMatchObject({ state: 'governed', firstSeenAt: clock.now().toISOString(), noticesSent: [] });
    expect(row.deletedAt).toBeUndefined();
    expect(row.lineage.sourceServerId).toBe(fresh.value.lineage.sourceServerId);
  });

  it('the reconcile that follows the event path agrees with it: the clone row is left unwritten, ARM untouched', async () => {
    const [restore] = emulator.events.emitted();
    await handleQueueMessage(restore, deps);
    const row = await stores.inventory.get(key);
    const armWrites = writes();
    clock.advance(60_000);
    const outcome = await reconcile(deps);
    expect(outcome).toMatchObject({ clones: 1, governed: 1, unchanged: 1, added: 1, failed: [] });
    expect(await stores.inventory.get(key)).toEqual(row);
    expect(writes()).toBe(armWrites);
  });

  it('a row write that loses a race is decided again from fresh state, and the evidence of what was done is kept', async () => {
    const [restore] = emulator.events.emitted();
    const inventory = stores.inventory;
    let raced = false;
    // Another writer (say, a reconcile elsewhere) writes the row between this pass's read and its write.
    const racing: GovernDeps = {
      ...deps,
      inventory: {
        ...inventory,
        get: (k) => inventory.get(k),
        list: (o) => inventory.list(o),
        listVersioned: (o) => inventory.listVersioned(o),
        upsertMany: (w) => inventory.upsertMany(w),
        upsert: async (record, options) => {
          if (!raced) {
            raced = true;
            await inventory.upsert({ ...record, serverState: 'Updating', updatedAt: '2000-01-01T00:00:00.000Z' });
          }
          return inventory.upsert(record, options);
        },
      },
    };
    const outcome = await handleQueueMessage(restore, racing);
    expect(raced).toBe(true);
    // The second attempt starts from the server as the first left it: nothing is done twice, the evidence stands.
    expect([...outcome.governed[0]!.actionsDone].sort()).toEqual([
      'delete-firewall-rule',
      'delete-firewall-rule',
      'tag',
    ]);
    expect(emulator.requests.count({ operation: 'Tags_UpdateAtScope' })).toBe(1);
    expect(emulator.requests.count({ operation: 'FirewallRules_Delete' })).toBe(2);
    const kinds = (await stores.evidence.list(key)).map((e) => e.kind).sort();
    expect(kinds.filter((k) => k === 'tag' || k === 'delete-firewall-rule')).toEqual([
      'delete-firewall-rule',
      'delete-firewall-rule',
      'tag',
    ]);
    expect((await stores.inventory.get(key))?.value).toMatchObject({
      serverState: 'Ready',
      state: 'governed',
      updatedAt: clock.now().toISOString(),
    });
  });
});
