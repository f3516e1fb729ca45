import { createHttpHeaders, createPipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { afterEach, describe, expect, it } from 'vitest';
import { armBudgetPolicy } from '../../src/adapters/azure/arm/armBudget.js';
import { ArmServers } from '../../src/adapters/azure/arm/servers.js';
import { Throttle } from '../../src/local/emulator/throttle.js';
import { armClientOptions, startEmulator, type Emulator } from '../../src/local/emulator/index.js';
import { SUB1, SUB2, armServer } from '../support/estate.js';

describe('the emulator throttles like ARM: token buckets per principal, subscription and kind', () => {
  it('answers 429 with Retry-After once a bucket is empty, reports what is left, and refills with time', () => {
    let now = 0;
    const throttle = new Throttle(
      { reads: { capacity: 3, refillPerSecond: 1 }, writes: { capacity: 1, refillPerSecond: 1 } },
      () => now,
    );
    const read = (principal = 'warden', subscriptionId = SUB1) =>
      throttle.take({ principal, subscriptionId, method: 'GET' });
    expect([read(), read(), read()].map((r) => r.headers['x-ms-ratelimit-remaining-subscription-reads'])).toEqual([
      '2',
      '1',
      '0',
    ]);
    const refused = read();
    expect(refused.reply?.status).toBe(429);
    expect(refused.reply?.headers).toMatchObject({
      'Retry-After': '1',
      'x-ms-ratelimit-remaining-subscription-reads': '0',
    });
    expect(JSON.stringify(refused.reply?.body)).toMatch(
      /SubscriptionRequestsThrottled.*Number of 'read' requests for subscription/,
    );
    // Other buckets are untouched: another subscription, another principal, writes.
    expect(read('warden', SUB2).reply).toBeUndefined();
    expect(read('someone-else').reply).toBeUndefined();
    expect(throttle.take({ principal: 'warden', subscriptionId: SUB1, method: 'PATCH' }).headers).toEqual({
      'x-ms-ratelimit-remaining-subscription-writes': '0',
    });
    expect(throttle.take({ principal: 'warden', subscriptionId: SUB1, method: 'DELETE' }).headers).toEqual({
      'x-ms-ratelimit-remaining-subscription-deletes': '199',
    });
    now += 2_000;
    expect(read().headers['x-ms-ratelimit-remaining-subscription-reads']).toBe('1');
  });

  it('on a scaled clock the exact wait travels in x-ms-retry-after-ms', () => {
    const throttle = new Throttle({ reads: { capacity: 1, refillPerSecond: 1 }, speedup: 100 }, () => 0);
    throttle.take({ principal: 'p', subscriptionId: SUB1, method: 'GET' });
    expect(throttle.take({ principal: 'p', subscriptionId: SUB1, method: 'GET' }).reply?.headers).toMatchObject({
      'Retry-After': '1',
      'x-ms-retry-after-ms': '10',
    });
  });
});

describe('the ARM budget policy on the real SDK clients, against a throttling emulator', () => {
  let emulator: Emulator | undefined;
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  const servers = Array.from({ length: 4 }, (_, i) => armServer({ name: `pg-${i}` }));

  it('slows down before ARM throttles: many reads, no 429, every one answered', async () => {
    // 30 reads in the bucket, refilled at 2/s on a clock ten times faster (20/s).
    emulator = await startEmulator({
      snapshot: { servers },
      throttling: { reads: { capacity: 30, refillPerSecond: 2 }, speedup: 10 },
    });
    const policy = armBudgetPolicy({
      concurrencyPerSubscription: 4,
      reserve: { reads: 10 },
      refillPerSecond: { reads: 20 },
    });
    const port = new ArmServers({
      credential: emulator.credential,
      clientOptions: { ...armClientOptions(emulator), additionalPolicies: [{ policy, position: 'perRetry' }] },
    });
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => port.get(servers[i % 4]!.id)));
    expect(answers.every((s) => s?.name.startsWith('pg-'))).toBe(true);
    expect(emulator.requests.count({ operation: 'Servers_Get', status: 200 })).toBe(60);
    expect(emulator.requests.count({ status: 429 })).toBe(0);
    // The headers reached the policy (how often it had to wait depends on how fast this machine sends).
    expect(policy.stats.lowest.reads).toBeLessThan(30);
  });

  it('paces at the refill rate once the remaining budget falls below the reserve (fake ARM, fake clock)', async () => {
    const waits: number[] = [];
    const policy = armBudgetPolicy({
      concurrencyPerSubscription: 1,
      reserve: { reads: 10 },
      nowMs: () => 0,
      sleep: (ms) => Promise.resolve(void waits.push(ms)),
    });
    let remaining = 14;
    const next = (): Promise<PipelineResponse> => {
      const request = createPipelineRequest({ url: '' });
      return Promise.resolve({
        request,
        status: 200,
        headers: createHttpHeaders({ 'x-ms-ratelimit-remaining-subscription-reads': String(--remaining) }),
      });
    };
    const get = () =>
      policy.sendRequest(
        createPipelineRequest({
          url: `https://management.azure.com/subscriptions/${SUB1}/resourceGroups/rg?api-version=1`,
          method: 'GET',
        }),
        next,
      );
    for (let i = 0; i < 6; i++) await get();
    // 13, 12, 11, 10 left: no wait; below the reserve of 10, each request waits for its token at 25 reads/s.
    expect(waits.length).toBeGreaterThan(0);
    expect(waits.every((ms) => ms >= 40)).toBe(true);
    expect(policy.stats).toMatchObject({ throttled: 0, lowest: { reads: 8 } });
    // Writes have their own budget: nothing known about it, nothing waits.
    waits.length = 0;
    await policy.sendRequest(
      createPipelineRequest({
        url: `https://management.azure.com/subscriptions/${SUB1}/x?api-version=1`,
        method: 'PATCH',
      }),
      next,
    );
    expect(waits).toEqual([]);
  });

  it('never has more requests in flight per subscription than allowed', async () => {
    emulator = await startEmulator({ snapshot: { servers } });
    emulator.faults.add({ operation: 'Servers_Get', latencyMs: 30 });
    const policy = armBudgetPolicy({ concurrencyPerSubscription: 2 });
    const port = new ArmServers({
      credential: emulator.credential,
      clientOptions: { ...armClientOptions(emulator), additionalPolicies: [{ policy, position: 'perRetry' }] },
    });
    let inFlight = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        // Counted around the SDK call: the policy queues the rest before they reach the wire.
        inFlight++;
        most = Math.max(most, inFlight);
        await port.get(servers[i % 4]!.id);
        inFlight--;
      }),
    );
    expect(most).toBe(12);
    const entries = emulator.requests.entries({ operation: 'Servers_Get' });
    // With 30 ms per request and two at a time, 12 requests span at least six rounds.
    const spanMs = Date.parse(entries.at(-1)!.at) - Date.parse(entries[0]!.at);
    expect(spanMs).toBeGreaterThanOrEqual(5 * 30 - 10);
  });

  it('without the policy ARM throttles, and the SDK retries a 429 after the wait it names', async () => {
    // Three reads in the bucket, refilled at 4/s: twelve at once cannot all pass, however slow the machine.
    emulator = await startEmulator({
      snapshot: { servers },
      throttling: { reads: { capacity: 3, refillPerSecond: 1 }, speedup: 4 },
    });
    const port = new ArmServers({ credential: emulator.credential, clientOptions: armClientOptions(emulator) });
    await Promise.allSettled(Array.from({ length: 12 }, (_, i) => port.get(servers[i % 4]!.id)));
    expect(emulator.requests.count({ status: 429 })).toBeGreaterThan(0);
    // Beyond the three in the bucket, retries after the named wait got through.
    expect(emulator.requests.count({ status: 200 })).toBeGreaterThan(3);
  });
});
