import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArmActivityFeed, ArmServers } from '../../src/adapters/azure/arm/servers.js';
import { armClientOptions, startEmulator, type Emulator } from '../../src/local/emulator/index.js';
import { SUB1, armMySqlRule, armMySqlServer, armServer } from '../support/estate.js';

/** The ServersPort dispatching by engine: MySQL flexible servers through @azure/arm-mysql-flexible and the generic resources API. */
describe('ArmServers on MySQL flexible servers', () => {
  const prod = armMySqlServer({
    name: 'my-orders-prod',
    tags: { Owner: 'team@contoso.com', Environment: 'Production' },
  });
  const pg = armServer({ name: 'pg-orders-prod' });
  let emulator: Emulator;
  let servers: ArmServers;
  const point = () => new Date(Date.now() - 3_600_000).toISOString();

  beforeAll(async () => {
    emulator = await startEmulator({
      snapshot: {
        servers: [prod, pg, armMySqlServer({ name: 'my-stop' }), armMySqlServer({ name: 'my-gone' })],
        firewallRules: { [prod.id]: [armMySqlRule(prod.id, 'AllowAll', '0.0.0.0', '255.255.255.255')] },
        locks: {
          [prod.id.replace('my-orders-prod', 'my-stop')]: [{ name: 'keep', properties: { level: 'CanNotDelete' } }],
        },
      },
      timeScale: 0.001,
    });
    servers = new ArmServers({
      credential: emulator.credential,
      clientOptions: armClientOptions(emulator),
      pollIntervalInMs: 20,
    });
  });
  afterAll(async () => emulator?.close());

  it('lists the servers of every engine, each with its engine', async () => {
    const listed = await servers.list(SUB1);
    expect(listed.map((s) => [s.name, s.engine]).sort()).toEqual([
      ['my-gone', 'mysql-flexible'],
      ['my-orders-prod', 'mysql-flexible'],
      ['my-stop', 'mysql-flexible'],
      ['pg-orders-prod', 'postgresql-flexible'],
    ]);
    expect(
      emulator.requests
        .entries({ operation: 'Servers_ListBySubscription' })
        .map((r) => r.path.split('/')[4]!.toLowerCase())
        .sort(),
    ).toEqual(['microsoft.dbformysql', 'microsoft.dbforpostgresql']);
  });

  it('gets a MySQL server with its firewall rules, and the locks at its resource level', async () => {
    const live = await servers.get(prod.id.toUpperCase(), { withFirewallRules: true, withLocks: true });
    expect(live).toMatchObject({
      engine: 'mysql-flexible',
      name: 'my-orders-prod',
      publicNetworkAccess: 'Enabled',
      tags: { Owner: 'team@contoso.com' },
    });
    expect(live?.firewallRules).toEqual([
      { name: 'AllowAll', startIpAddress: '0.0.0.0', endIpAddress: '255.255.255.255' },
    ]);
    expect(live?.locks).toEqual([]);
    expect(await servers.listLocks(prod.id.replace('my-orders-prod', 'my-stop'))).toEqual([
      { name: 'keep', level: 'CanNotDelete' },
    ]);
    expect(await servers.get(prod.id.replace('my-orders-prod', 'my-missing'))).toBeUndefined();
  });

  it('restore with wait: the create request names restorePointInTime and carries the tags; the state reads Restoring while ARM answers 404', async () => {
    const states: string[] = [];
    const at = point();
    const clone = await servers.restore(
      {
        sourceServerId: prod.id,
        targetResourceGroup: 'rg-prod',
        targetName: 'my-orders-fix',
        location: 'eastus',
        pointInTimeUtc: at,
        tags: { Owner: 'alice@contoso.com', RestoredFrom: prod.id },
      },
      { wait: true, onProgress: (s) => states.push(s) },
    );
    expect(states[0]).toBe('Accepted');
    expect(states).toContain('Restoring');
    expect(states.at(-1)).toBe('Ready');
    expect(clone).toMatchObject({
      engine: 'mysql-flexible',
      name: 'my-orders-fix',
      state: 'Ready',
      tags: { Owner: 'alice@contoso.com', RestoredFrom: prod.id, Environment: 'Production' },
    });
    const start = emulator
      .snapshot()
      .activityLog!.find(
        (e) => String(e.resourceId).endsWith('/my-orders-fix') && (e.status as { value: string }).value === 'Accepted',
      )!;
    const body = JSON.parse((start.properties as { requestbody: string }).requestbody);
    expect(body).toMatchObject({
      tags: { Owner: 'alice@contoso.com' },
      properties: { createMode: 'PointInTimeRestore', sourceServerResourceId: prod.id },
    });
    expect(new Date(body.properties.restorePointInTime).toISOString()).toBe(at);
    expect(body.properties).not.toHaveProperty('pointInTimeUTC');
  });

  it('restore without wait answers the accepted server while ARM still answers 404 for it', async () => {
    const accepted = await servers.restore({
      sourceServerId: prod.id,
      targetResourceGroup: 'rg-prod',
      targetName: 'my-orders-nowait',
      location: 'eastus',
      pointInTimeUtc: point(),
      tags: { Owner: 'alice@contoso.com' },
    });
    expect(accepted).toMatchObject({
      engine: 'mysql-flexible',
      name: 'my-orders-nowait',
      state: 'Restoring',
      key: prod.id.replace('my-orders-prod', 'my-orders-nowait').toLowerCase(),
    });
  });

  it('disables public access with a PATCH at api-version 2024-12-30 (the GA SDK cannot), deletes a rule, stops and deletes', async () => {
    await servers.disablePublicAccess(prod.id);
    expect((await servers.get(prod.id))?.publicNetworkAccess).toBe('Disabled');
    const patch = (
      emulator.events.emitted() as unknown as {
        data: { operationName: string; resourceUri: string; httpRequest: { method: string; url: string } };
      }[]
    ).find((e) => e.data.httpRequest.method === 'PATCH' && e.data.resourceUri === prod.id);
    expect(patch?.data.httpRequest.url).toContain('api-version=2024-12-30');
    expect(patch?.data.operationName).toBe('Microsoft.DBforMySQL/flexibleServers/write');
    expect(await servers.deleteFirewallRule(prod.id, 'AllowAll')).toBe('deleted');
    expect(await servers.listFirewallRules(prod.id)).toEqual([]);
    const stopId = prod.id.replace('my-orders-prod', 'my-stop');
    await servers.stop(stopId);
    expect((await servers.get(stopId))?.state).toBe('Stopped');
    expect(await servers.delete(stopId)).toBe('locked');
    const gone = prod.id.replace('my-orders-prod', 'my-gone');
    expect(await servers.delete(gone)).toBe('deleted');
    expect(await servers.get(gone)).toBeUndefined();
    expect(['deleted', 'already-gone']).toContain(await servers.delete(gone));
  });

  it('checks a MySQL name in the MySQL zone: a PostgreSQL server of that name does not take it', async () => {
    expect(await servers.checkName(SUB1, 'East US', 'my-stop', 'mysql-flexible')).toMatchObject({
      available: false,
      reason: 'AlreadyExists',
    });
    expect(await servers.checkName(SUB1, 'East US', 'pg-orders-prod', 'mysql-flexible')).toEqual({ available: true });
    expect(await servers.checkName(SUB1, 'East US', 'pg-orders-prod')).toMatchObject({ available: false });
  });

  it('reads the Activity Log with one resourceProvider clause per query: MySQL and PostgreSQL entries both come back', async () => {
    await servers.mergeTags(pg.id, { Touched: 'yes' });
    const feed = new ArmActivityFeed({ credential: emulator.credential, clientOptions: armClientOptions(emulator) });
    const entries = (await feed.list(SUB1, {
      from: new Date(Date.now() - 3_600_000),
      to: new Date(Date.now() + 60_000),
    })) as { resourceProviderName?: { value?: string } }[];
    const providers = new Set(entries.map((e) => e.resourceProviderName?.value));
    expect(providers.has('Microsoft.DBforMySQL')).toBe(true);
    expect(emulator.requests.entries({ operation: 'ActivityLogs_List' }).length).toBeGreaterThanOrEqual(2);
  });
});
