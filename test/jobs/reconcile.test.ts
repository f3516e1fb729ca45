import { ManagementLockClient } from '@azure/arm-locks';
import { PostgreSQLManagementFlexibleServerClient } from '@azure/arm-postgresql-flexible';
import { ENGINE_SPECS, ENGINES } from '../../src/domain/engines.js';
import { afterEach, describe, expect, it } from 'vitest';
import { emulatorCredential } from '../../src/adapters/azure/credential.js';
import { ArmActivityFeed, ArmServers } from '../../src/adapters/azure/arm/servers.js';
import { createMemoryStores } from '../../src/adapters/memory/memoryStores.js';
import { serverKey } from '../../src/domain/ids.js';
import { DEFAULT_POLICY } from '../../src/domain/policy.js';
import type { GovernDeps } from '../../src/jobs/deps.js';
import { reconcile } from '../../src/jobs/reconcile.js';
import type { InventoryStores } from '../../src/ports/inventory.js';
import { systemClock } from '../../src/ports/clock.js';
import {
  armClientOptions,
  startEmulator,
  type Emulator,
  type EmulatorSnapshot,
} from '../../src/local/emulator/index.js';
import { SUB1, SUB2, armServer, productionEstate } from '../support/estate.js';
import { withRestoreLog } from '../support/restoreLog.js';

/** The jobs' dependencies on the emulator (as the warden's service principal) and memory stores; SDK retries off so faults answer at once. */
function deps(emulator: Emulator, stores: InventoryStores): GovernDeps {
  const arm = {
    credential: emulatorCredential,
    clientOptions: { ...armClientOptions(emulator), retryOptions: { maxRetries: 0 } },
    pollIntervalInMs: 1,
  };
  return {
    clock: systemClock,
    servers: new ArmServers(arm),
    activity: new ArmActivityFeed(arm),
    ...stores,
    policy: DEFAULT_POLICY,
    settings: {
      subscriptionIds: emulator.subscriptionIds,
      fallbackMailbox: 'dba-team@contoso.com',
      allowedRecipientDomains: ['contoso.com'],
    },
    actor: 'pitr-warden',
  };
}

const idOf = (subscriptionId: string, resourceGroup: string, name: string) =>
  `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.DBforPostgreSQL/flexibleServers/${name}`;

