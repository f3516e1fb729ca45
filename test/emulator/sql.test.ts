import { SqlManagementClient } from '@azure/arm-sql';
import { ResourceManagementClient } from '@azure/arm-resources';
import type { RestError } from '@azure/core-rest-pipeline';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  armClientOptions,
  startEmulator,
  type Emulator,
  type EmulatorSnapshot,
} from '../../src/local/emulator/index.js';
import { restoreEvidenceFrom } from '../../src/domain/activityLog.js';
import { request } from 'node:https';
import { collect, missingKeys, now, SUB1, SUB2, type Json } from './helpers.js';
import { sample } from '../fixtures/events/load.js';

const SERVER = `/subscriptions/${SUB1}/resourceGroups/rg-shop/providers/Microsoft.Sql/servers/sql-shop`;
const SOURCE = `${SERVER}/databases/shop`;

function snapshot(): EmulatorSnapshot {
  return {
    servers: [],
    sqlServers: [
      {
        id: SERVER,
        name: 'sql-shop',
        type: 'Microsoft.Sql/servers',
        location: 'westeurope',
        properties: { administratorLogin: 'shopadmin' },
      },
      {
        id: `/subscriptions/${SUB2}/resourceGroups/rg-two/providers/Microsoft.Sql/servers/sql-two`,
        name: 'sql-two',
        type: 'Microsoft.Sql/servers',
        location: 'uksouth',
        properties: {},
      },
    ],
    sqlFirewallRules: {
      [SERVER]: [{ name: 'office', properties: { startIpAddress: '203.0.113.0', endIpAddress: '203.0.113.255' } }],
    },
    sqlDatabases: [
      {
        id: SOURCE,
        name: 'shop',
        type: 'Microsoft.Sql/servers/databases',
        location: 'westeurope',
        tags: { Environment: 'Production', Owner: 'shop-team@contoso.com' },
        properties: { currentServiceObjectiveName: 'S0', creationDate: '2026-01-10T08:00:00Z' },
      },
    ],
  };
}

