import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/domain/classify.js';
import { ENGINE_SPECS, ENGINES, parseEngine, resourceTypeOf, type EngineSpec } from '../../src/domain/engines.js';
import { parseDelivery } from '../../src/domain/events.js';
import { parseEngineId, parseServerId, serverId, serverKey } from '../../src/domain/ids.js';
import { restoreEvidenceFrom, resourceEventFromActivityEntry } from '../../src/domain/activityLog.js';
import { armFromServer, parseSnapshot, serverFromArm } from '../../src/domain/snapshot.js';
import { DEFAULT_POLICY } from '../../src/domain/policy.js';
import { fixture } from '../fixtures/events/load.js';

const SUB = '7f2c3a51-6b0e-4d8a-9c1f-2e5b8d4a6c30';
const MYSQL_CLONE = `/subscriptions/${SUB}/resourceGroups/rg-payments/providers/Microsoft.DBforMySQL/flexibleServers/mysql-payments-restore-0412`;
const MYSQL_SOURCE = `/subscriptions/${SUB}/resourceGroups/rg-payments/providers/Microsoft.DBforMySQL/flexibleServers/mysql-payments`;
const samples = (name: string) =>
  JSON.parse(
    readFileSync(fileURLToPath(new URL(`../fixtures/azure-samples/mysql-2024-12-30/${name}`, import.meta.url)), 'utf8'),
  ) as {
    parameters: { parameters: Record<string, unknown> };
    responses: Record<string, { body: Record<string, unknown> }>;
  };

describe('the engine table', () => {
  it('names the resource type, restore fields, create modes, operations and price service of each engine', () => {
    expect(ENGINES).toEqual(['postgresql-flexible', 'mysql-flexible', 'sql-database']);
    expect(resourceTypeOf('mysql-flexible')).toBe('Microsoft.DBforMySQL/flexibleServers');
    expect(resourceTypeOf('postgresql-flexible')).toBe('Microsoft.DBforPostgreSQL/flexibleServers');
    const mysql = ENGINE_SPECS['mysql-flexible'];
    expect(mysql.restoreBody).toEqual({
      createMode: 'createMode',
      source: 'sourceServerResourceId',
      pointInTime: 'restorePointInTime',
    });
    expect(ENGINE_SPECS['postgresql-flexible'].restoreBody.pointInTime).toBe('pointInTimeUTC');
    expect(mysql.createModes).toEqual(['Default', 'PointInTimeRestore', 'Replica', 'GeoRestore']);
    expect(mysql.cloneCreateModes).not.toContain('ReviveDropped');
    expect(mysql.operations).toEqual({
      write: 'Microsoft.DBforMySQL/flexibleServers/write',
      delete: 'Microsoft.DBforMySQL/flexibleServers/delete',
    });
    expect(mysql.priceServiceName).toBe('Azure Database for MySQL');
    expect(mysql.retentionDays).toEqual({ min: 1, max: 35 });
    expect(mysql.notFoundWhileRestoring).toBe(true);
    // publicNetworkAccess is read-only before 2023-12-30.
    expect(mysql.writeApiVersion >= '2023-12-30').toBe(true);
    for (const engine of ['postgresql-flexible', 'mysql-flexible'] as const)
      expect(ENGINE_SPECS[engine]).toMatchObject({ engine, networkPolicy: 'enforce' });
  });

  it('reads engine names as users write them, and names the accepted ones otherwise', () => {
    expect(parseEngine('mysql-flexible')).toBe('mysql-flexible');
    expect(parseEngine(' MySQL ')).toBe('mysql-flexible');
    expect(parseEngine('postgres')).toBe('postgresql-flexible');
    expect(() => parseEngine('oracle')).toThrow(
      'unknown engine "oracle": use one of postgresql-flexible, mysql-flexible, sql-database',
    );
  });
});

