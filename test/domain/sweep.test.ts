import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../src/domain/policy.js';
import {
  changeSincePlanning,
  deletionCap,
  disagreementStop,
  knownClones,
  planForSweep,
  sweepSelection,
  type PlannedSubscription,
} from '../../src/domain/sweep.js';
import type { InventoryRecord, Server } from '../../src/domain/model.js';
import { cloneServer, domainServer, MAIL, noticesFor, rowsFor } from '../jobs/sweepSeed.js';

const NOW = new Date('2026-12-10T10:00:00Z');
const CONTEXT = { policy: DEFAULT_POLICY, settings: MAIL };

function planned(servers: Server[], rows: InventoryRecord[]): PlannedSubscription {
  return {
    servers,
    rows,
    plans: planForSweep(servers, rows, NOW, CONTEXT),
    live: new Map(servers.map((s) => [s.key, s])),
  };
}

function estate() {
  const older = cloneServer('pg-older', '2026-11-25');
  const expired = cloneServer('pg-expired', '2026-12-01');
  const hold = cloneServer('pg-hold', '2026-12-01', { tags: { LegalHold: 'CASE-1' } });
  const grace = cloneServer('pg-grace', '2026-12-08', { createdAt: '2026-11-20T00:00:00Z' });
  const prod = domainServer({
    name: 'pg-prod',
    tags: { Owner: 'team@contoso.com' },
    createdAt: '2025-01-01T00:00:00Z',
  });
  // Locks read (none): an unread lock list never deletes.
  const servers = [expired, older, hold, grace, prod].map((s) => ({ ...s, locks: [] }));
  const rows = rowsFor(servers, new Date('2026-12-09T00:00:00Z'), {
    [older.key]: noticesFor(older, { finalAt: '2026-11-25T09:00:00Z' }),
    [expired.key]: noticesFor(expired, { finalAt: '2026-12-01T09:00:00Z' }),
    [hold.key]: noticesFor(hold, { finalAt: '2026-12-01T09:00:00Z' }),
    [grace.key]: noticesFor(grace, { finalAt: '2026-12-09T00:00:00Z' }),
  });
  return { servers, rows };
}

describe('sweep decisions (pure)', () => {
  it('selects the plan deletions oldest expiry first, reports holds as held and the grace period as skipped', () => {
    const e = estate();
    const { eligible, skipped, held } = sweepSelection([planned(e.servers, e.rows)]);
    expect(eligible.map((x) => x.plan.name)).toEqual(['pg-older', 'pg-expired']);
    expect(held.map((x) => x.name)).toEqual(['pg-hold']);
    expect(skipped.map((x) => [x.name, x.reason.split(':')[0]])).toEqual([['pg-grace', 'grace-period']]);
  });

  it('does not plan again a server its row settled as not a clone with the same tags; plans it once its tags change', () => {
    const e = estate();
    const prod = e.servers.find((s) => s.name === 'pg-prod')!;
    expect(e.rows.find((r) => r.key === prod.key)?.classification).toBe('not-a-clone');
    const keys = (servers: Server[]) => planForSweep(servers, e.rows, NOW, CONTEXT).map((p) => p.name);
    expect(keys(e.servers)).not.toContain('pg-prod');
    expect(keys(e.servers)).toEqual(expect.arrayContaining(['pg-older', 'pg-expired', 'pg-hold', 'pg-grace']));
    // Lineage tags written on it since reconcile: planned again (and, never proven, still never deleted).
    const tagged = { ...prod, tags: { ...prod.tags, RestoredFrom: e.servers[0]!.id } };
    const plans = planForSweep(
      e.servers.map((s) => (s.key === prod.key ? tagged : s)),
      e.rows,
      NOW,
      CONTEXT,
    );
    const again = plans.find((p) => p.name === 'pg-prod');
    expect(again).toBeDefined();
    expect(again!.actions.some((a) => a.type === 'delete-server')).toBe(false);
    // The eligible clones are the same whether or not the settled server was planned.
    const { eligible } = sweepSelection([planned(e.servers, e.rows)]);
    expect(eligible.map((x) => x.plan.name)).toEqual(['pg-older', 'pg-expired']);
  });

  it('counts known clones and the disagreements of inventory and ARM', () => {
    const e = estate();
    const listedOnly = planned(
      e.servers.filter((s) => s.name !== 'pg-older'),
      e.rows,
    );
    const known = knownClones([listedOnly]);
    expect(known.clones).toBe(4);
    expect(known.disagreements).toEqual(['pg-older: in the inventory, not listed by ARM']);
    expect(disagreementStop(known, 25)).toBeUndefined();
    expect(disagreementStop(known, 20)).toMatch(
      /^inventory and ARM disagree on 1 server\(s\), 25\.0% of 4 known clone\(s\) \(limit 20%\): pg-older/,
    );
  });

  it('caps deletions by count and by share, allowing one for a small estate and none at 0%', () => {
    expect(deletionCap(4, { maxDeletionsPerRun: 10, maxDeletionPercent: 20 })).toBe(1);
    expect(deletionCap(100, { maxDeletionsPerRun: 10, maxDeletionPercent: 20 })).toBe(10);
    expect(deletionCap(100, { maxDeletionsPerRun: 50, maxDeletionPercent: 20 })).toBe(20);
    expect(deletionCap(100, { maxDeletionsPerRun: 50, maxDeletionPercent: 0 })).toBe(0);
  });

  it('names what changed between planning and the re-read, and nothing when nothing did', () => {
    const e = estate();
    const [candidate] = sweepSelection([planned(e.servers, e.rows)]).eligible;
    const row = e.rows.find((r) => r.key === candidate!.plan.key)!;
    expect(changeSincePlanning(candidate!, candidate!.server, row, NOW, CONTEXT)).toBeUndefined();
    const retagged = { ...candidate!.server, tags: { ...candidate!.server.tags, ExpiresOn: '2027-01-31' } };
    expect(changeSincePlanning(candidate!, retagged, row, NOW, CONTEXT)).toBe('tags ExpiresOn');
    const locked = { ...candidate!.server, locks: [{ name: 'keep', level: 'CanNotDelete' as const }] };
    expect(changeSincePlanning(candidate!, locked, row, NOW, CONTEXT)).toMatch(/^locks none -> /);
  });
});
