import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AzuriteHandle } from '../../src/local/azurite.js';
import { workerAzurite } from '../support/azurite.js';
import {
  DEFAULT_IDENTITY,
  emulatorCredential,
  fakeJwt,
  startEmulator,
  type Emulator,
} from '../../src/local/emulator/index.js';
import { baseSnapshot, clients, collect, now, SUB1, serverIdOf, type Json } from './helpers.js';

const QUEUE = 'resource-events';
let azurite: AzuriteHandle;
let emulator: Emulator;
let c: ReturnType<typeof clients>;
let queue: QueueClient;
const window = "eventTimestamp ge '2026-11-20T00:00:00Z' and eventTimestamp le '2026-11-22T00:00:00Z'";
const prodId = serverIdOf(SUB1, 'rg-prod', 'pg-prod');
const cloneId = serverIdOf(SUB1, 'rg-restore', 'pg-prod-pitr');

async function drain(): Promise<Json[]> {
  await emulator.events.flushed();
  const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32 });
  for (const m of receivedMessageItems) await queue.deleteMessage(m.messageId, m.popReceipt);
  return receivedMessageItems.map((m): Json => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')));
}

const restore = (credential = emulator.credential) =>
  clients(emulator, credential).postgres.servers.beginCreateOrUpdateAndWait('rg-restore', 'pg-prod-pitr', {
    location: 'eastus',
    createMode: 'PointInTimeRestore',
    sourceServerResourceId: prodId,
    pointInTimeUTC: new Date('2026-11-21T06:45:00Z'),
  });

beforeAll(async () => {
  azurite = await workerAzurite();
  emulator = await startEmulator({
    snapshot: baseSnapshot(),
    now,
    pageSize: 2,
    events: { connectionString: azurite.connectionString, queueName: QUEUE },
  });
  c = clients(emulator);
  queue = new QueueClient(azurite.connectionString, QUEUE);
});
afterAll(async () => {
  await emulator.close();
  await azurite.close();
});
beforeEach(async () => {
  emulator.reset();
  await drain();
});

describe('Activity Log through @azure/arm-monitor (api-version 2015-04-01)', () => {
  it('records a restore with caller, claims, correlation id and the request body showing createMode', async () => {
    await restore();
    const entries = await collect(
      c.monitor.activityLogs.list(`${window} and resourceUri eq '${cloneId.toUpperCase()}'`),
    );
    expect(entries.map((e) => e.status?.value)).toEqual(['Succeeded', 'Accepted']);
    const [succeeded] = entries;
    expect(succeeded).toMatchObject({
      caller: 'operator@contoso.com',
      operationName: { value: 'Microsoft.DBforPostgreSQL/flexibleServers/write' },
      resourceId: cloneId,
      resourceGroupName: 'rg-restore',
      category: { value: 'Administrative' },
      httpRequest: { method: 'PUT' },
    });
    expect(succeeded!.eventTimestamp?.toISOString()).toBe(now().toISOString());
    expect(succeeded!.claims?.['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn']).toBe(
      'operator@contoso.com',
    );
    expect(succeeded!.claims?.['http://schemas.microsoft.com/identity/claims/objectidentifier']).toBe(
      DEFAULT_IDENTITY.objectId,
    );
    expect(succeeded!.claims?.appid).toBe(DEFAULT_IDENTITY.appId);
    const body = JSON.parse(succeeded!.properties?.requestbody ?? '{}');
    expect(body.properties).toMatchObject({ createMode: 'PointInTimeRestore', sourceServerResourceId: prodId });
    expect(entries[0]!.correlationId).toBe(entries[1]!.correlationId);
  });

  it('filters by correlationId, resourceGroupName and resourceProvider, and pages with nextLink', async () => {
    await restore();
    await c.postgres.servers.beginStopAndWait('rg-prod', 'pg-prod');
    const all = await collect(c.monitor.activityLogs.list(window));
    expect(all).toHaveLength(4);
    expect(emulator.requests.count({ operation: 'ActivityLogs_List' })).toBe(2);
    const byCorrelation = await collect(
      c.monitor.activityLogs.list(`${window} and correlationId eq '${all[0]!.correlationId}'`),
    );
    expect(byCorrelation).toHaveLength(2);
    const byGroup = await collect(c.monitor.activityLogs.list(`${window} and resourceGroupName eq 'rg-prod'`));
    expect(byGroup.map((e) => e.operationName?.value)).toEqual([
      'Microsoft.DBforPostgreSQL/flexibleServers/stop/action',
      'Microsoft.DBforPostgreSQL/flexibleServers/stop/action',
    ]);
    expect(
      await collect(c.monitor.activityLogs.list(`${window} and resourceProvider eq 'microsoft.dbforpostgresql'`)),
    ).toHaveLength(4);
  });

  it('rejects filters outside the documented forms with 400', async () => {
    await expect(collect(c.monitor.activityLogs.list("caller eq 'x'"))).rejects.toMatchObject({ statusCode: 400 });
    await expect(collect(c.monitor.activityLogs.list(`${window} and caller eq 'x'`))).rejects.toMatchObject({
      statusCode: 400,
    });
  });

  it('names the caller from the token claims: a service principal has no UPN and is logged by object id', async () => {
    const sp = emulatorCredential({
      type: 'service-principal',
      objectId: '11111111-2222-4333-8444-555555555555',
      appId: '99999999-8888-4777-8666-555555555555',
      tenantId: DEFAULT_IDENTITY.tenantId,
    });
    await restore(sp);
    const [entry] = await collect(c.monitor.activityLogs.list(`${window} and resourceUri eq '${cloneId}'`));
    expect(entry!.caller).toBe('11111111-2222-4333-8444-555555555555');
    expect(entry!.claims?.appid).toBe('99999999-8888-4777-8666-555555555555');
    expect(entry!.claims).not.toHaveProperty('http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn');
    expect(fakeJwt().split('.')).toHaveLength(3);
  });

  it('takes the caller from x-emulator-caller when a request carries it', async () => {
    await c.postgres.servers.beginStopAndWait('rg-prod', 'pg-prod', {
      requestOptions: { customHeaders: { 'x-emulator-caller': 'dba@example.com' } },
    });
    const [entry] = await collect(c.monitor.activityLogs.list(`${window} and resourceUri eq '${prodId}'`));
    expect(entry!.caller).toBe('dba@example.com');
  });
});

