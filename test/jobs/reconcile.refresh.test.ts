import { describe, expect, it } from 'vitest';
import { createMemoryStores } from '../../src/adapters/memory/memoryStores.js';
import { MemoryServers } from '../../src/adapters/memory/servers.js';
import { DEFAULT_POLICY } from '../../src/domain/policy.js';
import { refreshDue } from '../../src/domain/refresh.js';
import type { GovernDeps } from '../../src/jobs/deps.js';
import { reconcile } from '../../src/jobs/reconcile.js';
import { fixedClock } from '../../src/ports/clock.js';
import { restoreLogFeed } from '../support/restoreLog.js';
import { ACTOR, MAIL, SUB_A, cloneServer, domainServer } from './sweepSeed.js';

const HOUR = 3_600_000;
const PERIOD = 6 * HOUR;

/**
 * Production and clones in memory, an Activity Log that holds only the clones' restore records (every later event and
 * log entry lost), a clock the test moves.
 */
function setup(clones = 8) {
  const prod = domainServer({ name: 'pg-prod', createdAt: '2026-10-01T00:00:00Z' });
  // Public clones: an open firewall rule on one is a violation the warden removes.
  const servers = [
    prod,
    ...Array.from({ length: clones }, (_, i) => ({
      ...cloneServer(`pg-restore-${i}`, '2099-01-01', { createdAt: '2026-11-01T00:00:00Z' }),
      publicNetworkAccess: 'Enabled' as const,
    })),
  ];
  const memory = new MemoryServers(servers);
  const stores = createMemoryStores();
  const clock = fixedClock('2026-12-01T00:00:00Z');
  const deps: GovernDeps = {
    clock,
    servers: memory,
    activity: restoreLogFeed(servers),
    ...stores,
    policy: DEFAULT_POLICY,
    settings: { subscriptionIds: [SUB_A], ...MAIL },
    actor: ACTOR,
  };
  const rulesReads = () => memory.calls.filter((c) => c.op === 'listFirewallRules').map((c) => c.target);
  return { deps, memory, stores, clock, clones: servers.slice(1), rulesReads };
}

describe('reconcile: the full refresh brings every clone back into view once per period', () => {
  it('reads each clone exactly once per period when nothing changes, spread over the runs', async () => {
    const t = setup();
    await reconcile(t.deps, { refreshPeriodMs: PERIOD });
    expect(t.rulesReads()).toHaveLength(8);
    t.memory.calls.length = 0;

    // A run every 30 minutes for one period.
    const perRun: number[] = [];
    for (let run = 0; run < 12; run++) {
      t.clock.advance(HOUR / 2);
      const before = t.rulesReads().length;
      const outcome = await reconcile(t.deps, { refreshPeriodMs: PERIOD });
      expect(outcome.failed).toEqual([]);
      expect(outcome.cloneReads).toBe(outcome.refreshed);
      perRun.push(t.rulesReads().length - before);
    }
    const reads = t.rulesReads();
    expect(reads.slice().sort()).toEqual(t.clones.map((c) => c.key).sort());
    // Spread, not all in one run; and never a GET of a server or a lock read of its own.
    expect(Math.max(...perRun)).toBeLessThan(8);
    expect(t.memory.calls.filter((c) => c.op === 'get' || c.op === 'listLocks')).toEqual([]);
  });

  it("a rule opened with no event and no Activity Log entry is found and removed at the clone's refresh turn, within the period", async () => {
    const t = setup(3);
    await reconcile(t.deps, { refreshPeriodMs: PERIOD });
    const target = t.clones[1]!;
    t.memory.put({
      ...t.memory.peek(target.id)!,
      firewallRules: [{ name: 'everyone', startIpAddress: '0.0.0.0', endIpAddress: '255.255.255.255' }],
    });

    let removedAfterRuns = 0;
    for (let run = 1; run <= 12 && removedAfterRuns === 0; run++) {
      t.clock.advance(HOUR / 2);
      await reconcile(t.deps, { refreshPeriodMs: PERIOD });
      const open = (await t.memory.listFirewallRules(target.id)).length > 0;
      if (!open) removedAfterRuns = run;
    }
    expect(removedAfterRuns).toBeGreaterThan(0);
    expect(t.memory.calls.filter((c) => c.op === 'deleteFirewallRule').map((c) => c.target)).toEqual([target.key]);
    const evidence = await t.stores.evidence.list(target.key);
    expect(evidence.some((e) => e.kind === 'delete-firewall-rule')).toBe(true);
  });

  it("a lock on the clone (seen in the subscription's lock list) brings it back into view at once", async () => {
    const t = setup(3);
    await reconcile(t.deps, { refreshPeriodMs: PERIOD });
    t.memory.calls.length = 0;
    t.clock.advance(60_000);
    t.memory.setLocks(t.clones[2]!.id, [{ name: 'keep', level: 'CanNotDelete' }]);
    const outcome = await reconcile(t.deps, { refreshPeriodMs: PERIOD });
    expect(outcome).toMatchObject({ cloneReads: 1, refreshed: 0 });
    expect(t.rulesReads()).toEqual([t.clones[2]!.key]);
    expect((await t.stores.inventory.get(t.clones[2]!.key))?.value).toMatchObject({
      state: 'held',
      lockSignature: 'CanNotDelete:keep',
    });
  });
});

describe('refreshDue', () => {
  it('is due exactly once in consecutive windows that cover one period, and always for a window as long as the period', () => {
    const start = Date.parse('2026-12-01T00:00:00Z');
    for (const key of ['/subscriptions/a/x', '/subscriptions/b/y', 'k']) {
      let due = 0;
      for (let t = start; t < start + PERIOD; t += 7 * 60_000) {
        const end = Math.min(t + 7 * 60_000, start + PERIOD);
        if (refreshDue(key, { since: new Date(t), now: new Date(end), periodMs: PERIOD })) due++;
      }
      expect(due, key).toBe(1);
      expect(refreshDue(key, { since: new Date(start), now: new Date(start + PERIOD), periodMs: PERIOD })).toBe(true);
    }
  });
});
