import { ManagementLockClient } from '@azure/arm-locks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArmServers, retryAfterMsOf } from '../../src/adapters/azure/arm/servers.js';
import { locksOn } from '../../src/domain/locks.js';
import { armClientOptions, startEmulator, type Emulator } from '../../src/local/emulator/index.js';
import { SUB1, armRule, armServer } from '../support/estate.js';

/** The ServersPort on the real SDKs, against the emulator: the outcomes jobs rely on. */
describe('ArmServers (ServersPort on the Azure SDKs)', () => {
  const prod = armServer({ name: 'pg-prod', tags: { Owner: 'team@contoso.com' } });
  let emulator: Emulator;
  let servers: ArmServers;

  beforeAll(async () => {
    emulator = await startEmulator({
      snapshot: {
        servers: [prod],
        firewallRules: { [prod.id]: [armRule(prod.id, 'office', '203.0.113.0', '203.0.113.255')] },
        locks: {},
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

  it('get answers undefined for a server ARM does not have, and reads rules and locks on request', async () => {
    expect(await servers.get(prod.id.replace('pg-prod', 'pg-missing'))).toBeUndefined();
    const live = await servers.get(prod.id.toUpperCase(), { withFirewallRules: true, withLocks: true });
    expect(live?.key).toBe(prod.id.toLowerCase());
    expect(live?.firewallRules).toEqual([
      { name: 'office', startIpAddress: '203.0.113.0', endIpAddress: '203.0.113.255' },
    ]);
    expect(live?.locks).toEqual([]);
  });

  it('restore with wait reports the new server state until Ready, and the clone carries the request tags', async () => {
    const states: string[] = [];
    const clone = await servers.restore(
      {
        sourceServerId: prod.id,
        targetResourceGroup: 'rg-prod',
        targetName: 'pg-prod-fix',
        location: 'eastus',
        pointInTimeUtc: new Date(Date.now() - 3_600_000).toISOString(),
        tags: { Owner: 'alice@contoso.com', Incident: 'INC-1' },
      },
      { wait: true, onProgress: (s) => states.push(s) },
    );
    expect(states[0]).toBe('Accepted');
    expect(states.at(-1)).toBe('Ready');
    expect(clone.state).toBe('Ready');
    expect(clone.tags).toMatchObject({ Owner: 'alice@contoso.com', Incident: 'INC-1' });
  });

  it('restore with wait polls as often as Retry-After says, not at its own faster interval', async () => {
    // A restore of 390 s of Azure time at 0.004: 1.56 s here, so the emulator asks for 1 s between polls.
    const paced = await startEmulator({ snapshot: { servers: [prod] }, timeScale: 0.004 });
    try {
      const port = new ArmServers({
        credential: paced.credential,
        clientOptions: armClientOptions(paced),
        pollIntervalInMs: 10,
      });
      const point = new Date(Date.now() - 3_600_000).toISOString();
      const clone = await port.restore(
        {
          sourceServerId: prod.id,
          targetResourceGroup: 'rg-prod',
          targetName: 'pg-paced',
          location: 'eastus',
          pointInTimeUtc: point,
          tags: { Owner: 'alice@contoso.com' },
        },
        { wait: true },
      );
      expect(clone.state).toBe('Ready');
      // While a second or more remains the emulator says Retry-After: 1, and the adapter waits that long (not 10 ms);
      // under a second it says 0 and the adapter falls back to its own interval.
      const polls = paced.requests.entries({ operation: 'AzureAsyncOperation_Get' }).map((r) => Date.parse(r.at));
      const gaps = polls.slice(1).map((t, i) => t - polls[i]!);
      expect(Math.max(...gaps)).toBeGreaterThanOrEqual(900);
    } finally {
      await paced.close();
    }
  });

  it('reads Retry-After as seconds or an HTTP date; 0, absent or unreadable leaves the client its own interval', () => {
    expect(retryAfterMsOf('3')).toBe(3000);
    expect(retryAfterMsOf('0')).toBeUndefined();
    expect(retryAfterMsOf(undefined)).toBeUndefined();
    expect(retryAfterMsOf('soon')).toBeUndefined();
    expect(retryAfterMsOf('Sat, 05 Dec 2026 09:00:05 GMT', Date.parse('2026-12-05T09:00:00Z'))).toBe(5000);
  });

  it('delete: a locked server is "locked" (409 ScopeLocked); deleting what is gone succeeds', async () => {
    const locks = new ManagementLockClient(emulator.credential, SUB1, armClientOptions(emulator));
    const cloneId = prod.id.replace('pg-prod', 'pg-prod-fix');
    await locks.managementLocks.createOrUpdateByScope(cloneId, 'keep', { level: 'CanNotDelete' });
    expect(await servers.delete(cloneId)).toBe('locked');
    await locks.managementLocks.deleteByScope(cloneId, 'keep');
    expect(await servers.delete(cloneId)).toBe('deleted');
    expect(await servers.get(cloneId)).toBeUndefined();
    // ARM answers 204 (or 404) for what is already gone: either way no error.
    expect(['deleted', 'already-gone']).toContain(await servers.delete(cloneId));
    expect(['deleted', 'already-gone']).toContain(await servers.deleteFirewallRule(prod.id, 'no-such-rule'));
  });

  it("listSubscriptionLocks: every lock of the subscription, all pages, with the scope each sits on; locksOn picks a server's", async () => {
    const small = await startEmulator({ snapshot: { servers: [prod], locks: {} }, pageSize: 2 });
    try {
      const client = new ManagementLockClient(small.credential, SUB1, armClientOptions(small));
      await client.managementLocks.createOrUpdateAtSubscriptionLevel('sub-wide', { level: 'ReadOnly' });
      await client.managementLocks.createOrUpdateAtResourceGroupLevel('rg-prod', 'group', { level: 'CanNotDelete' });
      await client.managementLocks.createOrUpdateByScope(prod.id, 'keep', { level: 'CanNotDelete', notes: 'evidence' });
      await client.managementLocks.createOrUpdateAtResourceGroupLevel('rg-other', 'elsewhere', {
        level: 'CanNotDelete',
      });
      const port = new ArmServers({ credential: small.credential, clientOptions: armClientOptions(small) });
      small.requests.clear();
      const locks = await port.listSubscriptionLocks(SUB1);
      // Four locks in pages of two: two requests, one listing.
      expect(small.requests.count({ operation: 'ManagementLocks_List' })).toBe(2);
      expect(locks.map((l) => `${l.name}@${l.scope}`).sort()).toEqual([
        `elsewhere@/subscriptions/${SUB1}/resourcegroups/rg-other`,
        `group@/subscriptions/${SUB1}/resourcegroups/rg-prod`,
        `keep@${prod.id.toLowerCase()}`,
        `sub-wide@/subscriptions/${SUB1}`,
      ]);
      expect(
        locksOn(prod.id.toLowerCase(), locks)
          .map((l) => l.name)
          .sort(),
      ).toEqual(['group', 'keep', 'sub-wide']);
      expect(locksOn(prod.id.toLowerCase(), locks).find((l) => l.name === 'keep')).toEqual({
        name: 'keep',
        level: 'CanNotDelete',
        notes: 'evidence',
      });
    } finally {
      await small.close();
    }
  });

  it("listSubscriptionLocks: ARM's refusal fails the whole list, naming the subscription and ARM's code", async () => {
    const small = await startEmulator({ snapshot: { servers: [prod], locks: {} } });
    try {
      small.faults.add({
        operation: 'ManagementLocks_List',
        status: 403,
        errorCode: 'AuthorizationFailed',
        errorMessage: 'The client does not have authorization to perform action Microsoft.Authorization/locks/read.',
      });
      const port = new ArmServers({ credential: small.credential, clientOptions: armClientOptions(small) });
      await expect(port.listSubscriptionLocks(SUB1)).rejects.toThrow(
        new RegExp(`list the locks of subscription ${SUB1}.*403.*AuthorizationFailed`),
      );
    } finally {
      await small.close();
    }
  });
});
