import type { RestError } from '@azure/core-rest-pipeline';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/local/emulator/index.js';
import { baseSnapshot, clients, collect, now, SUB1, serverIdOf } from './helpers.js';

let emulator: Emulator;
let pg: ReturnType<typeof clients>['postgres'];

beforeAll(async () => {
  emulator = await startEmulator({ snapshot: baseSnapshot(), now, pageSize: 2 });
  pg = clients(emulator).postgres;
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

const restoreOf = (
  name: string,
  pointInTimeUTC = new Date('2026-11-20T09:30:00Z'),
  extra: Record<string, unknown> = {},
) =>
  pg.servers.beginCreateOrUpdateAndWait('rg-restore', name, {
    location: 'eastus',
    createMode: 'PointInTimeRestore',
    sourceServerResourceId: serverIdOf(SUB1, 'rg-prod', 'pg-prod'),
    pointInTimeUTC,
    ...extra,
  });

describe('flexible servers through @azure/arm-postgresql-flexible (api-version 2025-08-01)', () => {
  it('lists a subscription page by page, following nextLink', async () => {
    const pages = await collect(pg.servers.listBySubscription().byPage());
    expect(pages.map((p) => p.length)).toEqual([2, 1]);
    expect(
      pages
        .flat()
        .map((s) => s.name)
        .sort(),
    ).toEqual(['pg-other', 'pg-prod', 'pg-vnet']);
    expect(emulator.requests.count({ operation: 'Servers_ListBySubscription', status: 200 })).toBe(2);
  });

  it('lists a resource group', async () => {
    const names = (await collect(pg.servers.listByResourceGroup('rg-prod'))).map((s) => s.name).sort();
    expect(names).toEqual(['pg-prod', 'pg-vnet']);
  });

  it('gets a server with its properties and systemData', async () => {
    const server = await pg.servers.get('rg-prod', 'pg-prod');
    // Azure answers the region's display name and systemData.createdAt only.
    expect(server).toMatchObject({
      name: 'pg-prod',
      location: 'East US',
      administratorLogin: 'ordersadmin',
      version: '16',
      state: 'Ready',
    });
    expect(server.sku).toEqual({ name: 'Standard_D4ds_v5', tier: 'GeneralPurpose' });
    expect(server.systemData?.createdAt?.toISOString()).toBe('2026-01-10T08:00:00.000Z');
    expect(Object.keys(server.systemData ?? {})).toEqual(['createdAt']);
    expect(server.backup?.earliestRestoreDate?.toISOString()).toBe('2026-11-07T12:00:00.000Z');
  });

  it('answers 404 ResourceNotFound with an ARM error body for a missing server', async () => {
    const error = (await pg.servers.get('rg-prod', 'nope').catch((e: unknown) => e)) as RestError;
    expect(error.statusCode).toBe(404);
    expect(error.code).toBe('ResourceNotFound');
    expect(error.message).toContain('Microsoft.DBforPostgreSQL/flexibleServers/nope');
  });

  it('restores a public server: the clone inherits SKU, version, storage, backup, login, tags (request wins) and firewall rules', async () => {
    const clone = await restoreOf('pg-prod-pitr', undefined, {
      tags: { Owner: 'alice@contoso.com', Incident: 'INC-1' },
    });
    expect(clone).toMatchObject({
      name: 'pg-prod-pitr',
      state: 'Ready',
      administratorLogin: 'ordersadmin',
      version: '16',
    });
    expect(clone.sku).toEqual({ name: 'Standard_D4ds_v5', tier: 'GeneralPurpose' });
    expect(clone.storage?.storageSizeGB).toBe(512);
    expect(clone.backup?.backupRetentionDays).toBe(14);
    expect(clone.network?.publicNetworkAccess).toBe('Enabled');
    expect(clone.tags).toEqual({
      Environment: 'Production',
      CostCenter: 'CC-1001',
      Owner: 'alice@contoso.com',
      Incident: 'INC-1',
    });
    expect(Object.keys(clone.systemData ?? {})).toEqual(['createdAt']);
    const rules = await collect(pg.firewallRules.listByServer('rg-restore', 'pg-prod-pitr'));
    expect(rules.map((r) => [r.name, r.startIpAddress, r.endIpAddress]).sort()).toEqual([
      ['AllowAllAzureServicesAndResourcesWithinAzureIps', '0.0.0.0', '0.0.0.0'],
      ['office', '203.0.113.0', '203.0.113.255'],
    ]);
    expect(emulator.requests.count({ operation: 'Servers_Create', status: 202 })).toBe(1);
    expect(emulator.requests.count({ operation: 'AzureAsyncOperation_Get' })).toBeGreaterThan(0);
  });

  it('shows the clone Provisioning for the 6.5 minutes of Azure time a restore takes, then Ready', async () => {
    // timeScale 1 with a pinned clock: only moving the clock moves the restore along.
    const slow = await startEmulator({ snapshot: baseSnapshot(), now, timeScale: 1 });
    try {
      const client = clients(slow).postgres;
      const poller = await client.servers.beginCreateOrUpdate(
        'rg-restore',
        'pg-slow',
        {
          location: 'eastus',
          createMode: 'PointInTimeRestore',
          sourceServerResourceId: serverIdOf(SUB1, 'rg-prod', 'pg-prod'),
          pointInTimeUTC: new Date('2026-11-20T00:00:00Z'),
        },
        { updateIntervalInMs: 25 },
      );
      expect((await client.servers.get('rg-restore', 'pg-slow')).state).toBe('Provisioning');
      slow.clock.advance(6 * 60_000);
      await poller.poll();
      expect(poller.isDone()).toBe(false);
      expect((await client.servers.get('rg-restore', 'pg-slow')).state).toBe('Provisioning');
      slow.clock.advance(60_000);
      await poller.poll();
      expect(poller.isDone()).toBe(true);
      expect(poller.getResult()?.state).toBe('Ready');
    } finally {
      await slow.close();
    }
  });

  it('refuses a restore point outside the retention window', async () => {
    const error = (await restoreOf('pg-too-old', new Date('2026-11-01T00:00:00Z')).catch(
      (e: unknown) => e,
    )) as RestError;
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe('InvalidRestorePointInTime');
    await expect(pg.servers.get('rg-restore', 'pg-too-old')).rejects.toMatchObject({ statusCode: 404 });
  });

  it('refuses a restore without an existing source', async () => {
    const error = (await pg.servers
      .beginCreateOrUpdateAndWait('rg-restore', 'pg-orphan', {
        location: 'eastus',
        createMode: 'PointInTimeRestore',
        sourceServerResourceId: serverIdOf(SUB1, 'rg-prod', 'pg-gone'),
        pointInTimeUTC: new Date('2026-11-20T00:00:00Z'),
      })
      .catch((e: unknown) => e)) as RestError;
    expect(error.statusCode).toBe(400);
    expect(error.message).toContain('pg-gone');
  });

  it('restores a VNet server into the VNet without firewall rules', async () => {
    const clone = await pg.servers.beginCreateOrUpdateAndWait('rg-restore', 'pg-vnet-pitr', {
      location: 'eastus',
      createMode: 'PointInTimeRestore',
      sourceServerResourceId: serverIdOf(SUB1, 'rg-prod', 'pg-vnet'),
      pointInTimeUTC: new Date('2026-11-21T06:00:00Z'),
    });
    expect(clone.network?.delegatedSubnetResourceId).toContain('/subnets/pg');
    expect(clone.network?.publicNetworkAccess).toBe('Disabled');
    expect(await collect(pg.firewallRules.listByServer('rg-restore', 'pg-vnet-pitr'))).toEqual([]);
  });

  it('creates a server with createMode Default', async () => {
    const created = await pg.servers.beginCreateOrUpdateAndWait('rg-new', 'pg-new', {
      location: 'westeurope',
      sku: { name: 'Standard_B1ms', tier: 'Burstable' },
      administratorLogin: 'newadmin',
      administratorLoginPassword: 'not-stored',
      version: '17',
      storage: { storageSizeGB: 32 },
    });
    expect(created).toMatchObject({
      name: 'pg-new',
      location: 'West Europe',
      state: 'Ready',
      administratorLogin: 'newadmin',
    });
    expect(emulator.snapshot().servers.find((s) => s.name === 'pg-new')?.properties).not.toHaveProperty(
      'administratorLoginPassword',
    );
  });

  it('patches tags and public network access', async () => {
    const updated = await pg.servers.beginUpdateAndWait('rg-prod', 'pg-prod', {
      tags: { Owner: 'bob@contoso.com' },
      network: { publicNetworkAccess: 'Disabled' },
    });
    expect(updated.tags).toEqual({ Owner: 'bob@contoso.com' });
    expect(updated.network?.publicNetworkAccess).toBe('Disabled');
    expect(Object.keys((await pg.servers.get('rg-prod', 'pg-prod')).systemData ?? {})).toEqual(['createdAt']);
  });

  it('refuses to change public network access of a VNet-integrated server (400) and changes nothing', async () => {
    const error = (await pg.servers
      .beginUpdateAndWait('rg-prod', 'pg-vnet', { network: { publicNetworkAccess: 'Enabled' } })
      .catch((e: unknown) => e)) as RestError;
    expect(error.statusCode).toBe(400);
    expect((await pg.servers.get('rg-prod', 'pg-vnet')).network?.publicNetworkAccess).toBe('Disabled');
  });

  it('stops and starts a server', async () => {
    await pg.servers.beginStopAndWait('rg-prod', 'pg-prod');
    expect((await pg.servers.get('rg-prod', 'pg-prod')).state).toBe('Stopped');
    await pg.servers.beginStartAndWait('rg-prod', 'pg-prod');
    expect((await pg.servers.get('rg-prod', 'pg-prod')).state).toBe('Ready');
    expect(emulator.requests.count({ operation: 'Servers_Stop', status: 202 })).toBe(1);
  });

  it('deletes a server (202 + Location), and a second delete is a 204', async () => {
    await pg.servers.beginDeleteAndWait('rg-other', 'pg-other');
    await expect(pg.servers.get('rg-other', 'pg-other')).rejects.toMatchObject({ statusCode: 404 });
    await pg.servers.beginDeleteAndWait('rg-other', 'pg-other');
    expect(emulator.requests.count({ operation: 'Servers_Delete', status: 202 })).toBe(1);
    expect(emulator.requests.count({ operation: 'Servers_Delete', status: 204 })).toBe(1);
  });

  it('ends an operation Failed when a failed LRO is injected, and leaves the server as it was', async () => {
    emulator.faults.add({
      operation: 'Servers_Delete',
      failLro: true,
      errorCode: 'InternalServerError',
      errorMessage: 'disk detach failed',
      times: 1,
    });
    const error = (await pg.servers.beginDeleteAndWait('rg-other', 'pg-other').catch((e: unknown) => e)) as Error;
    // core-lro reports a Failed operation as an Error whose message carries the operation's error code and message.
    expect(error.message).toBe('The long-running operation has failed. InternalServerError. disk detach failed');
    expect((await pg.servers.get('rg-other', 'pg-other')).state).toBe('Ready');
  });
});
