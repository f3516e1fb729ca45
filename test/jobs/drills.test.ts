import { describe, expect, it } from 'vitest';
import { MemoryDrills } from '../../src/adapters/memory/memoryDrills.js';
import { MemoryMailer } from '../../src/adapters/memory/mailer.js';
import type { DrillRecord } from '../../src/domain/drills.js';
import type { Server } from '../../src/domain/model.js';
import { renderDrillText } from '../../src/domain/drillReport.js';
import {
  adhocPlan,
  deleteDrillClone,
  DRILL_ID_TAG,
  DRILL_PURPOSE,
  runDrill,
  type DrillDeps,
} from '../../src/jobs/drills.js';
import { recordDecision } from '../../src/jobs/operator.js';
import { domainServer, memoryDeps } from './sweepSeed.js';

const NOW = '2026-12-05T03:10:00Z';
const source = domainServer({ name: 'pg-orders-prod', tags: { Owner: 'orders-team@contoso.com' } });
const clone = domainServer({
  name: 'drill-orders-nightly-202612050300',
  tags: { [DRILL_ID_TAG]: 'd1', Purpose: DRILL_PURPOSE, RestoredFrom: source.id },
  createdAt: '2026-12-05T03:06:30Z',
});
const record: DrillRecord = {
  id: 'd1',
  plan: 'orders-nightly',
  sourceId: source.id,
  sourceName: source.name,
  cloneId: clone.id,
  cloneName: clone.name,
  owner: 'dba-team@contoso.com',
  requestedBy: 'warden',
  requestedPoint: '2026-12-05T03:00:00Z',
  status: 'passed',
  phases: [],
  objectives: [],
  checks: [],
  failures: [],
  cloneState: 'restoring',
  startedAt: '2026-12-05T03:00:00Z',
};

async function world() {
  const t = await memoryDeps({ now: NOW, servers: [source, clone], rows: [] });
  const deps: DrillDeps = {
    ...t.deps,
    checkpoints: t.stores.checkpoints,
    operator: 'warden',
    drills: new MemoryDrills(),
    database: { connect: () => Promise.reject(new Error('no data plane in this test')) },
    mailer: new MemoryMailer(t.clock),
  };
  const deletes = () => t.servers.calls.filter((c) => c.op === 'delete');
  return { ...t, deps, deletes };
}

describe('a drill deletes its clone through the gate', () => {
  it('deletes the clone its governed restore proved at birth', async () => {
    const t = await world();
    await recordDecision(
      clone,
      {
        kind: 'governed-restore',
        by: 'warden',
        at: record.startedAt,
        reason: `purpose: ${DRILL_PURPOSE}`,
        sourceServerId: source.id,
        restorePointUtc: record.requestedPoint,
      },
      t.deps,
    );
    const done = await deleteDrillClone(record, t.deps);
    expect(done).toMatchObject({ cloneState: 'deleted', failures: [] });
    expect(t.deletes()).toHaveLength(1);
    expect(done.phases.map((p) => p.phase)).toEqual(['delete-requested', 'gone']);
  });

  it('leaves a server that carries the drill tags but no proof of the drill restore alone, and says why', async () => {
    const t = await world();
    const done = await deleteDrillClone(record, t.deps);
    expect(t.deletes()).toEqual([]);
    expect(done.cloneState).toBe('delete-failed');
    expect(done.failures).toEqual([
      expect.stringMatching(
        /^Refused to delete-server on drill-orders-nightly-202612050300: it is not proven a clone.*the drill's clone was not deleted$/,
      ),
    ]);
  });
});

