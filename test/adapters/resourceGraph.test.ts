import { SqlManagementClient } from '@azure/arm-sql';
import { ServiceClient } from '@azure/core-client';
import { createHttpHeaders, createPipelineRequest, type HttpClient } from '@azure/core-rest-pipeline';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { emulatorCredential } from '../../src/adapters/azure/credential.js';
import { ResourceGraphListing, SERVERS_QUERY } from '../../src/adapters/azure/arm/resourceGraph.js';
import { ArmActivityFeed, ArmServers } from '../../src/adapters/azure/arm/servers.js';
import { createMemoryStores } from '../../src/adapters/memory/memoryStores.js';
import { DEFAULT_POLICY } from '../../src/domain/policy.js';
import type { GovernDeps } from '../../src/jobs/deps.js';
import { reconcile } from '../../src/jobs/reconcile.js';
import {
  armClientOptions,
  startEmulator,
  type Emulator,
  type EmulatorSnapshot,
} from '../../src/local/emulator/index.js';
import { systemClock } from '../../src/ports/clock.js';
import type { Server } from '../../src/domain/model.js';
import { SUB1, SUB2, armMySqlServer, armServer, sqlShop } from '../support/estate.js';

const SUB3 = '00000000-0000-4000-8000-000000000003';
const LOGICAL = sqlShop(SUB2).logical;
const PROD_DB = `${LOGICAL}/databases/shop`;

/** A logical server open to the public with two firewall rules, and its production database (plus the `master` every server has). */
function sqlEstate(servers: EmulatorSnapshot['servers'] = [armServer({ name: 'pg-a' })]): EmulatorSnapshot {
  return { servers, ...sqlShop(SUB2).snapshot };
}

/** A Resource Graph query sent as it is, through a core client, as ARM receives it. */
function postQuery(
  emulator: Emulator,
  body: { subscriptions: string[]; query: string; options?: { $top?: number; $skipToken?: string } },
) {
  const client = new ServiceClient({
    credential: emulatorCredential,
    credentialScopes: ['https://management.azure.com/.default'],
    ...armClientOptions(emulator),
  });
  return client.sendRequest(
    createPipelineRequest({
      url: `${emulator.armEndpoint}/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01`,
      method: 'POST',
      headers: createHttpHeaders({ 'Content-Type': 'application/json' }),
      body: JSON.stringify(body),
    }),
  );
}

