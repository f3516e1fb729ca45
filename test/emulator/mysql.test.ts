import { MySQLManagementFlexibleServerClient } from '@azure/arm-mysql-flexible';
import { MonitorClient } from '@azure/arm-monitor';
import { PostgreSQLManagementFlexibleServerClient } from '@azure/arm-postgresql-flexible';
import { ResourceManagementClient } from '@azure/arm-resources';
import type { FullOperationResponse } from '@azure/core-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MYSQL_API_VERSIONS } from '../../src/local/emulator/arm/apiVersions.js';
import {
  armClientOptions,
  startEmulator,
  type ArmServer,
  type Emulator,
  type EmulatorSnapshot,
} from '../../src/local/emulator/index.js';
import { sample } from '../support/samples.js';
import {
  armRequest,
  collect,
  missingKeys,
  now,
  NOW,
  SUB1,
  SUB2,
  seedServer,
  type Answer,
  type Json,
} from './helpers.js';

/**
 * Microsoft.DBforMySQL/flexibleServers on the emulator, through the real @azure/arm-mysql-flexible 3.1.0 client (api
 * 2021-05-01), @azure/arm-resources' generic resources API (api 2024-12-30) and plain HTTPS. timeScale 1 on a pinned
 * clock: a restore runs until the clock is moved, so its 404-while-restoring phase can be seen.
 */
let emulator: Emulator;
let mysql: MySQLManagementFlexibleServerClient;
let postgres: PostgreSQLManagementFlexibleServerClient;
let resources: ResourceManagementClient;
let monitor: MonitorClient;

