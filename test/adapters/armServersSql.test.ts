import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArmServers } from '../../src/adapters/azure/arm/servers.js';
import { armClientOptions, startEmulator, type Emulator } from '../../src/local/emulator/index.js';
import { SUB1, armServer, sqlShop } from '../support/estate.js';

const LOGICAL = sqlShop(SUB1).logical;
const PROD = `${LOGICAL}/databases/shop`;
const KEPT = `${LOGICAL}/databases/shop-kept`;

/**
 * The one ServersPort on SQL databases: SQL Database is an entry of ArmServers' engine table (sqlApi.ts) like the
 * flexible servers; what differs (a database lives under a logical server shared with production) is checked here.
 */
describe('ArmServers on SQL databases (@azure/arm-sql through the engine table)', () => {
  let emulator: Emulator;
  let servers: ArmServers;
  const writes = () => emulator.requests.entries().filter((r) => r.method !== 'GET');

  beforeAll(async () => {
    emulator = await startEmulator({
      snapshot: {
        servers: [armServer({ name: 'pg-orders-prod' })],
        ...sqlShop(SUB1, [
          {
            id: KEPT,
            name: 'shop-kept',
            type: 'Microsoft.Sql/servers/databases',
            location: 'westeurope',
            properties: { creationDate: '2026-01-10T08:00:00Z' },
          },
        ]).snapshot,
        locks: { [KEPT]: [{ name: 'keep', properties: { level: 'CanNotDelete' } }] },
      },
      // A 10-minute restore takes about 0.6 s here: long enough for the progress to show between polls.
      timeScale: 0.001,
    });
    servers = new ArmServers({
      credential: emulator.credential,
      clientOptions: armClientOptions(emulator),
      pollIntervalInMs: 20,
    });
  });
  afterAll(async () => emulator?.close());

  it("lists every engine in one list: the databases of each logical server (not master), with the server's exposure", async () => {
    const listed = await servers.list(SUB1);
    expect(listed.map((s) => [s.name, s.engine]).sort()).toEqual([
      ['pg-orders-prod', 'postgresql-flexible'],
      ['shop', 'sql-database'],
      ['shop-kept', 'sql-database'],
    ]);
    expect(listed.find((s) => s.name === 'shop')).toMatchObject({
      publicNetworkAccess: 'Enabled',
      administratorLogin: 'shopadmin',
      skuName: 'S0',
    });
  });

  it("gets a database with its logical server's firewall rules and the locks at the database's resource level", async () => {
    const live = await servers.get(PROD.toUpperCase(), { withFirewallRules: true, withLocks: true });
    expect(live).toMatchObject({
      engine: 'sql-database',
      name: 'shop',
      publicNetworkAccess: 'Enabled',
      firewallRules: [{ name: 'AllowAllWindowsAzureIps', startIpAddress: '0.0.0.0', endIpAddress: '0.0.0.0' }],
      locks: [],
    });
    expect(await servers.listLocks(KEPT)).toEqual([{ name: 'keep', level: 'CanNotDelete' }]);
    expect(await servers.get(`${LOGICAL}/databases/missing`)).toBeUndefined();
    expect(await servers.get(`${LOGICAL.replace('sql-shop', 'sql-none')}/databases/shop`)).toBeUndefined();
  });

  it('refuses every network change and a stop, naming the logical server as the reason, before any request', async () => {
    const before = writes().length;
    await expect(servers.deleteFirewallRule(PROD, 'AllowAllWindowsAzureIps')).rejects.toThrow(
      /belongs to its logical server, shared with production; the warden never changes it/,
    );
    await expect(servers.disablePublicAccess(PROD)).rejects.toThrow(/Refused to disable public network access/);
    await expect(servers.stop(PROD)).rejects.toThrow(/Refused to stop/);
    await expect(
      servers.upsertFirewallRule(PROD, { name: 'drill', startIpAddress: '20.50.1.8', endIpAddress: '20.50.1.8' }),
    ).rejects.toThrow(/Refused to write firewall rule drill/);
    expect(writes().length).toBe(before);
  });

  it("restore with wait: the database goes on the source's logical server with the request's tags only; progress shows percentComplete", async () => {
    const states: string[] = [];
    const copy = await servers.restore(
      {
        sourceServerId: PROD,
        targetResourceGroup: 'rg-shop',
        targetName: 'shop-fix',
        location: 'westeurope',
        pointInTimeUtc: new Date(Date.now() - 3_600_000).toISOString(),
        tags: { Owner: 'alice@contoso.com', RestoredFrom: PROD },
      },
      { wait: true, onProgress: (s) => states.push(s) },
    );
    expect(copy).toMatchObject({
      id: `${LOGICAL}/databases/shop-fix`,
      engine: 'sql-database',
      state: 'Online',
      tags: { Owner: 'alice@contoso.com', RestoredFrom: PROD },
      publicNetworkAccess: 'Enabled',
    });
    expect(Object.keys(copy.tags).sort()).toEqual(['Owner', 'RestoredFrom']);
    expect(states[0]).toBe('Accepted');
    const percents = states
      .map((s) => /^Restoring (\d+)%$/.exec(s)?.[1])
      .filter((p) => p !== undefined)
      .map(Number);
    expect(percents.some((p) => p > 0 && p < 100)).toBe(true);
    expect(states.at(-1)).toBe('Online (100%)');
  });

  it('deletes a database (a locked one answers locked), and tags go through the Tags API on the database', async () => {
    emulator.requests.clear();
    await servers.mergeTags(`${LOGICAL}/databases/shop-fix`, { ExpiresOn: '2026-12-01T00:00:00Z' });
    expect(await servers.delete(KEPT)).toBe('locked');
    expect(await servers.delete(`${LOGICAL}/databases/shop-fix`)).toBe('deleted');
    // A database already gone answers 204: the delete succeeds, as the port promises.
    expect(await servers.delete(`${LOGICAL}/databases/shop-fix`)).toBe('deleted');
    expect(writes().map((w) => [w.operation, w.path.toLowerCase(), w.status])).toEqual([
      [
        'Tags_UpdateAtScope',
        `${LOGICAL}/databases/shop-fix/providers/Microsoft.Resources/tags/default`.toLowerCase(),
        200,
      ],
      ['Databases_Delete', KEPT.toLowerCase(), 409],
      ['Databases_Delete', `${LOGICAL}/databases/shop-fix`.toLowerCase(), 202],
      ['Databases_Delete', `${LOGICAL}/databases/shop-fix`.toLowerCase(), 204],
    ]);
  });
});
