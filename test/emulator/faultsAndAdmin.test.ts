import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Faults, startEmulator, type Emulator } from '../../src/local/emulator/index.js';
import { baseSnapshot, call, clients, collect, now, SUB1 } from './helpers.js';

let emulator: Emulator;
let c: ReturnType<typeof clients>;

beforeAll(async () => {
  emulator = await startEmulator({ snapshot: baseSnapshot(), now });
  c = clients(emulator);
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

describe('fault injection', () => {
  it('429 + Retry-After: the SDK retries and succeeds; the request log shows the retries', async () => {
    emulator.faults.add({ operation: 'Servers_Get', status: 429, retryAfterSeconds: 0, times: 2 });
    const server = await c.postgres.servers.get('rg-prod', 'pg-prod');
    expect(server.name).toBe('pg-prod');
    expect(emulator.requests.entries({ operation: 'Servers_Get' }).map((r) => r.status)).toEqual([429, 429, 200]);
    expect(
      emulator.requests.entries({ operation: 'Servers_Get', status: 429 }).every((r) => r.fault !== undefined),
    ).toBe(true);
    expect(emulator.faults.list()[0]?.hits).toBe(2);
  });

  it('503 with Retry-After on a list page is retried too', async () => {
    emulator.faults.add({ operation: 'Servers_ListBySubscription', status: 503, retryAfterSeconds: 0, times: 1 });
    expect(await collect(c.postgres.servers.listBySubscription())).toHaveLength(3);
    expect(emulator.requests.count({ operation: 'Servers_ListBySubscription', status: 503 })).toBe(1);
  });

  it('a non-retryable injected status surfaces as the SDK error with its code', async () => {
    emulator.faults.add({ operation: 'Tags_GetAtScope', status: 400, errorCode: 'InjectedBadRequest' });
    await expect(c.resources.tagsOperations.getAtScope(`subscriptions/${SUB1}`)).rejects.toMatchObject({
      statusCode: 400,
      code: 'InjectedBadRequest',
    });
  });

  it('adds latency to matching requests only', async () => {
    emulator.faults.add({ operation: 'Servers_Get', latencyMs: 120 });
    await c.postgres.servers.get('rg-prod', 'pg-prod');
    await collect(c.postgres.servers.listByResourceGroup('rg-prod'));
    expect(emulator.requests.entries({ operation: 'Servers_Get' })[0]!.durationMs).toBeGreaterThanOrEqual(100);
    expect(emulator.requests.entries({ operation: 'Servers_Get' })[0]!.fault).toBeDefined();
    expect(emulator.requests.entries({ operation: 'Servers_ListByResourceGroup' })[0]!.fault).toBeUndefined();
  });

  it('applies a probability: 0 never hits', async () => {
    emulator.faults.add({ status: 500, probability: 0 });
    expect((await c.postgres.servers.get('rg-prod', 'pg-prod')).name).toBe('pg-prod');
  });

  it('draws a probability from the seed: the same faults for the same requests in any order, others for another seed', () => {
    const requests = Array.from({ length: 400 }, (_, i) => ({
      operation: 'Servers_Get',
      method: 'GET',
      path: `/subscriptions/s/resourceGroups/rg/providers/x/flexibleServers/pg-${i % 200}`,
    }));
    const hits = (seed: number, order: typeof requests) => {
      const faults = new Faults(seed);
      faults.add({ status: 503, probability: 0.2 });
      // Keyed by request and repetition, as the draw is.
      const seen = new Map<string, number>();
      return new Set(
        order
          .filter((r) => faults.decide(r).reply)
          .map((r) => `${r.path}#${seen.set(r.path, (seen.get(r.path) ?? 0) + 1).get(r.path)}`),
      );
    };
    const forward = hits(42, requests);
    expect(
      [
        ...hits(
          42,
          [...requests].reverse().sort((a, b) => (a.path < b.path ? -1 : 1)),
        ),
      ].sort(),
    ).toEqual([...forward].sort());
    expect(forward.size).toBeGreaterThan(50);
    expect(forward.size).toBeLessThan(110);
    expect([...hits(43, requests)].sort()).not.toEqual([...forward].sort());
  });
});

describe('admin endpoints under /_emulator', () => {
  it('adds faults and reads request counters over HTTP', async () => {
    const added = await call(emulator, 'POST', '/_emulator/faults', {
      operation: 'Servers_Get',
      status: 429,
      retryAfterSeconds: 0,
      times: 1,
    });
    expect(added.status).toBe(201);
    await c.postgres.servers.get('rg-prod', 'pg-prod');
    const log = await call(emulator, 'GET', '/_emulator/requests?operation=Servers_Get');
    expect(log.body.counters).toEqual(
      expect.arrayContaining([
        { method: 'GET', operation: 'Servers_Get', status: 429, count: 1 },
        { method: 'GET', operation: 'Servers_Get', status: 200, count: 1 },
      ]),
    );
    expect((log.body.entries as { status: number }[]).map((e) => e.status)).toEqual([429, 200]);
    expect((await call(emulator, 'GET', '/_emulator/faults')).body.value[0].hits).toBe(1);
    expect((await call(emulator, 'DELETE', '/_emulator/faults')).status).toBe(204);
    expect(emulator.faults.list()).toEqual([]);
  });

  it('pins and advances the clock, which moves restore windows', async () => {
    expect((await call(emulator, 'POST', '/_emulator/clock', { now: '2026-12-01T00:00:00Z' })).body.now).toBe(
      '2026-12-01T00:00:00.000Z',
    );
    expect((await call(emulator, 'POST', '/_emulator/clock', { advanceMs: 60_000 })).body.now).toBe(
      '2026-12-01T00:01:00.000Z',
    );
    expect((await c.postgres.servers.get('rg-prod', 'pg-prod')).backup?.earliestRestoreDate?.toISOString()).toBe(
      '2026-11-17T00:01:00.000Z',
    );
    expect((await call(emulator, 'DELETE', '/_emulator/clock')).body.now).toBe(now().toISOString());
  });

  it('resets to the seed and exports the state as a snapshot', async () => {
    await c.postgres.servers.beginDeleteAndWait('rg-other', 'pg-other');
    expect((await call(emulator, 'GET', '/_emulator/snapshot')).body.servers).toHaveLength(3);
    expect((await call(emulator, 'POST', '/_emulator/reset')).status).toBe(204);
    expect((await c.postgres.servers.get('rg-other', 'pg-other')).name).toBe('pg-other');
    expect(emulator.requests.count({ operation: 'Servers_Delete' })).toBe(0);
  });
});

describe('reseed (one emulator serving test after test)', () => {
  it('serves the new seed and clock as a fresh emulator would: state, request log, faults, mailbox and time scale reset', async () => {
    const other = await startEmulator({ snapshot: baseSnapshot(), now });
    try {
      const client = clients(other).postgres;
      other.faults.add({ operation: 'Servers_Get', status: 500, times: 100 });
      other.clock.timeScale = 1;
      expect((await collect(client.servers.listBySubscription())).map((s) => s.name)).toContain('pg-prod');

      const later = new Date('2026-12-24T08:00:00Z');
      await other.reseed({
        snapshot: { servers: [baseSnapshot().servers[2]!] },
        now: () => later,
      });
      expect((await collect(client.servers.listBySubscription())).map((s) => s.name)).toEqual(['pg-other']);
      expect(other.requests.entries().map((r) => r.operation)).toEqual(['Servers_ListBySubscription']);
      expect(other.faults.list()).toEqual([]);
      expect(other.clock.timeScale).toBe(0);
      expect(other.clock.now()).toEqual(later);
      expect(other.mailbox.list()).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