/** An ARM request with a bearer token, as a client sends it. */
function call(
  target: Emulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; headers: Record<string, unknown>; body: Json }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {
      authorization: 'Bearer any',
      ...(payload ? { 'content-type': 'application/json' } : {}),
    };
    const req = request(`${target.armEndpoint}${path}`, { method, ca: target.caCertPem, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

let emulator: Emulator;
let sql: SqlManagementClient;
let resources: ResourceManagementClient;

beforeAll(async () => {
  emulator = await startEmulator({ snapshot: snapshot(), now });
  sql = new SqlManagementClient(emulator.credential, SUB1, armClientOptions(emulator));
  resources = new ResourceManagementClient(emulator.credential, SUB1, armClientOptions(emulator));
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

const PITR = {
  location: 'westeurope',
  createMode: 'PointInTimeRestore' as const,
  sourceDatabaseId: SOURCE,
  restorePointInTime: new Date('2026-11-21T09:00:00Z'),
};

describe('SQL Database through @azure/arm-sql 10.0.0 (api-version 2022-08-01-preview)', () => {
  it('lists logical servers of a subscription, databases of a server (master included) and the server firewall rules', async () => {
    expect((await collect(sql.servers.list())).map((s) => s.name)).toEqual(['sql-shop']);
    const databases = await collect(sql.databases.listByServer('rg-shop', 'sql-shop'));
    expect(databases.map((d) => [d.name, d.kind])).toEqual([
      ['master', 'v12.0,system'],
      ['shop', 'v12.0,user'],
    ]);
    expect(await collect(sql.firewallRules.listByServer('rg-shop', 'sql-shop'))).toEqual([
      expect.objectContaining({ name: 'office', startIpAddress: '203.0.113.0', endIpAddress: '203.0.113.255' }),
    ]);
    const server = await sql.servers.get('rg-shop', 'sql-shop');
    expect(server).toMatchObject({
      publicNetworkAccess: 'Enabled',
      administratorLogin: 'shopadmin',
      fullyQualifiedDomainName: 'sql-shop.database.windows.net',
    });
  });

  it("answers a database GET in the shape of Microsoft's CreateDatabasePITRMode example, with earliestRestoreDate", async () => {
    const { body } = await call(emulator, 'GET', `${SOURCE}?api-version=2022-08-01-preview`);
    const example = (
      sample('sql-2022-08-01-preview/CreateDatabasePITRMode.json') as { responses: Record<string, { body: unknown }> }
    ).responses['200']!.body;
    expect(missingKeys(example, body)).toEqual([]);
    expect(body).toMatchObject({
      type: 'Microsoft.Sql/servers/databases',
      location: 'WestEurope',
      sku: { name: 'Standard', tier: 'Standard', capacity: 10 },
      properties: { currentServiceObjectiveName: 'S0', status: 'Online' },
    });
    expect(body.properties.earliestRestoreDate).toBe('2026-11-14T12:00:00Z');
  });

  it('restores to a point in time: 202 CreateRestoreRequest, SQL polling URLs under the resource group, progress, no tags copied', async () => {
    const put = await call(emulator, 'PUT', `${SERVER}/databases/shop-fix?api-version=2022-08-01-preview`, {
      location: 'westeurope',
      tags: { RestoredFrom: SOURCE },
      properties: {
        createMode: 'PointInTimeRestore',
        sourceDatabaseId: SOURCE,
        restorePointInTime: '2026-11-21T09:00:00Z',
      },
    });
    expect(put.status).toBe(202);
    expect(put.body).toEqual({ operation: 'CreateRestoreRequest', startTime: '2026-11-21T12:00:00.000Z' });
    const base = `${emulator.armEndpoint}/subscriptions/${SUB1}/resourceGroups/rg-shop/providers/Microsoft.Sql/locations/westeurope`;
    expect(put.headers['azure-asyncoperation']).toMatch(
      new RegExp(
        `^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/databaseAzureAsyncOperation/[0-9a-f-]{36}\\?api-version=2022-08-01-preview$`,
      ),
    );
    expect(put.headers.location).toMatch(/\/databaseOperationResults\/[0-9a-f-]{36}\?api-version=2022-08-01-preview$/);
    const operations = await collect(sql.databaseOperations.listByDatabase('rg-shop', 'sql-shop', 'shop-fix'));
    expect(operations).toEqual([
      expect.objectContaining({ operation: 'CreateRestoreRequest', databaseName: 'shop-fix', serverName: 'sql-shop' }),
    ]);
    const copy = await sql.databases.get('rg-shop', 'sql-shop', 'shop-fix');
    // No source tags, no lineage: only the request's tags and the creation date.
    expect(copy.tags).toEqual({ RestoredFrom: SOURCE });
    expect(copy).toMatchObject({ creationDate: new Date('2026-11-21T12:00:00Z'), currentServiceObjectiveName: 'S0' });
    expect(JSON.stringify(copy)).not.toMatch(/sourceDatabaseId|restorePointInTime|createMode/);
    // The Activity Log's start record carries the request body: the proof.
    const entries = emulator.snapshot().activityLog ?? [];
    const evidence = entries.map((e) => restoreEvidenceFrom(e)).filter(Boolean);
    expect(evidence).toContainEqual(
      expect.objectContaining({
        serverId: `${SERVER}/databases/shop-fix`,
        createMode: 'PointInTimeRestore',
        sourceServerId: SOURCE,
        pointInTimeUtc: '2026-11-21T09:00:00.000Z',
        status: 'Accepted',
      }),
    );
  });

  it('the SDK restores and waits through the SQL polling URLs; progress reads 100 once done, and an Event Grid write follows', async () => {
    const done = await sql.databases.beginCreateOrUpdateAndWait('rg-shop', 'sql-shop', 'shop-fix', PITR, {
      updateIntervalInMs: 1,
    });
    expect(done).toMatchObject({ name: 'shop-fix', status: 'Online' });
    expect(emulator.requests.count({ operation: 'DatabaseAzureAsyncOperation_Get' })).toBeGreaterThan(0);
    const [operation] = await collect(sql.databaseOperations.listByDatabase('rg-shop', 'sql-shop', 'shop-fix'));
    expect(operation).toMatchObject({ percentComplete: 100, state: 'Succeeded' });
    const written = emulator.events
      .emitted()
      .map((e): [unknown, unknown] => [(e.data as { operationName?: string }).operationName, e.subject]);
    expect(written).toContainEqual(['Microsoft.Sql/servers/databases/write', `${SERVER}/databases/shop-fix`]);
  });

  it('reports percentComplete as the scaled clock moves', async () => {
    emulator.clock.pin(new Date('2026-11-21T12:00:00Z'));
    const slow = await startEmulator({ snapshot: snapshot(), now, timeScale: 1 });
    try {
      const client = new SqlManagementClient(slow.credential, SUB1, armClientOptions(slow));
      await client.databases.beginCreateOrUpdate('rg-shop', 'sql-shop', 'shop-fix', PITR);
      slow.clock.advance(300_000);
      const [half] = await collect(client.databaseOperations.listByDatabase('rg-shop', 'sql-shop', 'shop-fix'));
      expect(half).toMatchObject({ percentComplete: 50, state: 'InProgress' });
      expect((await client.databases.get('rg-shop', 'sql-shop', 'shop-fix')).status).toBe('Restoring');
      slow.clock.advance(300_000);
      const [full] = await collect(client.databaseOperations.listByDatabase('rg-shop', 'sql-shop', 'shop-fix'));
      expect(full).toMatchObject({ percentComplete: 100, state: 'Succeeded' });
    } finally {
      await slow.close();
    }
  });

  it('refuses a restore point outside the window, a missing source, a taken name and the 31st restore in progress', async () => {
    const refused = async (name: string, body: Record<string, unknown>) =>
      (await sql.databases
        .beginCreateOrUpdate('rg-shop', 'sql-shop', name, { ...PITR, ...body })
        .catch((e: RestError) => e)) as RestError;
    expect(await refused('a', { restorePointInTime: new Date('2026-11-01T00:00:00Z') })).toMatchObject({
      statusCode: 400,
      code: 'InvalidRestorePointInTime',
    });
    expect(await refused('b', { sourceDatabaseId: `${SERVER}/databases/nope` })).toMatchObject({
      statusCode: 400,
      code: 'SourceDatabaseNotFound',
    });
    expect(await refused('shop', {})).toMatchObject({ statusCode: 409, code: 'DatabaseAlreadyExists' });
    const slow = await startEmulator({ snapshot: snapshot(), now, timeScale: 1 });
    try {
      const client = new SqlManagementClient(slow.credential, SUB1, armClientOptions(slow));
      for (let i = 0; i < 30; i++) await client.databases.beginCreateOrUpdate('rg-shop', 'sql-shop', `copy-${i}`, PITR);
      const error = (await client.databases
        .beginCreateOrUpdate('rg-shop', 'sql-shop', 'copy-30', PITR)
        .catch((e: RestError) => e)) as RestError;
      expect(error).toMatchObject({ statusCode: 409, code: 'TooManyRestoreRequestsInProgress' });
    } finally {
      await slow.close();
    }
  });

  it('deletes a database (and only it) through its LRO; master cannot be dropped; tags go through the Tags API', async () => {
    await sql.databases.beginCreateOrUpdateAndWait('rg-shop', 'sql-shop', 'shop-fix', PITR, { updateIntervalInMs: 1 });
    await resources.tagsOperations.beginUpdateAtScopeAndWait(
      `${SERVER}/databases/shop-fix`.slice(1),
      { operation: 'Merge', properties: { tags: { Owner: 'alice@contoso.com' } } },
      { updateIntervalInMs: 1 },
    );
    expect((await sql.databases.get('rg-shop', 'sql-shop', 'shop-fix')).tags).toEqual({ Owner: 'alice@contoso.com' });
    await sql.databases.beginDeleteAndWait('rg-shop', 'sql-shop', 'shop-fix', { updateIntervalInMs: 1 });
    expect(
      ((await sql.databases.get('rg-shop', 'sql-shop', 'shop-fix').catch((e: RestError) => e)) as RestError).statusCode,
    ).toBe(404);
    expect((await collect(sql.databases.listByServer('rg-shop', 'sql-shop'))).map((d) => d.name)).toEqual([
      'master',
      'shop',
    ]);
    expect(
      ((await sql.databases.beginDelete('rg-shop', 'sql-shop', 'master').catch((e: RestError) => e)) as RestError).code,
    ).toBe('CannotDropSystemDatabase');
    // Nothing wrote to the logical server itself.
    expect(
      emulator.requests
        .entries()
        .filter((r) => r.method !== 'GET' && /\/servers\/sql-shop(\/firewallRules.*)?$/i.test(r.path)),
    ).toEqual([]);
  });

  it('refuses an unknown api-version and a SQL database in "servers"', async () => {
    expect((await call(emulator, 'GET', `${SOURCE}?api-version=2099-01-01`)).body.error.code).toBe(
      'InvalidApiVersionParameter',
    );
    await expect(
      startEmulator({
        snapshot: { servers: [{ id: SOURCE, name: 'shop', type: 'x', location: 'westeurope', properties: {} }] },
      }),
    ).rejects.toThrow(/servers\[0\]: a SQL database goes in "sqlDatabases"/);
  });
});