describe('Event Grid delivery to an Azurite queue', () => {
  it('queues one ResourceWriteSuccess per restore, Base64 JSON in the Event Grid schema', async () => {
    await restore();
    const events = await drain();
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event).toMatchObject({
      subject: cloneId,
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
      topic: `/subscriptions/${SUB1}`,
      dataVersion: '2',
      metadataVersion: '1',
      data: {
        operationName: 'Microsoft.DBforPostgreSQL/flexibleServers/write',
        resourceUri: cloneId,
        resourceProvider: 'Microsoft.DBforPostgreSQL',
        status: 'Succeeded',
        subscriptionId: SUB1,
        tenantId: DEFAULT_IDENTITY.tenantId,
        httpRequest: { method: 'PUT' },
      },
    });
    expect(event!.data.claims['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn']).toBe(
      'operator@contoso.com',
    );
    const [logged] = await collect(c.monitor.activityLogs.list(`${window} and resourceUri eq '${cloneId}'`));
    expect(event!.data.correlationId).toBe(logged!.correlationId);
  });

  it('emits ResourceDeleteSuccess and ResourceActionSuccess, and nothing for refused requests', async () => {
    await c.postgres.servers.beginStopAndWait('rg-prod', 'pg-prod');
    await c.postgres.servers.beginDeleteAndWait('rg-other', 'pg-other');
    await c.postgres.servers
      .beginUpdateAndWait('rg-prod', 'pg-vnet', { network: { publicNetworkAccess: 'Enabled' } })
      .catch(() => undefined);
    const events = await drain();
    expect(events.map((e: Json) => [e.eventType as string, e.data.operationName as string])).toEqual([
      ['Microsoft.Resources.ResourceActionSuccess', 'Microsoft.DBforPostgreSQL/flexibleServers/stop/action'],
      ['Microsoft.Resources.ResourceDeleteSuccess', 'Microsoft.DBforPostgreSQL/flexibleServers/delete'],
    ]);
  });

  it('delivers CloudEvents 1.0 when that schema is chosen', async () => {
    const cloudQueue = 'cloud-events';
    const cloud = await startEmulator({
      snapshot: baseSnapshot(),
      now,
      events: { connectionString: azurite.connectionString, queueName: cloudQueue, schema: 'CloudEventSchemaV1_0' },
    });
    try {
      await clients(cloud).resources.tagsOperations.beginUpdateAtScopeAndWait(prodId.slice(1), {
        operation: 'Merge',
        properties: { tags: { Owner: 'x@contoso.com' } },
      });
      await cloud.events.flushed();
      const { receivedMessageItems } = await new QueueClient(azurite.connectionString, cloudQueue).receiveMessages();
      const event = JSON.parse(Buffer.from(receivedMessageItems[0]!.messageText, 'base64').toString('utf8'));
      expect(event).toMatchObject({
        specversion: '1.0',
        type: 'Microsoft.Resources.ResourceWriteSuccess',
        source: `/subscriptions/${SUB1}`,
        subject: prodId,
        data: { operationName: 'Microsoft.Resources/tags/write' },
      });
      expect(event.time).toBe(now().toISOString());
    } finally {
      await cloud.close();
    }
  });
});
