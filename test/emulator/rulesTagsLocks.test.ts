import type { RestError } from '@azure/core-rest-pipeline';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emulatorCredential, startEmulator, type Emulator } from '../../src/local/emulator/index.js';
import { baseSnapshot, call, clients, collect, now, SUB1, serverIdOf } from './helpers.js';

let emulator: Emulator;
let c: ReturnType<typeof clients>;
const prodId = serverIdOf(SUB1, 'rg-prod', 'pg-prod');

beforeAll(async () => {
  emulator = await startEmulator({ snapshot: baseSnapshot(), now });
  c = clients(emulator);
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

describe('firewall rules', () => {
  it('lists, gets, creates and deletes rules (create and delete are LROs)', async () => {
    expect(
      (await collect(c.postgres.firewallRules.listByServer('rg-prod', 'pg-prod'))).map((r) => r.name).sort(),
    ).toEqual(['AllowAllAzureServicesAndResourcesWithinAzureIps', 'office']);
    const created = await c.postgres.firewallRules.beginCreateOrUpdateAndWait('rg-prod', 'pg-prod', 'vpn', {
      startIpAddress: '198.51.100.1',
      endIpAddress: '198.51.100.9',
    });
    expect(created).toMatchObject({
      name: 'vpn',
      startIpAddress: '198.51.100.1',
      endIpAddress: '198.51.100.9',
      type: 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules',
    });
    expect(await c.postgres.firewallRules.get('rg-prod', 'pg-prod', 'vpn')).toMatchObject({
      id: `${prodId}/firewallRules/vpn`,
    });
    await c.postgres.firewallRules.beginDeleteAndWait('rg-prod', 'pg-prod', 'office');
    await expect(c.postgres.firewallRules.get('rg-prod', 'pg-prod', 'office')).rejects.toMatchObject({
      statusCode: 404,
      code: 'ResourceNotFound',
    });
    expect(emulator.requests.count({ operation: 'FirewallRules_CreateOrUpdate', status: 202 })).toBe(1);
    expect(emulator.requests.count({ operation: 'FirewallRules_Delete', status: 202 })).toBe(1);
  });

  it('rejects a reversed IP range and rules on a VNet server', async () => {
    await expect(
      c.postgres.firewallRules.beginCreateOrUpdateAndWait('rg-prod', 'pg-prod', 'bad', {
        startIpAddress: '10.0.0.9',
        endIpAddress: '10.0.0.1',
      }),
    ).rejects.toMatchObject({ statusCode: 400 });
    await expect(
      c.postgres.firewallRules.beginCreateOrUpdateAndWait('rg-prod', 'pg-vnet', 'x', {
        startIpAddress: '10.0.0.1',
        endIpAddress: '10.0.0.1',
      }),
    ).rejects.toMatchObject({ statusCode: 400 });
  });
});

describe('tags at scope through @azure/arm-resources tagsOperations', () => {
  const scope = prodId.slice(1);

  it('merges, replaces and deletes tags of a server', async () => {
    const merged = await c.resources.tagsOperations.beginUpdateAtScopeAndWait(scope, {
      operation: 'Merge',
      properties: { tags: { Owner: 'alice@contoso.com', ExpiresOn: '2026-12-01' } },
    });
    expect(merged.properties?.tags).toEqual({
      Environment: 'Production',
      Owner: 'alice@contoso.com',
      CostCenter: 'CC-1001',
      ExpiresOn: '2026-12-01',
    });
    const deleted = await c.resources.tagsOperations.beginUpdateAtScopeAndWait(scope, {
      operation: 'Delete',
      properties: { tags: { CostCenter: '' } },
    });
    expect(deleted.properties?.tags).not.toHaveProperty('CostCenter');
    const replaced = await c.resources.tagsOperations.beginUpdateAtScopeAndWait(scope, {
      operation: 'Replace',
      properties: { tags: { Only: 'this' } },
    });
    expect(replaced.properties?.tags).toEqual({ Only: 'this' });
    expect((await c.postgres.servers.get('rg-prod', 'pg-prod')).tags).toEqual({ Only: 'this' });
    expect((await c.resources.tagsOperations.getAtScope(scope)).properties?.tags).toEqual({ Only: 'this' });
  });

  it('accepts the scope with a leading slash too, and puts and deletes the whole set', async () => {
    await c.resources.tagsOperations.beginCreateOrUpdateAtScopeAndWait(prodId, { properties: { tags: { A: '1' } } });
    expect((await c.postgres.servers.get('rg-prod', 'pg-prod')).tags).toEqual({ A: '1' });
    await c.resources.tagsOperations.beginDeleteAtScopeAndWait(scope);
    expect((await c.postgres.servers.get('rg-prod', 'pg-prod')).tags).toEqual({});
  });

  it('refuses more than 50 tags and a missing resource', async () => {
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`t${i}`, 'v']));
    await expect(
      c.resources.tagsOperations.beginUpdateAtScopeAndWait(scope, { operation: 'Merge', properties: { tags: many } }),
    ).rejects.toMatchObject({ statusCode: 400 });
    await expect(
      c.resources.tagsOperations.getAtScope(serverIdOf(SUB1, 'rg-prod', 'ghost').slice(1)),
    ).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('management locks through @azure/arm-locks', () => {
  it('creates a lock by scope, lists it at resource level and by scope, and deletes it', async () => {
    const lock = await c.locks.managementLocks.createOrUpdateByScope(prodId, 'keep', {
      level: 'CanNotDelete',
      notes: 'incident evidence',
    });
    expect(lock).toMatchObject({ name: 'keep', level: 'CanNotDelete', notes: 'incident evidence' });
    const atResource = await collect(
      c.locks.managementLocks.listAtResourceLevel(
        'rg-prod',
        'Microsoft.DBforPostgreSQL',
        '',
        'flexibleServers',
        'pg-prod',
      ),
    );
    expect(atResource.map((l) => l.name)).toEqual(['keep']);
    expect((await collect(c.locks.managementLocks.listByScope(prodId))).map((l) => l.id)).toEqual([
      `${prodId}/providers/Microsoft.Authorization/locks/keep`,
    ]);
    await c.locks.managementLocks.deleteByScope(prodId, 'keep');
    expect(await collect(c.locks.managementLocks.listByScope(prodId))).toEqual([]);
  });

  it('includes locks inherited from the resource group and the subscription', async () => {
    await c.locks.managementLocks.createOrUpdateAtResourceGroupLevel('rg-prod', 'rg-lock', { level: 'ReadOnly' });
    await c.locks.managementLocks.createOrUpdateAtSubscriptionLevel('sub-lock', { level: 'CanNotDelete' });
    const names = (
      await collect(
        c.locks.managementLocks.listAtResourceLevel(
          'rg-prod',
          'Microsoft.DBforPostgreSQL',
          '',
          'flexibleServers',
          'pg-prod',
        ),
      )
    ).map((l) => l.name);
    expect(names.sort()).toEqual(['rg-lock', 'sub-lock']);
  });

  it.each([
    ['the server', () => c.locks.managementLocks.createOrUpdateByScope(prodId, 'l', { level: 'CanNotDelete' })],
    [
      'its resource group',
      () => c.locks.managementLocks.createOrUpdateAtResourceGroupLevel('rg-prod', 'l', { level: 'CanNotDelete' }),
    ],
    ['the subscription', () => c.locks.managementLocks.createOrUpdateAtSubscriptionLevel('l', { level: 'ReadOnly' })],
  ])('answers 409 ScopeLocked to DELETE when %s is locked, and keeps the server', async (_where, lockIt) => {
    await lockIt();
    const error = (await c.postgres.servers
      .beginDeleteAndWait('rg-prod', 'pg-prod')
      .catch((e: unknown) => e)) as RestError;
    expect(error.statusCode).toBe(409);
    expect(error.code).toBe('ScopeLocked');
    expect(error.message).toContain('cannot perform delete operation because following scope(s) are locked');
    expect((await c.postgres.servers.get('rg-prod', 'pg-prod')).state).toBe('Ready');
  });

  it('a ReadOnly lock refuses writes (PATCH, tags) with 409 ScopeLocked; CanNotDelete allows them', async () => {
    await c.locks.managementLocks.createOrUpdateByScope(prodId, 'ro', { level: 'ReadOnly' });
    await expect(
      c.postgres.servers.beginUpdateAndWait('rg-prod', 'pg-prod', { tags: { A: '1' } }),
    ).rejects.toMatchObject({ statusCode: 409, code: 'ScopeLocked' });
    await expect(
      c.resources.tagsOperations.beginUpdateAtScopeAndWait(prodId.slice(1), {
        operation: 'Merge',
        properties: { tags: { A: '1' } },
      }),
    ).rejects.toMatchObject({ statusCode: 409 });
    await c.locks.managementLocks.deleteByScope(prodId, 'ro');
    await c.locks.managementLocks.createOrUpdateByScope(prodId, 'cnd', { level: 'CanNotDelete' });
    expect((await c.postgres.servers.beginUpdateAndWait('rg-prod', 'pg-prod', { tags: { A: '1' } })).tags).toEqual({
      A: '1',
    });
  });

  it('answers 401 without a bearer token and 400 for an unknown api-version', async () => {
    const anonymous = await call(emulator, 'GET', `${prodId}?api-version=2025-08-01`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('AuthenticationFailed');
    const { PostgreSQLManagementFlexibleServerClient } = await import('@azure/arm-postgresql-flexible');
    const old = new PostgreSQLManagementFlexibleServerClient(emulatorCredential(), SUB1, {
      endpoint: emulator.armEndpoint,
      tlsOptions: { ca: emulator.caCertPem },
      apiVersion: '2017-12-01',
    });
    await expect(old.servers.get('rg-prod', 'pg-prod')).rejects.toMatchObject({
      statusCode: 400,
      code: 'InvalidApiVersionParameter',
    });
  });
});