/** The inventory as it is, but reading no row back (the proof a governed restore recorded is not found). */
function withoutRows<T extends object>(inventory: T): T {
  return new Proxy(inventory, {
    get(target, prop, receiver) {
      if (prop === 'get') return () => Promise.resolve(undefined);
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('a drill of a public server allows the app on its own clone, never on the source', () => {
  const ADDRESSES = [
    { start: '20.50.1.8', end: '20.50.1.9' },
    { start: '52.0.0.7', end: '52.0.0.7' },
  ];
  const publicSource = { ...source, publicNetworkAccess: 'Enabled' as const };

  async function drillWorld(o: { source?: Server; keepMinutes?: number; hideProof?: boolean } = {}) {
    const t = await memoryDeps({ now: NOW, servers: [o.source ?? publicSource], rows: [] });
    // What the servers port had been asked when the drill first connected.
    const callsAtConnect: number[] = [];
    const deps: DrillDeps = {
      ...t.deps,
      checkpoints: t.stores.checkpoints,
      operator: 'warden',
      drills: new MemoryDrills(),
      mailer: new MemoryMailer(t.clock),
      clientAddresses: ADDRESSES,
      sleep: () => Promise.resolve(),
      database: {
        connect: () => {
          callsAtConnect.push(t.servers.calls.length);
          return Promise.resolve({
            firstValue: () => Promise.resolve(1),
            sizeBytes: () => Promise.resolve(2 ** 30),
            close: () => Promise.resolve(),
          });
        },
      },
      // Without the row its governed restore wrote, the clone is only claimed by its tags: the gate refuses.
      ...(o.hideProof ? { inventory: withoutRows(t.stores.inventory) } : {}),
    };
    const plan = { ...adhocPlan('dba-team@contoso.com'), keepMinutes: o.keepMinutes ?? 0 };
    const record = await runDrill({ plan, source: (o.source ?? publicSource).id }, deps);
    const cloneKey = record.cloneId.toLowerCase();
    const writes = t.servers.calls.filter(
      (c) => !['list', 'get', 'listFirewallRules', 'listLocks', 'listSubscriptionLocks', 'checkName'].includes(c.op),
    );
    return { ...t, record, cloneKey, writes, callsAtConnect, evidence: await t.stores.evidence.list(cloneKey) };
  }

  it("adds one rule per address range on the clone before connecting; the clone's delete takes them", async () => {
    const t = await drillWorld();
    expect(t.record.failures).toEqual([]);
    expect(t.record).toMatchObject({ status: 'passed', cloneState: 'deleted' });
    expect(t.writes).toEqual([
      { op: 'restore', target: publicSource.key },
      { op: 'upsertFirewallRule', target: t.cloneKey },
      { op: 'upsertFirewallRule', target: t.cloneKey },
      { op: 'delete', target: t.cloneKey },
    ]);
    // Both rules were on the clone when the drill connected.
    const upserts = t.servers.calls.map((c, i) => (c.op === 'upsertFirewallRule' ? i : -1)).filter((i) => i >= 0);
    expect(t.callsAtConnect).toHaveLength(1);
    expect(Math.max(...upserts)).toBeLessThan(t.callsAtConnect[0]!);
    expect(t.record.firewallRules).toEqual([
      {
        name: 'pitr-warden-drill-1',
        startIpAddress: '20.50.1.8',
        endIpAddress: '20.50.1.9',
        addedAt: NOW.replace('Z', '.000Z'),
        removed: 'with-clone',
        removedAt: NOW.replace('Z', '.000Z'),
      },
      {
        name: 'pitr-warden-drill-2',
        startIpAddress: '52.0.0.7',
        endIpAddress: '52.0.0.7',
        addedAt: NOW.replace('Z', '.000Z'),
        removed: 'with-clone',
        removedAt: NOW.replace('Z', '.000Z'),
      },
    ]);
    expect(t.evidence.filter((e) => e.kind === 'firewall-rule-added').map((e) => e.after)).toEqual([
      { rule: 'pitr-warden-drill-1', startIpAddress: '20.50.1.8', endIpAddress: '20.50.1.9' },
      { rule: 'pitr-warden-drill-2', startIpAddress: '52.0.0.7', endIpAddress: '52.0.0.7' },
    ]);
    expect(renderDrillText(t.record)).toContain(
      'pitr-warden-drill-1 20.50.1.8-20.50.1.9, added 2026-12-05T03:10:00.000Z, removed with the clone',
    );
  });

  it('removes its rules after validation when the keep period keeps the clone', async () => {
    const t = await drillWorld({ keepMinutes: 60 });
    expect(t.record).toMatchObject({ status: 'passed', cloneState: 'kept', failures: [] });
    expect(t.writes.map((c) => [c.op, c.target])).toEqual([
      ['restore', publicSource.key],
      ['upsertFirewallRule', t.cloneKey],
      ['upsertFirewallRule', t.cloneKey],
      ['deleteFirewallRule', t.cloneKey],
      ['deleteFirewallRule', t.cloneKey],
    ]);
    expect(await t.servers.listFirewallRules(t.record.cloneId)).toEqual([]);
    expect(t.record.firewallRules?.map((r) => r.removed)).toEqual(['deleted', 'deleted']);
    expect(t.evidence.filter((e) => e.kind === 'delete-firewall-rule')).toHaveLength(2);
  });

  it('adds no rule to a VNet clone or a clone without public access', async () => {
    for (const network of [
      {
        publicNetworkAccess: 'Disabled' as const,
        delegatedSubnetId:
          '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/db',
      },
      { publicNetworkAccess: 'Disabled' as const },
    ]) {
      const t = await drillWorld({ source: { ...publicSource, ...network } });
      expect(t.record).toMatchObject({ status: 'passed', cloneState: 'deleted' });
      expect(t.writes.map((c) => c.op)).toEqual(['restore', 'delete']);
      expect(t.record.firewallRules).toBeUndefined();
    }
  });

  it('goes through the gate: a clone it cannot prove its own gets no rule, no connection, and is not deleted', async () => {
    const t = await drillWorld({ hideProof: true });
    expect(t.writes.map((c) => c.op)).toEqual(['restore']);
    expect(t.callsAtConnect).toEqual([]);
    expect(t.record.status).toBe('failed');
    expect(t.record.failures[0]).toMatch(
      /^Refused to allow-firewall-rule on drill-pg-orders-prod-\d+: it is not proven a clone \(claimed\);.*; no firewall rule added, not connected$/,
    );
    expect(t.record.cloneState).toBe('delete-failed');
  });
});

describe('drills connect to PostgreSQL flexible servers only', () => {
  it('refuses a MySQL source before anything is created, naming the server and why', async () => {
    const id = source.id
      .replace('Microsoft.DBforPostgreSQL', 'Microsoft.DBforMySQL')
      .replace('pg-orders-prod', 'mysql-orders-prod');
    const mysql: Server = {
      ...source,
      id,
      key: id.toLowerCase(),
      name: 'mysql-orders-prod',
      engine: 'mysql-flexible',
      publicNetworkAccess: 'Enabled',
    };
    const t = await memoryDeps({ now: NOW, servers: [mysql], rows: [] });
    const deps: DrillDeps = {
      ...t.deps,
      checkpoints: t.stores.checkpoints,
      operator: 'warden',
      drills: new MemoryDrills(),
      mailer: new MemoryMailer(t.clock),
      database: { connect: () => Promise.reject(new Error('not reached')) },
    };
    await expect(runDrill({ plan: adhocPlan('dba-team@contoso.com'), source: mysql.id }, deps)).rejects.toMatchObject({
      problems: [
        '--source: mysql-orders-prod is a MySQL flexible server; drills connect to PostgreSQL flexible servers only',
      ],
    });
    expect(t.servers.calls.filter((c) => c.op !== 'get' && c.op !== 'list')).toEqual([]);
  });
});