describe('Resource Graph listing (REST through the Azure core pipeline) against the emulator', () => {
  let emulator: Emulator | undefined;
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  it('lists every subscription in one query, 1,000 rows a page, one subscription at a time', async () => {
    const servers = [
      ...Array.from({ length: 1_100 }, (_, i) =>
        armServer({ subscriptionId: SUB1, resourceGroup: `rg-${i % 3}`, name: `pg-a${i}` }),
      ),
      ...Array.from({ length: 5 }, (_, i) => armServer({ subscriptionId: SUB2, name: `pg-b${i}` })),
    ];
    emulator = await startEmulator({ snapshot: { servers } });
    const listing = new ResourceGraphListing({
      credential: emulatorCredential,
      clientOptions: armClientOptions(emulator),
    });
    const groups: Array<{ subscriptionId: string; count: number; createdAt: unknown }> = [];
    for await (const g of listing.listBySubscription([SUB1, SUB2, SUB3]))
      groups.push({ subscriptionId: g.subscriptionId, count: g.servers.length, createdAt: g.servers[0]?.createdAt });
    // Subscriptions come whole and in order; SUB3 has no servers and is not yielded. No systemData: no createdAt.
    expect(groups).toEqual([
      { subscriptionId: SUB1, count: 1_100, createdAt: undefined },
      { subscriptionId: SUB2, count: 5, createdAt: undefined },
    ]);
    expect(emulator.requests.count({ operation: 'Resources_Query', status: 200 })).toBe(2);
    expect(emulator.requests.count({ operation: 'Servers_ListBySubscription' })).toBe(0);
  });

  it("lists SQL databases with their logical server's exposure; not the logical server, not master", async () => {
    emulator = await startEmulator({ snapshot: sqlEstate() });
    const listing = new ResourceGraphListing({
      credential: emulatorCredential,
      clientOptions: armClientOptions(emulator),
    });
    const groups: Array<{ subscriptionId: string; servers: unknown[] }> = [];
    for await (const g of listing.listBySubscription([SUB1, SUB2]))
      groups.push({
        subscriptionId: g.subscriptionId,
        servers: g.servers.map((s) => ({
          id: s.id,
          engine: s.engine,
          publicNetworkAccess: s.publicNetworkAccess,
          administratorLogin: s.administratorLogin,
          skuName: s.skuName,
          createdAt: s.createdAt,
        })),
      });
    expect(groups).toEqual([
      { subscriptionId: SUB1, servers: [expect.objectContaining({ engine: 'postgresql-flexible' })] },
      {
        subscriptionId: SUB2,
        // A database has its creationDate in the row, so it needs no read for its creation time.
        servers: [
          {
            id: PROD_DB,
            engine: 'sql-database',
            publicNetworkAccess: 'Enabled',
            administratorLogin: 'shopadmin',
            skuName: 'S0',
            createdAt: '2026-01-10T08:00:00.000Z',
          },
        ],
      },
    ]);
    // One query; no ARM list of logical servers or databases.
    expect(emulator.requests.count({ operation: 'Resources_Query' })).toBe(1);
    expect(emulator.requests.count({ operation: 'Databases_ListByServer' })).toBe(0);
  });

  it("gives the same servers as ARM's lists (creation times aside) from rows of only the properties it reads", async () => {
    const subnet = `/subscriptions/${SUB1}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/db`;
    emulator = await startEmulator({
      snapshot: sqlEstate([
        armServer({ name: 'pg-public', tags: { Owner: 'a@contoso.com' }, storageSizeGb: 256, version: '17' }),
        armServer({ name: 'pg-private', subnetId: subnet, administratorLogin: 'orders', state: 'Stopped' }),
        armServer({ name: 'pg-closed', publicAccess: false }),
        armMySqlServer({ name: 'my-app', tags: { Owner: 'b@contoso.com' } }),
        armMySqlServer({ name: 'my-private', subnetId: subnet }),
      ]),
      // A fixed clock: a server's earliest restore point moves with it.
      now: () => new Date('2026-12-01T09:00:00Z'),
    });
    const listing = new ResourceGraphListing({
      credential: emulatorCredential,
      clientOptions: armClientOptions(emulator),
    });
    const arm = new ArmServers({ credential: emulatorCredential, clientOptions: armClientOptions(emulator) });
    const withoutCreation = (servers: readonly Server[]) =>
      servers.map(({ createdAt: _createdAt, ...rest }) => rest).sort((a, b) => (a.key < b.key ? -1 : 1));
    for await (const group of listing.listBySubscription([SUB1, SUB2])) {
      const listed = await arm.list(group.subscriptionId);
      expect(withoutCreation(group.servers), group.subscriptionId).toEqual(withoutCreation(listed));
      expect(group.servers.length).toBeGreaterThan(0);
    }
    // What went over the wire: the projected columns, not the resources' whole properties.
    const response = await postQuery(emulator, { subscriptions: [SUB1], query: SERVERS_QUERY });
    const [row] = (JSON.parse(response.bodyAsText ?? '{}') as { data: Array<Record<string, unknown>> }).data;
    expect(row).not.toHaveProperty('properties');
    expect(row).toMatchObject({ administratorLogin: 'mysqladmin', storageSizeGB: 100, networkPublicAccess: 'Enabled' });
  });

  it("pages through the result of the query's first page: a server deleted meanwhile shifts no row", async () => {
    emulator = await startEmulator({
      snapshot: { servers: Array.from({ length: 5 }, (_, i) => armServer({ subscriptionId: SUB1, name: `pg-a${i}` })) },
    });
    const query =
      "resources | where type =~ 'microsoft.dbforpostgresql/flexibleservers' | project name | order by name asc";
    const page = async ($skipToken?: string) => {
      const response = await postQuery(emulator!, {
        subscriptions: [SUB1],
        query,
        options: { $top: 2, ...($skipToken ? { $skipToken } : {}) },
      });
      expect(response.status).toBe(200);
      const body = JSON.parse(response.bodyAsText!) as { data: { name: string }[]; $skipToken?: string };
      return { names: body.data.map((r) => r.name), token: body.$skipToken };
    };
    const first = await page();
    expect(first.names).toEqual(['pg-a0', 'pg-a1']);

    // pg-a0 goes between the first and the second page: the second still starts where the first ended.
    const deleted = await new ServiceClient({
      credential: emulatorCredential,
      credentialScopes: ['https://management.azure.com/.default'],
      ...armClientOptions(emulator),
    }).sendRequest(
      createPipelineRequest({
        url: `${emulator.armEndpoint}/subscriptions/${SUB1}/resourceGroups/rg-prod/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-a0?api-version=2024-08-01`,
        method: 'DELETE',
      }),
    );
    expect(deleted.status).toBe(202);
    emulator.clock.advance(60_000);
    const second = await page(first.token);
    expect(second.names).toEqual(['pg-a2', 'pg-a3']);
    const third = await page(second.token);
    expect(third).toEqual({ names: ['pg-a4'], token: undefined });
    // A new query sees the store as it is now.
    expect((await page()).names).toEqual(['pg-a1', 'pg-a2']);

    const bad = await postQuery(emulator, {
      subscriptions: [SUB1],
      query,
      options: { $skipToken: Buffer.from('x.y').toString('base64url') },
    });
    expect(bad.status).toBe(400);
    expect(bad.bodyAsText).toMatch(/\$skipToken is not one this service issued/);
  });

  it('asks for the next page as soon as a page arrives; a page that fails fails the listing where it is read', async () => {
    // Resource Graph as a scripted HTTP client: a first page that ends in SUB2, then a second page refused.
    const asked: string[] = [];
    const row = (subscriptionId: string, name: string) => ({
      id: `/subscriptions/${subscriptionId}/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/${name}`,
      name,
      type: 'microsoft.dbforpostgresql/flexibleservers',
      location: 'eastus',
      tags: {},
      subscriptionId,
    });
    const httpClient: HttpClient = {
      sendRequest: (request) => {
        const skipToken = (JSON.parse(request.body as string) as { options: { $skipToken?: string } }).options
          .$skipToken;
        asked.push(skipToken ?? 'first page');
        const [status, body] = skipToken
          ? [403, { error: { code: 'AuthorizationFailed', message: 'The client has no access.' } }]
          : [200, { data: [row(SUB1, 'pg-a'), row(SUB2, 'pg-b')], $skipToken: 'second' }];
        return Promise.resolve({
          request,
          status,
          headers: createHttpHeaders({ 'content-type': 'application/json' }),
          bodyAsText: JSON.stringify(body),
        });
      },
    };
    const listing = new ResourceGraphListing({ credential: emulatorCredential, clientOptions: { httpClient } });
    const groups = listing.listBySubscription([SUB1, SUB2])[Symbol.asyncIterator]();
    const first = await groups.next();
    expect(first.value).toMatchObject({ subscriptionId: SUB1, servers: [{ name: 'pg-a' }] });
    // While the caller still holds SUB1, the second page has been asked for, and refused: nothing surfaces yet.
    await vi.waitFor(() => expect(asked).toEqual(['first page', 'second']));
    await new Promise((resolve) => setTimeout(resolve, 20));
    // SUB2 is not whole without the second page: the listing fails there, naming the page.
    await expect(groups.next()).rejects.toThrow(/\(page 2\): 403 AuthorizationFailed/);
  });

  it('answers a query outside the subset it serves with a 400 that names the part', async () => {
    emulator = await startEmulator();
    const response = await postQuery(emulator, {
      subscriptions: [SUB1],
      query: "resources | where type =~ 'x' | summarize count() by location",
    });
    expect(response.status).toBe(400);
    expect(response.bodyAsText).toMatch(/summarize count\(\) by location/);
  });

  describe('reconcile with SERVER_LISTING=resource-graph', () => {
    function deps(e: Emulator, stores = createMemoryStores()): GovernDeps & { stores: typeof stores } {
      const arm = {
        credential: emulatorCredential,
        clientOptions: { ...armClientOptions(e), retryOptions: { maxRetries: 0 } },
        pollIntervalInMs: 1,
      };
      return {
        stores,
        clock: systemClock,
        servers: new ArmServers(arm),
        listing: new ResourceGraphListing(arm),
        activity: new ArmActivityFeed(arm),
        ...stores,
        policy: DEFAULT_POLICY,
        settings: {
          subscriptionIds: [SUB1, SUB2],
          fallbackMailbox: 'dba-team@contoso.com',
          allowedRecipientDomains: ['contoso.com'],
        },
        actor: 'pitr-warden',
      };
    }

    it('lists with one query, reads new servers for their creation time, later runs take it from the rows', async () => {
      const prod = armServer({
        name: 'pg-orders-prod',
        administratorLogin: 'orders',
        tags: { Owner: 'orders@contoso.com' },
        createdAt: '2026-01-01T00:00:00Z',
      });
      // A twin of production: same login, version, region, storage and tags, created later. Only creation times tell which is which.
      const twin = armServer({
        name: 'pg-orders-copy',
        administratorLogin: 'orders',
        tags: { Owner: 'orders@contoso.com' },
        createdAt: '2026-02-01T00:00:00Z',
      });
      const other = armServer({ subscriptionId: SUB2, name: 'pg-billing-prod', administratorLogin: 'billing' });
      emulator = await startEmulator({ snapshot: { servers: [prod, twin, other] } });
      const d = deps(emulator);
      const first = await reconcile(d);
      expect(first).toMatchObject({ subscriptions: 2, servers: 3, failed: [] });
      expect(emulator.requests.count({ operation: 'Resources_Query' })).toBe(1);
      expect(emulator.requests.count({ operation: 'Servers_ListBySubscription' })).toBe(0);
      expect(emulator.requests.count({ operation: 'Servers_Get' })).toBe(3);
      expect((await d.stores.inventory.get(twin.id.toLowerCase()))?.value).toMatchObject({
        classification: 'probable-clone',
        createdAt: '2026-02-01T00:00:00.000Z',
      });
      expect((await d.stores.inventory.get(prod.id.toLowerCase()))?.value.classification).toBe('not-a-clone');

      emulator.requests.clear();
      const second = await reconcile(d);
      expect(second).toMatchObject({ servers: 3, failed: [] });
      expect(emulator.requests.count({ operation: 'Servers_Get' })).toBe(0);
      expect((await d.stores.inventory.get(twin.id.toLowerCase()))?.value.classification).toBe('probable-clone');
    });

    it("sees a SQL database restored to a point in time: proven from the Activity Log, with the logical server's exposure", async () => {
      emulator = await startEmulator({ snapshot: sqlEstate() });
      const sql = new SqlManagementClient(emulatorCredential, SUB2, armClientOptions(emulator));
      await sql.databases.beginCreateOrUpdateAndWait(
        'rg-shop',
        'sql-shop',
        'shop-fix',
        {
          location: 'westeurope',
          createMode: 'PointInTimeRestore',
          sourceDatabaseId: PROD_DB,
          restorePointInTime: new Date(Date.now() - 3_600_000),
        },
        { updateIntervalInMs: 1 },
      );
      emulator.requests.clear();
      const d = deps(emulator);
      const outcome = await reconcile(d);
      expect(outcome).toMatchObject({ subscriptions: 2, servers: 3, clones: 1, failed: [] });
      expect(emulator.requests.count({ operation: 'Resources_Query' })).toBe(1);
      // Listed by the query, not by ARM lists per logical server.
      expect(emulator.requests.count({ operation: 'Databases_ListByServer' })).toBe(0);
      expect(emulator.requests.count({ operation: 'Servers_List' })).toBe(0);
      const copy = (await d.stores.inventory.get(`${LOGICAL}/databases/shop-fix`.toLowerCase()))?.value;
      expect(copy).toMatchObject({
        engine: 'sql-database',
        classification: 'clone',
        lineage: { sourceServerId: expect.stringMatching(/\/databases\/shop$/i) },
      });
      expect(copy?.proof).toMatchObject({ level: 'proven', basis: 'activity-log' });
      expect(copy?.violations.map((v) => v.detail).join('\n')).toMatch(
        /AllowAllWindowsAzureIps[\s\S]*on logical server sql-shop, shared with production/,
      );
      expect((await d.stores.inventory.get(PROD_DB.toLowerCase()))?.value.classification).toBe('not-a-clone');
      expect(await d.stores.inventory.get(`${LOGICAL}/databases/master`.toLowerCase())).toBeUndefined();
      // The logical server is only read: the warden's one write is the copy's tags.
      const writes = emulator.requests.entries().filter((r) => r.method !== 'GET' && r.operation !== 'Resources_Query');
      expect(writes.map((w) => [w.operation, w.path.toLowerCase()])).toEqual([
        [
          'Tags_UpdateAtScope',
          `${LOGICAL}/databases/shop-fix/providers/microsoft.resources/tags/default`.toLowerCase(),
        ],
      ]);
    });

    it('a first run with many servers new to the warden takes their creation times from one ARM list of their engine, not a GET each', async () => {
      const prod = armServer({
        name: 'pg-orders-prod',
        administratorLogin: 'orders',
        createdAt: '2026-01-01T00:00:00Z',
      });
      const many = Array.from({ length: 30 }, (_, i) =>
        armServer({ name: `pg-app-${i}`, administratorLogin: `app${i}`, createdAt: '2026-03-01T00:00:00Z' }),
      );
      const twin = armServer({
        name: 'pg-orders-copy',
        administratorLogin: 'orders',
        createdAt: '2026-02-01T00:00:00Z',
      });
      emulator = await startEmulator({ snapshot: { servers: [prod, twin, ...many] } });
      const d = deps(emulator);
      expect(await reconcile(d)).toMatchObject({ subscriptions: 2, servers: 32, failed: [] });
      expect(emulator.requests.count({ operation: 'Resources_Query' })).toBe(1);
      expect(emulator.requests.count({ operation: 'Servers_Get' })).toBe(0);
      // One list of the subscription that had servers, of the engine of those new servers alone (PostgreSQL): no MySQL
      // list, and no SQL one (whose SDK the job then never loads).
      expect(
        emulator.requests.entries({ operation: 'Servers_ListBySubscription' }).map((r) => r.path.split('/')[4]),
      ).toEqual(['Microsoft.DBforPostgreSQL']);
      expect(emulator.requests.count({ operation: 'Servers_List' })).toBe(0);
      expect((await d.stores.inventory.get(twin.id.toLowerCase()))?.value).toMatchObject({
        classification: 'probable-clone',
        createdAt: '2026-02-01T00:00:00.000Z',
      });
    });

    it('falls back to ARM lists when the query fails, and reconciles every subscription', async () => {
      emulator = await startEmulator({
        snapshot: { servers: [armServer({ name: 'pg-a' }), armServer({ subscriptionId: SUB2, name: 'pg-b' })] },
      });
      emulator.faults.add({ operation: 'Resources_Query', status: 500 });
      const lines: string[] = [];
      const outcome = await reconcile({ ...deps(emulator), log: (l) => lines.push(l) });
      expect(outcome).toMatchObject({ subscriptions: 2, servers: 2, failed: [] });
      // One list per subscription and flexible-server provider (PostgreSQL and MySQL).
      const lists = emulator.requests
        .entries({ operation: 'Servers_ListBySubscription' })
        .map((r) => r.path.split('/')[4]!.toLowerCase());
      expect(lists.filter((p) => p === 'microsoft.dbforpostgresql')).toHaveLength(2);
      expect(lists.filter((p) => p === 'microsoft.dbformysql')).toHaveLength(2);
      expect(lines.join('\n')).toMatch(
        /Resource Graph listing failed, listing the remaining subscriptions through ARM: Could not query Resource Graph/,
      );
    });
  });
});