describe('reconcile on the emulator: the safety net under the event path', () => {
  let emulator: Emulator | undefined;
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  /** An emulator with no event destination: every event is dropped. */
  async function start(snapshot: EmulatorSnapshot) {
    emulator = await startEmulator({ snapshot });
    const stores = createMemoryStores();
    const user = (sub: string) =>
      new PostgreSQLManagementFlexibleServerClient(emulator!.credential, sub, armClientOptions(emulator!));
    return { emulator, stores, deps: deps(emulator, stores), user };
  }

  it('finds a restore whose event never reached the queue: classified clone, governed in ARM, evidence recorded', async () => {
    const { prod, snapshot } = productionEstate();
    const { emulator, stores, deps: d, user } = await start(snapshot);
    const pg = user(SUB1);
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
    expect(emulator.events.delivered).toBe(0);

    const outcome = await reconcile(d);
    expect(outcome).toMatchObject({ subscriptions: 1, servers: 2, clones: 1, added: 2, failed: [] });

    const key = serverKey(idOf(SUB1, 'rg-prod', 'pg-orders-restore'));
    const row = (await stores.inventory.get(key))?.value;
    expect(row).toMatchObject({
      classification: 'clone',
      owner: 'operator@contoso.com',
      ownerSource: 'claims',
      state: 'governed',
    });
    expect(row?.lineage.sourceServerId?.toLowerCase()).toBe(prod.id.toLowerCase());
    expect((await stores.inventory.get(serverKey(prod.id)))?.value).toMatchObject({
      classification: 'not-a-clone',
      state: 'listed',
    });

    // What reached ARM: lineage and owner tags, the inherited open rule deleted; production untouched.
    const clone = await pg.servers.get('rg-prod', 'pg-orders-restore');
    expect(clone.tags).toMatchObject({
      Owner: 'operator@contoso.com',
      SourceOwner: 'orders-team@contoso.com',
      RestoredFrom: prod.id,
    });
    const rules: string[] = [];
    for await (const r of pg.firewallRules.listByServer('rg-prod', 'pg-orders-restore')) rules.push(r.name!);
    // The default policy allow-lists no range: both inherited rules are open doors on a clone.
    expect(rules).toEqual([]);
    expect(emulator.requests.count({ operation: 'FirewallRules_Delete' })).toBe(2);
    const prodRules: string[] = [];
    for await (const r of pg.firewallRules.listByServer('rg-prod', 'pg-orders-prod')) prodRules.push(r.name!);
    expect(prodRules.sort()).toEqual(['allow-all', 'office']);

    const evidence = await stores.evidence.list(key);
    expect(evidence.map((e) => e.kind)).toEqual(
      expect.arrayContaining(['classified', 'violation', 'tag', 'delete-firewall-rule']),
    );
    const deletion = evidence.find(
      (e) => e.kind === 'delete-firewall-rule' && (e.before as { name?: string }).name === 'allow-all',
    );
    expect(deletion?.before).toEqual({ name: 'allow-all', startIpAddress: '0.0.0.0', endIpAddress: '255.255.255.255' });
    expect(deletion?.after).toEqual({ rule: 'allow-all', deleted: true });

    // A second run finds nothing new to do: no ARM writes, no new evidence.
    const writes = () =>
      emulator.requests.count({ method: 'PATCH' }) +
      emulator.requests.count({ method: 'DELETE' }) +
      emulator.requests.count({ method: 'PUT' });
    const before = { writes: writes(), evidence: evidence.length };
    await reconcile(d);
    expect(writes()).toBe(before.writes);
    expect((await stores.evidence.list(key)).length).toBe(before.evidence);
  });

  it('records a server deleted in ARM as deleted, with a "gone" evidence entry', async () => {
    const { prod, snapshot } = productionEstate();
    const restored = armServer({
      name: 'pg-orders-restore-old',
      tags: {
        RestoredFrom: prod.id,
        RestorePointUtc: '2026-01-12T08:00:00Z',
        Owner: 'alice@contoso.com',
        ExpiresOn: '2099-01-01',
      },
    });
    const { stores, deps: d, user } = await start({ ...snapshot, servers: [prod, restored] });
    await reconcile(d);
    const key = serverKey(restored.id);
    expect((await stores.inventory.get(key))?.value).toMatchObject({ classification: 'clone', state: 'governed' });

    await user(SUB1).servers.beginDeleteAndWait('rg-prod', 'pg-orders-restore-old', { updateIntervalInMs: 1 });
    const outcome = await reconcile(d);
    expect(outcome.vanished).toBe(1);
    const row = (await stores.inventory.get(key))?.value;
    expect(row?.state).toBe('deleted');
    expect(row?.deletedAt).toMatch(/^\d{4}-/);
    expect((await stores.evidence.list(key)).filter((e) => e.kind === 'gone')).toHaveLength(1);
    expect((await stores.inventory.get(serverKey(prod.id)))?.value.state).toBe('listed');
  });

  it('records a clone the sweep asked ARM to delete (row deleting) as the deletion it asked for, once, without "gone"', async () => {
    const { prod, snapshot } = productionEstate();
    const restored = armServer({
      name: 'pg-orders-restore-asked',
      tags: {
        RestoredFrom: prod.id,
        RestorePointUtc: '2026-01-12T08:00:00Z',
        Owner: 'alice@contoso.com',
        ExpiresOn: '2026-02-01',
      },
    });
    const { stores, deps: d, user } = await start({ ...snapshot, servers: [prod, restored] });
    await reconcile(d);
    const key = serverKey(restored.id);
    const row = (await stores.inventory.get(key))!;
    // What the sweep's intent leaves before it asks ARM (and does not wait for the delete to end).
    await stores.inventory.upsert(
      { ...row.value, state: 'deleting', deletedBy: 'pitr-warden (sweep)', deleteReason: 'expired 2026-02-01' },
      { ifMatch: row.etag },
    );
    await user(SUB1).servers.beginDeleteAndWait('rg-prod', 'pg-orders-restore-asked', { updateIntervalInMs: 1 });
    expect((await reconcile(d)).vanished).toBe(1);
    expect((await stores.inventory.get(key))?.value).toMatchObject({
      state: 'deleted',
      deletedBy: 'pitr-warden (sweep)',
      deleteReason: 'expired 2026-02-01',
    });
    const entries = await stores.evidence.list(key);
    expect(entries.filter((e) => e.kind === 'gone')).toEqual([]);
    expect(entries.filter((e) => e.kind === 'deleted')).toEqual([
      expect.objectContaining({
        id: `sweep:deleted:${row.value.expiresOn}`,
        details: expect.objectContaining({ outcome: 'finished' }),
      }),
    ]);
  });

  it('skips a subscription whose listing fails, whole: none of its rows is marked deleted, the other is reconciled', async () => {
    const { prod, snapshot } = productionEstate();
    const other = armServer({
      subscriptionId: SUB2,
      resourceGroup: 'rg-b',
      name: 'pg-billing-prod',
      tags: { Owner: 'billing@contoso.com' },
    });
    const otherClone = armServer({
      subscriptionId: SUB2,
      resourceGroup: 'rg-b',
      name: 'pg-billing-restore',
      tags: {
        RestoredFrom: other.id,
        RestorePointUtc: '2026-01-12T08:00:00Z',
        Owner: 'bob@contoso.com',
        ExpiresOn: '2099-01-01',
      },
    });
    const gone = armServer({
      name: 'pg-orders-restore-gone',
      tags: {
        RestoredFrom: prod.id,
        RestorePointUtc: '2026-01-12T08:00:00Z',
        Owner: 'alice@contoso.com',
        ExpiresOn: '2099-01-01',
      },
    });
    const { emulator, stores, deps: d, user } = await start({ ...snapshot, servers: [prod, gone, other, otherClone] });
    await reconcile(d);
    expect((await stores.inventory.list({ subscriptionId: SUB2 })).map((r) => r.state).sort()).toEqual([
      'governed',
      'listed',
    ]);

    // Both subscriptions lose a server; only SUB1 can be listed.
    await user(SUB2).servers.beginDeleteAndWait('rg-b', 'pg-billing-restore', { updateIntervalInMs: 1 });
    await user(SUB1).servers.beginDeleteAndWait('rg-prod', 'pg-orders-restore-gone', { updateIntervalInMs: 1 });
    emulator.faults.add({
      operation: 'Servers_ListBySubscription',
      pathContains: `/subscriptions/${SUB2}/`,
      status: 500,
    });
    const checkpoint = await stores.checkpoints.get('reconcile:activity-log');

    const outcome = await reconcile(d);
    expect(outcome.failed.map((f) => f.id)).toContain(`/subscriptions/${SUB2}`);
    expect(outcome.failed.find((f) => f.id === `/subscriptions/${SUB2}`)?.reason).toMatch(
      new RegExp(`list the PostgreSQL flexible servers of subscription ${SUB2}`),
    );
    expect(outcome.vanished).toBe(1);
    expect((await stores.inventory.list({ subscriptionId: SUB2 })).map((r) => r.state).sort()).toEqual([
      'governed',
      'listed',
    ]);
    expect((await stores.inventory.get(serverKey(gone.id)))?.value.state).toBe('deleted');
    // The Activity Log window of the failed subscription is read again next time.
    expect((await stores.checkpoints.get('reconcile:activity-log'))?.value).toBe(checkpoint?.value);
    const [run] = await stores.runs.list();
    expect(run).toMatchObject({ job: 'reconcile', lastOutcome: 'failed' });
  });

  it('reads list pages, one lock list per subscription and one rules read per new clone (no GET per server, no row read twice), and writes listed rows in batches', async () => {
    const servers: Array<ReturnType<typeof armServer>> = [];
    for (let i = 0; i < 40; i++)
      servers.push(
        armServer({
          subscriptionId: i % 2 ? SUB2 : SUB1,
          resourceGroup: 'rg-a',
          name: `pg-prod-${i}`,
          administratorLogin: `app${i}`,
        }),
      );
    for (let i = 0; i < 6; i++) {
      const source = servers[i]!;
      servers.push(
        armServer({
          subscriptionId: source.id.split('/')[2],
          resourceGroup: 'rg-a',
          name: `pg-prod-${i}-restore`,
          administratorLogin: `app${i}`,
          tags: {
            RestoredFrom: source.id,
            RestorePointUtc: '2026-01-12T08:00:00Z',
            Owner: 'alice@contoso.com',
            Incident: 'INC-1',
            ExpiresOn: '2099-01-01',
          },
        }),
      );
    }
    emulator = await startEmulator({ snapshot: { servers }, pageSize: 10 });
    const stores = createMemoryStores();
    const calls = { get: 0, upsert: 0, upsertMany: 0, rows: 0 };
    const inventory = stores.inventory;
    const counted: InventoryStores = {
      ...stores,
      inventory: {
        get: (k) => (calls.get++, inventory.get(k)),
        list: (o) => inventory.list(o),
        listVersioned: (o) => inventory.listVersioned(o),
        upsert: (r, o) => (calls.upsert++, inventory.upsert(r, o)),
        upsertMany: (w) => (calls.upsertMany++, (calls.rows += w.length), inventory.upsertMany(w)),
      },
    };
    const outcome = await reconcile(deps(emulator, counted));
    expect(outcome).toMatchObject({ subscriptions: 2, servers: 46, clones: 6, added: 46, cloneReads: 6, failed: [] });
    // 23 servers per subscription in pages of 10: 3 pages each (and one empty MySQL page per subscription).
    const lists = emulator.requests
      .entries({ operation: 'Servers_ListBySubscription' })
      .map((r) => r.path.split('/')[4]!.toLowerCase());
    expect(lists.filter((p) => p === 'microsoft.dbforpostgresql')).toHaveLength(6);
    expect(lists.filter((p) => p === 'microsoft.dbformysql')).toHaveLength(2);
    // And one list of SQL logical servers per subscription (none here, so no database list).
    expect(emulator.requests.count({ operation: 'Servers_List' })).toBe(2);
    expect(emulator.requests.count({ operation: 'Servers_Get' })).toBe(0);
    expect(emulator.requests.count({ operation: 'FirewallRules_ListByServer' })).toBe(6);
    // Locks come from one list per subscription, not one read per clone.
    expect(
      emulator.requests
        .entries({ operation: 'ManagementLocks_List' })
        .map((r) => r.path.toLowerCase())
        .sort(),
    ).toEqual([SUB1, SUB2].map((s) => `/subscriptions/${s}/providers/microsoft.authorization/locks`));
    // One Activity Log query per subscription and engine provider (ARM's filter takes one resourceProvider clause).
    expect(emulator.requests.count({ operation: 'ActivityLogs_List' })).toBe(
      2 * new Set(ENGINES.map((e) => ENGINE_SPECS[e].providerNamespace)).size,
    );
    // Rows come from the partition listing (with their ETags): no row is read again one by one.
    expect(calls).toEqual({ get: 0, upsertMany: 2, rows: 40, upsert: 6 });
    expect(await stores.inventory.list()).toHaveLength(46);

    // Nothing changed: the second run reads the same pages and lists, no server of its own, and writes no row.
    emulator.requests.clear();
    Object.assign(calls, { get: 0, upsert: 0, upsertMany: 0, rows: 0 });
    const again = await reconcile(deps(emulator, counted));
    expect(again).toMatchObject({ unchanged: 46, updated: 0, clones: 6, added: 0, cloneReads: 0 });
    expect(calls).toEqual({ get: 0, upsert: 0, upsertMany: 0, rows: 0 });
    expect(emulator.requests.count({ method: 'PATCH' }) + emulator.requests.count({ method: 'DELETE' })).toBe(0);
    const providers = new Set(ENGINES.map((e) => ENGINE_SPECS[e].providerNamespace)).size;
    // Lists only: 3 PostgreSQL pages and one empty MySQL page per subscription, one lock list, one Activity Log query per provider.
    expect(emulator.requests.counters().map((c) => `${c.operation} ${c.count}`)).toEqual([
      `ActivityLogs_List ${2 * providers}`,
      'ManagementLocks_List 2',
      'Servers_List 2',
      'Servers_ListBySubscription 8',
    ]);
  });

  it("an unchanged reconcile makes no per-server ARM call; a change brings that clone's rules and locks back into view", async () => {
    const { prod, snapshot } = productionEstate();
    const clones = [0, 1, 2].map((i) =>
      // Restored an hour ago: the Activity Log holds the record that proves each one.
      armServer({
        name: `pg-orders-restore-${i}`,
        createdAt: new Date(Date.now() - 3_600_000).toISOString(),
        tags: {
          RestoredFrom: prod.id,
          RestorePointUtc: '2026-01-12T08:00:00Z',
          Owner: 'alice@contoso.com',
          Incident: 'INC-1',
          ExpiresOn: '2099-01-01',
        },
      }),
    );
    const {
      emulator,
      stores,
      deps: d,
      user,
    } = await start(withRestoreLog({ ...snapshot, servers: [prod, ...clones] }));
    const first = await reconcile(d);
    expect(first).toMatchObject({ clones: 3, cloneReads: 3, failed: [] });
    // The first run's own remediations (tags) are in the Activity Log, older than each row's check: no re-read for them.
    emulator.requests.clear();
    expect(await reconcile(d)).toMatchObject({ clones: 3, cloneReads: 0, unchanged: 4, failed: [] });
    const perServer = () =>
      emulator.requests
        .counters()
        .filter(
          (c) =>
            !['Servers_ListBySubscription', 'Servers_List', 'ActivityLogs_List', 'ManagementLocks_List'].includes(
              c.operation,
            ),
        );
    expect(perServer()).toEqual([]);

    // Someone opens a firewall rule on clone 0 (its event is lost: no queue), and locks clone 1.
    const pg = user(SUB1);
    await pg.firewallRules.beginCreateOrUpdateAndWait(
      'rg-prod',
      'pg-orders-restore-0',
      'everyone',
      { startIpAddress: '0.0.0.0', endIpAddress: '255.255.255.255' },
      { updateIntervalInMs: 1 },
    );
    const locks = new ManagementLockClient(emulator.credential, SUB1, armClientOptions(emulator));
    await locks.managementLocks.createOrUpdateAtResourceLevel(
      'rg-prod',
      'Microsoft.DBforPostgreSQL',
      '',
      'flexibleServers',
      'pg-orders-restore-1',
      'keep',
      { level: 'CanNotDelete' },
    );
    emulator.requests.clear();
    const third = await reconcile(d);
    expect(third).toMatchObject({ clones: 3, cloneReads: 2, failed: [] });
    // Only the two changed clones were read: clone 0 for its rules (the Activity Log shows the write), clone 1 for its locks.
    expect(
      emulator.requests
        .entries({ operation: 'FirewallRules_ListByServer' })
        .map((r) => r.path.split('/')[8])
        .sort(),
    ).toEqual(['pg-orders-restore-0', 'pg-orders-restore-1']);
    expect(emulator.requests.count({ operation: 'FirewallRules_Delete' })).toBe(1);
    const rules: string[] = [];
    for await (const r of pg.firewallRules.listByServer('rg-prod', 'pg-orders-restore-0')) rules.push(r.name!);
    expect(rules).toEqual([]);
    expect((await stores.inventory.get(serverKey(clones[1]!.id)))?.value).toMatchObject({
      state: 'held',
      lockSignature: 'CanNotDelete:keep',
    });
    expect((await stores.inventory.get(serverKey(clones[2]!.id)))?.value.state).toBe('governed');

    // Settled again: the fourth run reads no server of its own.
    emulator.requests.clear();
    expect(await reconcile(d)).toMatchObject({ cloneReads: 0, failed: [] });
    expect(perServer()).toEqual([]);
  });
});