const MINUTE = 60_000;
const mysqlId = (sub: string, rg: string, name: string) =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.DBforMySQL/flexibleServers/${name}`;
const PROD = mysqlId(SUB1, 'rg-prod', 'my-orders-prod');
const PRIVATE = mysqlId(SUB1, 'rg-prod', 'my-private');
const VNET = {
  delegatedSubnetResourceId: `/subscriptions/${SUB1}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/mysql`,
  privateDnsZoneResourceId: `/subscriptions/${SUB1}/resourceGroups/rg-net/providers/Microsoft.Network/privateDnsZones/private.mysql.database.azure.com`,
};

function snapshot(): EmulatorSnapshot {
  const my = (id: string, extra: Partial<ArmServer> = {}): ArmServer => ({
    id,
    name: id.split('/').pop()!,
    type: 'Microsoft.DBforMySQL/flexibleServers',
    location: 'eastus',
    sku: { name: 'Standard_D2ds_v4', tier: 'GeneralPurpose' },
    systemData: { createdAt: '2026-01-10T08:00:00Z' },
    ...extra,
    properties: {
      administratorLogin: 'ordersadmin',
      version: '8.0.21',
      storage: { storageSizeGB: 100 },
      backup: { backupRetentionDays: 7 },
      ...extra.properties,
    },
  });
  return {
    servers: [
      my(PROD, { tags: { Environment: 'Production', Owner: 'orders-team@contoso.com' } }),
      my(PRIVATE, { properties: { network: VNET } }),
      my(mysqlId(SUB1, 'rg-other', 'my-other')),
      my(mysqlId(SUB2, 'rg-two', 'my-two')),
      // A PostgreSQL server of the same subscription and group: never listed as MySQL.
      seedServer(SUB1, 'rg-prod', 'pg-prod'),
    ],
    firewallRules: {
      [PROD]: [{ name: 'AllowAll', properties: { startIpAddress: '0.0.0.0', endIpAddress: '255.255.255.255' } }],
    },
  };
}

interface EmittedEvent {
  eventType: string;
  subject: string;
  data: { operationName: string };
}

/** One ARM request with a bearer token; `path` may be a full polling URL the emulator handed out. */
const arm = (method: string, path: string, body?: unknown, apiVersion = '2024-12-30'): Promise<Answer> =>
  armRequest(emulator, method, path, body, apiVersion);
const header = (a: Answer, name: string): string => String(a.headers[name.toLowerCase()] ?? '');
/** Polls a 202's operation once: at timeScale 0 that ends it. */
const done = async (accepted: Answer): Promise<void> => {
  expect(accepted.status).toBe(202);
  expect((await arm('GET', header(accepted, 'Azure-AsyncOperation'))).body.status).toBe('Succeeded');
};

const restoreBody = (extra: Json = {}) => ({
  location: 'East US',
  tags: { RestoredFrom: PROD, Owner: 'alice@contoso.com' },
  properties: {
    createMode: 'PointInTimeRestore',
    sourceServerResourceId: PROD,
    restorePointInTime: '2026-11-21T08:00:00Z',
    ...extra,
  },
});

beforeAll(async () => {
  emulator = await startEmulator({ snapshot: snapshot(), now, timeScale: 1 });
  const options = armClientOptions(emulator);
  mysql = new MySQLManagementFlexibleServerClient(emulator.credential, SUB1, options);
  postgres = new PostgreSQLManagementFlexibleServerClient(emulator.credential, SUB1, options);
  resources = new ResourceManagementClient(emulator.credential, SUB1, options);
  monitor = new MonitorClient(emulator.credential, SUB1, options);
});
beforeEach(() => emulator.reset());
afterAll(async () => emulator?.close());

describe('MySQL flexible servers: reads', () => {
  it('lists by subscription and resource group through the SDK, MySQL servers only (and PostgreSQL lists no MySQL server)', async () => {
    expect((await collect(mysql.servers.list())).map((s) => s.name).sort()).toEqual([
      'my-orders-prod',
      'my-other',
      'my-private',
    ]);
    expect((await collect(mysql.servers.listByResourceGroup('rg-prod'))).map((s) => s.name).sort()).toEqual([
      'my-orders-prod',
      'my-private',
    ]);
    expect((await collect(postgres.servers.listBySubscription())).map((s) => s.name)).toEqual(['pg-prod']);
  });

  it('answers GET with every field of Microsoft ServerGet example (2024-12-30), location as display name, systemData createdAt only', async () => {
    const got = await arm('GET', PROD);
    expect(got.status).toBe(200);
    expect(missingKeys(sample('mysql-2024-12-30/ServerGet.json').responses['200'].body, got.body)).toEqual([]);
    expect(got.body).toMatchObject({
      type: 'Microsoft.DBforMySQL/flexibleServers',
      location: 'East US',
      systemData: { createdAt: '2026-01-10T08:00:00Z' },
    });
    expect(Object.keys(got.body.systemData)).toEqual(['createdAt']);
    expect(got.body.properties).toMatchObject({
      fullyQualifiedDomainName: 'my-orders-prod.mysql.database.azure.com',
      databasePort: 3306,
      replicationRole: 'None',
    });
    const sdk = await mysql.servers.get('rg-prod', 'my-orders-prod');
    expect(sdk.network?.publicNetworkAccess).toBe('Enabled');
    expect(sdk.backup?.earliestRestoreDate).toBeInstanceOf(Date);
  });

  it('refuses an api-version MySQL never published, naming those it has', async () => {
    const got = await arm('GET', PROD, undefined, '2025-08-01');
    expect(got.status).toBe(400);
    expect(got.body.error.code).toBe('InvalidApiVersionParameter');
    expect(got.body.error.message).toContain(MYSQL_API_VERSIONS.join(','));
  });

  it('checks names per engine: a MySQL name is taken by a MySQL server anywhere, not by a PostgreSQL one', async () => {
    const taken = await mysql.checkNameAvailability.execute('eastus', {
      name: 'my-two',
      type: 'Microsoft.DBforMySQL/flexibleServers',
    });
    expect(taken).toMatchObject({ nameAvailable: false, reason: 'AlreadyExists' });
    expect(
      await mysql.checkNameAvailability.execute('eastus', {
        name: 'pg-prod',
        type: 'Microsoft.DBforMySQL/flexibleServers',
      }),
    ).toMatchObject({ nameAvailable: true });
    expect(
      (
        await arm('POST', `/subscriptions/${SUB1}/providers/Microsoft.DBforMySQL/checkNameAvailability`, {
          name: 'Bad_Name',
        })
      ).body,
    ).toMatchObject({ nameAvailable: false, reason: 'Invalid' });
  });
});

describe('MySQL point-in-time restore', () => {
  it('answers 202 with the operation body and polling headers, 404 ResourceNotFound to GET while restoring, then the copy', async () => {
    const accepted = await arm('PUT', `${mysqlId(SUB1, 'rg-restore', 'my-fix')}`, restoreBody());
    expect(accepted.status).toBe(202);
    expect(accepted.body).toEqual({ operation: 'RestoreSnapshotManagementOperation', startTime: NOW.toISOString() });
    expect(header(accepted, 'Azure-AsyncOperation')).toMatch(
      /\/providers\/Microsoft\.DBforMySQL\/locations\/eastus\/azureAsyncOperation\/[0-9a-f-]+\?api-version=2024-12-30$/,
    );
    expect(header(accepted, 'Location')).toMatch(
      /\/providers\/Microsoft\.DBforMySQL\/locations\/eastus\/operationResults\//,
    );
    expect(header(accepted, 'Retry-After')).not.toBe('');

    // For minutes of Azure time the target is no resource: GET, list, tags and firewall rules all answer 404.
    emulator.clock.advance(3 * MINUTE);
    const during = await arm('GET', mysqlId(SUB1, 'rg-restore', 'my-fix'));
    expect(during.status).toBe(404);
    expect(during.body.error.code).toBe('ResourceNotFound');
    expect((await arm('GET', `${mysqlId(SUB1, 'rg-restore', 'my-fix')}/firewallRules`)).status).toBe(404);
    expect(await collect(mysql.servers.listByResourceGroup('rg-restore'))).toEqual([]);
    expect(
      (
        await arm(
          'GET',
          `${mysqlId(SUB1, 'rg-restore', 'my-fix')}/providers/Microsoft.Resources/tags/default`,
          undefined,
          '2021-04-01',
        )
      ).status,
    ).toBe(404);
    expect((await arm('GET', header(accepted, 'Azure-AsyncOperation'))).body.status).toBe('InProgress');
    // The name is taken meanwhile.
    expect(await mysql.checkNameAvailability.execute('eastus', { name: 'my-fix' })).toMatchObject({
      nameAvailable: false,
    });

    emulator.clock.advance(4 * MINUTE);
    expect((await arm('GET', header(accepted, 'Azure-AsyncOperation'))).body).toMatchObject({ status: 'Succeeded' });
    const done = await arm('GET', mysqlId(SUB1, 'rg-restore', 'my-fix'));
    expect(done.status).toBe(200);
    expect(
      missingKeys(sample('mysql-2024-12-30/ServerCreateWithPointInTimeRestore.json').responses['200'].body, done.body, [
        'properties.backup.earliestRestoreDate',
      ]),
    ).toEqual([]);
    // The source's tags are copied and the request's win; no lineage on the copy; the open rule came along.
    expect(done.body.tags).toEqual({ Environment: 'Production', Owner: 'alice@contoso.com', RestoredFrom: PROD });
    for (const field of ['createMode', 'restorePointInTime', 'sourceServerResourceId'])
      expect(done.body.properties).not.toHaveProperty(field);
    expect(done.body.properties.backup).not.toHaveProperty('earliestRestoreDate');
    expect(done.body.properties.state).toBe('Ready');
    expect(
      (await collect(mysql.firewallRules.listByServer('rg-restore', 'my-fix'))).map((r) => [
        r.name,
        r.startIpAddress,
        r.endIpAddress,
      ]),
    ).toEqual([['AllowAll', '0.0.0.0', '255.255.255.255']]);
  });

  it('restores through the SDK client (beginCreate with restorePointInTime), also into another subscription', async () => {
    const other = new MySQLManagementFlexibleServerClient(emulator.credential, SUB2, armClientOptions(emulator));
    emulator.clock.timeScale = 0;
    const created = await other.servers.beginCreateAndWait('rg-copy', 'my-copy', {
      location: 'eastus',
      createMode: 'PointInTimeRestore',
      sourceServerResourceId: PROD,
      restorePointInTime: new Date('2026-11-21T08:00:00Z'),
      tags: { Owner: 'bob@contoso.com' },
    });
    expect(created).toMatchObject({
      name: 'my-copy',
      state: 'Ready',
      tags: { Environment: 'Production', Owner: 'bob@contoso.com' },
    });
    expect(created.id).toBe(mysqlId(SUB2, 'rg-copy', 'my-copy'));
  });

  it('lets the request choose the network: a private source restored with public access has no rules', async () => {
    emulator.clock.timeScale = 0;
    await done(
      await arm(
        'PUT',
        mysqlId(SUB1, 'rg-restore', 'my-public'),
        restoreBody({ sourceServerResourceId: PRIVATE, network: { publicNetworkAccess: 'Enabled' } }),
      ),
    );
    const got = await arm('GET', mysqlId(SUB1, 'rg-restore', 'my-public'));
    expect(got.body.properties.network).toEqual({ publicNetworkAccess: 'Enabled' });
    expect((await arm('GET', `${mysqlId(SUB1, 'rg-restore', 'my-public')}/firewallRules`)).body.value).toEqual([]);
    await done(
      await arm(
        'PUT',
        mysqlId(SUB1, 'rg-restore', 'my-still-private'),
        restoreBody({ sourceServerResourceId: PRIVATE }),
      ),
    );
    expect((await arm('GET', mysqlId(SUB1, 'rg-restore', 'my-still-private'))).body.properties.network).toMatchObject({
      publicNetworkAccess: 'Disabled',
      ...VNET,
    });
  });

  it('refuses a restore point before the retention window, a PostgreSQL field name, a PostgreSQL source and a taken name', async () => {
    const early = await arm(
      'PUT',
      mysqlId(SUB1, 'rg-restore', 'my-early'),
      restoreBody({ restorePointInTime: '2026-11-01T00:00:00Z' }),
    );
    expect([early.status, early.body.error.code]).toEqual([400, 'InvalidRestorePointInTime']);
    const pgField = await arm('PUT', mysqlId(SUB1, 'rg-restore', 'my-pgfield'), {
      location: 'eastus',
      properties: {
        createMode: 'PointInTimeRestore',
        sourceServerResourceId: PROD,
        pointInTimeUTC: '2026-11-21T08:00:00Z',
      },
    });
    expect([pgField.status, pgField.body.error.message]).toEqual([
      400,
      expect.stringContaining('properties.restorePointInTime'),
    ]);
    const pgSource = await arm(
      'PUT',
      mysqlId(SUB1, 'rg-restore', 'my-pgsource'),
      restoreBody({
        sourceServerResourceId: `/subscriptions/${SUB1}/resourceGroups/rg-prod/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-prod`,
      }),
    );
    expect(pgSource.status).toBe(400);
    const taken = await arm('PUT', mysqlId(SUB1, 'rg-x', 'my-two'), restoreBody());
    expect([taken.status, taken.body.error.code]).toEqual([409, 'ServerNameAlreadyExists']);
  });

  it('records the restore in the Activity Log under Microsoft.DBforMySQL with its request body, and emits the write event', async () => {
    emulator.clock.timeScale = 0;
    await done(await arm('PUT', mysqlId(SUB1, 'rg-restore', 'my-logged'), restoreBody()));
    const filter = `eventTimestamp ge '2026-11-21T00:00:00Z' and eventTimestamp le '2026-11-22T00:00:00Z' and resourceProvider eq 'Microsoft.DBforMySQL'`;
    const entries = await collect(monitor.activityLogs.list(filter));
    const mine = entries.filter(
      (e) => e.resourceId?.toLowerCase() === mysqlId(SUB1, 'rg-restore', 'my-logged').toLowerCase(),
    );
    expect(mine.map((e) => e.status?.value).sort()).toEqual(['Accepted', 'Succeeded']);
    const start = mine.find((e) => e.status?.value === 'Accepted')!;
    expect(start.operationName?.value).toBe('Microsoft.DBforMySQL/flexibleServers/write');
    expect(JSON.parse(String(start.properties?.requestbody)).properties).toMatchObject({
      createMode: 'PointInTimeRestore',
      restorePointInTime: '2026-11-21T08:00:00Z',
    });
    // The PostgreSQL provider's filter does not return it.
    const pg = await collect(
      monitor.activityLogs.list(filter.replace('Microsoft.DBforMySQL', 'Microsoft.DBforPostgreSQL')),
    );
    expect(pg.filter((e) => e.resourceId?.toLowerCase().includes('my-logged'))).toEqual([]);
    const events = emulator.events.emitted() as unknown as EmittedEvent[];
    expect(events.map((e) => [e.eventType, e.data.operationName, e.subject])).toContainEqual([
      'Microsoft.Resources.ResourceWriteSuccess',
      'Microsoft.DBforMySQL/flexibleServers/write',
      mysqlId(SUB1, 'rg-restore', 'my-logged'),
    ]);
  });
});

describe('MySQL writes', () => {
  beforeEach(() => {
    emulator.clock.timeScale = 0;
  });

  it('PATCH of publicNetworkAccess: applied at 2024-12-30 (generic resources API), ignored at 2021-05-01 where it is read-only', async () => {
    const old = await arm(
      'PATCH',
      PROD,
      { properties: { network: { publicNetworkAccess: 'Disabled' } } },
      '2021-05-01',
    );
    expect(old.status).toBe(202);
    expect(old.body.operation).toBe('UpsertServerManagementOperation');
    await arm('GET', header(old, 'Azure-AsyncOperation'));
    expect((await arm('GET', PROD)).body.properties.network.publicNetworkAccess).toBe('Enabled');
    const responses: FullOperationResponse[] = [];
    await resources.resources.beginUpdateByIdAndWait(
      PROD,
      '2024-12-30',
      { properties: { network: { publicNetworkAccess: 'Disabled' } } },
      { onResponse: (r) => void responses.push(r) },
    );
    expect(responses[0]!.status).toBe(202);
    expect(responses[0]!.request.url).toContain('api-version=2024-12-30');
    expect((await arm('GET', PROD)).body.properties.network.publicNetworkAccess).toBe('Disabled');
  });

  it('stops, starts and deletes through the SDK (202 LROs), and the delete leaves 404', async () => {
    await mysql.servers.beginStopAndWait('rg-other', 'my-other');
    expect((await mysql.servers.get('rg-other', 'my-other')).state).toBe('Stopped');
    const patch = await arm('PATCH', mysqlId(SUB1, 'rg-other', 'my-other'), { tags: { a: 'b' } });
    expect((await arm('GET', header(patch, 'Azure-AsyncOperation'))).body.error.code).toBe(
      'UpsertServerManagementOperationUnsupportedForStoppedServer',
    );
    await mysql.servers.beginStartAndWait('rg-other', 'my-other');
    expect((await mysql.servers.get('rg-other', 'my-other')).state).toBe('Ready');
    const removed = await arm('DELETE', mysqlId(SUB1, 'rg-other', 'my-other'));
    expect([removed.status, removed.body]).toEqual([
      202,
      { operation: 'DropServerManagementOperation', startTime: expect.any(String) },
    ]);
    await arm('GET', header(removed, 'Location'));
    expect((await arm('GET', mysqlId(SUB1, 'rg-other', 'my-other'))).status).toBe(404);
    expect((await arm('DELETE', mysqlId(SUB1, 'rg-other', 'my-other'))).status).toBe(204);
    const ops = emulator.events.emitted() as unknown as EmittedEvent[];
    expect(ops.map((e) => e.data.operationName)).toEqual(
      expect.arrayContaining([
        'Microsoft.DBforMySQL/flexibleServers/stop/action',
        'Microsoft.DBforMySQL/flexibleServers/start/action',
        'Microsoft.DBforMySQL/flexibleServers/delete',
      ]),
    );
  });

  it('firewall rules: put, get, list (Microsoft example shape) and delete, as events of the server', async () => {
    await arm('PUT', `${PROD}/firewallRules/office`, {
      properties: { startIpAddress: '203.0.113.0', endIpAddress: '203.0.113.255' },
    });
    const rule = await mysql.firewallRules.get('rg-prod', 'my-orders-prod', 'office');
    expect(rule).toMatchObject({
      type: 'Microsoft.DBforMySQL/flexibleServers/firewallRules',
      startIpAddress: '203.0.113.0',
    });
    const list = await arm('GET', `${PROD}/firewallRules`);
    expect(
      missingKeys(
        sample('mysql-2024-12-30/FirewallRulesListByServer.2023-12-30.json').responses['200'].body,
        list.body,
        [
          'value[].systemData',
          'value[].systemData.createdAt',
          'value[].systemData.createdBy',
          'value[].systemData.createdByType',
          'value[].systemData.lastModifiedAt',
          'value[].systemData.lastModifiedBy',
          'value[].systemData.lastModifiedByType',
        ],
      ),
    ).toEqual([]);
    await mysql.firewallRules.beginDeleteAndWait('rg-prod', 'my-orders-prod', 'AllowAll');
    expect((await collect(mysql.firewallRules.listByServer('rg-prod', 'my-orders-prod'))).map((r) => r.name)).toEqual([
      'office',
    ]);
    const events = emulator.events.emitted() as unknown as EmittedEvent[];
    expect(events.map((e) => e.data.operationName)).toEqual(
      expect.arrayContaining([
        'Microsoft.DBforMySQL/flexibleServers/firewallRules/write',
        'Microsoft.DBforMySQL/flexibleServers/firewallRules/delete',
      ]),
    );
  });

  it('exports MySQL servers and their rules in the snapshot, and seeds them back', async () => {
    const exported = emulator.snapshot();
    const again = await startEmulator({ snapshot: exported, now });
    try {
      const client = new MySQLManagementFlexibleServerClient(again.credential, SUB1, armClientOptions(again));
      expect(
        (await collect(client.firewallRules.listByServer('rg-prod', 'my-orders-prod'))).map((r) => r.type),
      ).toEqual(['Microsoft.DBforMySQL/flexibleServers/firewallRules']);
    } finally {
      await again.close();
    }
  });
});
