import { describe, expect, it } from 'vitest';
import { MemoryDrills } from '../../src/adapters/memory/memoryDrills.js';
import { MemoryMailer } from '../../src/adapters/memory/mailer.js';
import type { DrillRecord } from '../../src/domain/drills.js';
import { deleteDrillClone, DRILL_ID_TAG, DRILL_PURPOSE, type DrillDeps } from '../../src/jobs/drills.js';
import { recordDecision } from '../../src/jobs/operator.js';
import { domainServer, memoryDeps } from './sweepSeed.js';

const NOW = '2026-12-05T03:10:00Z';
const source = domainServer({ name: 'pg-orders-prod', tags: { Owner: 'orders-team@contoso.com' } });
const clone = domainServer({ name: 'drill-orders-nightly-202612050300', tags: { [DRILL_ID_TAG]: 'd1', Purpose: DRILL_PURPOSE, RestoredFrom: source.id }, createdAt: '2026-12-05T03:06:30Z' });
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
    await recordDecision(clone, { kind: 'governed-restore', by: 'warden', at: record.startedAt, reason: `purpose: ${DRILL_PURPOSE}`, sourceServerId: source.id, restorePointUtc: record.requestedPoint }, t.deps);
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
    expect(done.failures).toEqual([expect.stringMatching(/^Refused to delete-server on drill-orders-nightly-202612050300: it is not proven a clone.*the drill's clone was not deleted$/)]);
  });
});