describe('ids of both providers', () => {
  it('parses a MySQL flexible server and its children in any casing to one key', () => {
    const upper = parseServerId(
      `/SUBSCRIPTIONS/${SUB.toUpperCase()}/RESOURCEGROUPS/RG-PAYMENTS/PROVIDERS/MICROSOFT.DBFORMYSQL/FLEXIBLESERVERS/MYSQL-PAYMENTS-RESTORE-0412`,
    );
    const rule = parseServerId(`${MYSQL_CLONE.replace('resourceGroups', 'resourcegroups')}/firewallRules/AllowAll`);
    expect(upper).toMatchObject({
      engine: 'mysql-flexible',
      key: MYSQL_CLONE.toLowerCase(),
      subscriptionId: SUB,
      resourceGroup: 'RG-PAYMENTS',
    });
    expect(upper?.id).toBe(
      `/subscriptions/${SUB}/resourceGroups/RG-PAYMENTS/providers/Microsoft.DBforMySQL/flexibleServers/MYSQL-PAYMENTS-RESTORE-0412`,
    );
    expect(rule).toMatchObject({
      engine: 'mysql-flexible',
      key: MYSQL_CLONE.toLowerCase(),
      name: 'mysql-payments-restore-0412',
      child: { type: 'firewallRules', name: 'AllowAll' },
    });
    expect(rule?.parents).toBeUndefined();
  });

  it('keeps a PostgreSQL and a MySQL server of the same name apart', () => {
    const pg = serverId(SUB, 'rg', 'orders');
    const my = serverId(SUB, 'rg', 'orders', 'mysql-flexible');
    expect(parseServerId(pg)?.engine).toBe('postgresql-flexible');
    expect(parseServerId(my)?.engine).toBe('mysql-flexible');
    expect(serverKey(pg)).not.toBe(serverKey(my));
  });

  it('refuses other providers and MySQL single servers', () => {
    expect(
      parseServerId(`/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.DBforMySQL/servers/legacy`),
    ).toBeUndefined();
    expect(
      parseServerId(`/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/x`),
    ).toBeUndefined();
  });

  it('parses an engine whose resource lives under a parent (a database under a logical server), parents first', () => {
    const database = {
      engine: 'postgresql-flexible',
      label: 'test database',
      providerNamespace: 'Microsoft.Sql',
      resourcePath: ['servers', 'databases'],
    } as unknown as EngineSpec;
    const ref = parseEngineId(
      database,
      `/subscriptions/${SUB}/resourcegroups/rg/providers/microsoft.sql/servers/sql-prod/databases/orders-fix/operations/op1`,
    );
    expect(ref).toMatchObject({
      id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Sql/servers/sql-prod/databases/orders-fix`,
      name: 'orders-fix',
      parents: [{ type: 'servers', name: 'sql-prod' }],
      child: { type: 'operations', name: 'op1' },
    });
    expect(
      parseEngineId(
        database,
        `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Sql/servers/sql-prod/firewallRules/x`,
      ),
    ).toBeUndefined();
  });
});

describe('intake names the engine', () => {
  it('an Event Grid write, a CloudEvent and an Activity Log alert on a MySQL server are changes of the MySQL key', () => {
    for (const file of [
      'mysql/eventgrid-write-success.json',
      'mysql/cloudevent-write-success.json',
      'mysql/alert-write-succeeded.json',
    ]) {
      expect(parseDelivery(fixture(file))).toEqual([
        expect.objectContaining({
          kind: 'changed',
          engine: 'mysql-flexible',
          key: MYSQL_CLONE.toLowerCase(),
          operationName: 'Microsoft.DBforMySQL/flexibleServers/write',
        }),
      ]);
    }
  });

  it('the MySQL server delete is a delete; its firewall rule delete is a change of the server', () => {
    expect(parseDelivery(fixture('mysql/eventgrid-delete-success.json'))).toEqual([
      expect.objectContaining({ kind: 'deleted', engine: 'mysql-flexible' }),
    ]);
    expect(parseDelivery(fixture('mysql/eventgrid-firewall-rule-delete-success.json'))).toEqual([
      expect.objectContaining({
        kind: 'changed',
        engine: 'mysql-flexible',
        key: MYSQL_CLONE.toLowerCase(),
        childResourceId: expect.stringMatching(/firewallRules/),
      }),
    ]);
  });

  it("a PostgreSQL delete operation named on a MySQL id is not the MySQL server's delete", () => {
    const event = fixture('mysql/eventgrid-delete-success.json');
    event.data.operationName = 'Microsoft.DBforPostgreSQL/flexibleServers/delete';
    expect(parseDelivery(event)).toEqual([expect.objectContaining({ kind: 'changed', engine: 'mysql-flexible' })]);
  });

  it('an Activity Log entry of a MySQL write is a MySQL change', () => {
    expect(resourceEventFromActivityEntry(fixture('mysql/entry-pitr-write-succeeded.json'))).toMatchObject({
      kind: 'changed',
      engine: 'mysql-flexible',
      key: MYSQL_CLONE.toLowerCase(),
    });
  });
});

describe('restore evidence per engine', () => {
  it('reads restorePointInTime from the start record of a MySQL restore (which may carry tags and a SKU)', () => {
    expect(restoreEvidenceFrom(fixture('mysql/entry-pitr-write-started.json'))).toMatchObject({
      serverId: MYSQL_CLONE,
      createMode: 'PointInTimeRestore',
      sourceServerId: MYSQL_SOURCE,
      pointInTimeUtc: '2026-11-20T08:00:00.000Z',
      status: 'Started',
      actor: { type: 'user', upn: 'alice@contoso.com' },
    });
  });

  it("reads the body of Microsoft's MySQL point-in-time restore example", () => {
    const example = samples('ServerCreateWithPointInTimeRestore.json');
    const entry = fixture('mysql/entry-pitr-write-started.json');
    entry.properties.requestbody = JSON.stringify(example.parameters.parameters);
    expect(restoreEvidenceFrom(entry)).toMatchObject({
      createMode: 'PointInTimeRestore',
      sourceServerId:
        '/subscriptions/ffffffff-ffff-ffff-ffff-ffffffffffff/resourceGroups/SourceResourceGroup/providers/Microsoft.DBforMySQL/flexibleServers/sourceserver',
      pointInTimeUtc: '2021-06-24T00:00:37.467Z',
    });
  });

  it('does not read the PostgreSQL field name on a MySQL restore, and refuses ReviveDropped as a MySQL clone mode', () => {
    const entry = fixture('mysql/entry-pitr-write-started.json');
    entry.properties.requestbody = String(entry.properties.requestbody).replace('restorePointInTime', 'pointInTimeUTC');
    expect(restoreEvidenceFrom(entry)?.pointInTimeUtc).toBeUndefined();
    const server = serverFromArm({
      id: MYSQL_CLONE,
      location: 'westeurope',
      systemData: { createdAt: '2026-11-20T09:10:00Z' },
    });
    const evidence = {
      ...restoreEvidenceFrom(fixture('mysql/entry-pitr-write-started.json'))!,
      createMode: 'ReviveDropped',
    };
    expect(
      classify(server, { servers: [server], restoreEvidence: [evidence], tagKeys: DEFAULT_POLICY.tagKeys })
        .classification,
    ).toBe('not-a-clone');
    expect(
      classify(server, {
        servers: [server],
        restoreEvidence: [{ ...evidence, createMode: 'PointInTimeRestore' }],
        tagKeys: DEFAULT_POLICY.tagKeys,
      }).classification,
    ).toBe('clone');
  });
});

describe('servers, snapshots and inventory rows carry the engine', () => {
  it("reads Microsoft's MySQL ServerGet example as a MySQL server and writes it back with its type", () => {
    const body = samples('ServerGet.json').responses['200']!.body;
    const server = serverFromArm(body);
    expect(server).toMatchObject({
      engine: 'mysql-flexible',
      name: 'mysqltestserver',
      version: '5.7',
      storageSizeGb: 100,
      publicNetworkAccess: 'Enabled',
      skuName: 'Standard_D2ds_v4',
    });
    expect(armFromServer(server).type).toBe('Microsoft.DBforMySQL/flexibleServers');
  });

  it('a PostgreSQL twin never makes a MySQL server a probable clone', () => {
    const common = {
      location: 'westeurope',
      tags: { Owner: 'x@contoso.com' },
      properties: { administratorLogin: 'adm', version: '8.0', storage: { storageSizeGB: 32 } },
    };
    const pg = serverFromArm({
      ...common,
      id: serverId(SUB, 'rg', 'a'),
      systemData: { createdAt: '2026-01-01T00:00:00Z' },
    });
    const my = serverFromArm({
      ...common,
      id: serverId(SUB, 'rg', 'b', 'mysql-flexible'),
      systemData: { createdAt: '2026-02-01T00:00:00Z' },
    });
    expect(classify(my, { servers: [pg, my], tagKeys: DEFAULT_POLICY.tagKeys }).classification).toBe('not-a-clone');
  });

  it('snapshot inventory rows without an engine read as PostgreSQL; a MySQL row keeps its engine', () => {
    const row = { id: serverId(SUB, 'rg', 'pg-old'), classification: 'clone' };
    const snapshot = parseSnapshot({
      servers: [],
      inventory: [row, { id: MYSQL_CLONE, engine: 'mysql-flexible', classification: 'clone' }],
    });
    expect(snapshot.inventory.map((r) => r.engine)).toEqual(['postgresql-flexible', 'mysql-flexible']);
    expect(() => parseSnapshot({ servers: [], inventory: [{ ...row, engine: 'oracle' }] })).toThrow(
      /inventory\[0\]\.engine/,
    );
  });
});
