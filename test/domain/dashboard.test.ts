import { describe, expect, it } from 'vitest';
import {
  cliCommand,
  costSummary,
  dashboardRow,
  expiring,
  filterRows,
  listRow,
  pageOf,
  reviewList,
  shellWord,
  sortRows,
  toCsv,
  type DashboardRow,
} from '../../src/domain/dashboard.js';
import { dashboardAccess } from '../../src/domain/dashboardAccess.js';
import type { CostEstimate } from '../../src/domain/cost.js';
import type { InventoryRecord } from '../../src/domain/model.js';
import { minimalRecord, SUB_A } from '../contract/inventoryFixtures.js';

const NOW = new Date('2026-12-05T12:00:00Z');
const TAG_KEYS = { incident: 'Incident', purpose: 'Purpose' };

function clone(name: string, extra: Partial<InventoryRecord> & Record<string, unknown> = {}): InventoryRecord {
  return { ...minimalRecord(SUB_A, name), classification: 'clone', state: 'governed', ...extra };
}

/** A known cost of `perDay` a day, accrued since `createdAt`. */
function cost(perDay: number, hoursToDate?: number): CostEstimate {
  return {
    known: true,
    perHour: perDay / 24,
    perDay,
    perMonth: (perDay / 24) * 730,
    toDate: hoursToDate === undefined ? undefined : (perDay / 24) * hoursToDate,
    hoursToDate,
    currency: 'USD',
    compute: {
      tier: 'GeneralPurpose',
      vCores: 2,
      productName: 'p',
      meterName: 'vCore',
      unitPrice: 1,
      perHour: perDay / 24,
    },
    storage: { sizeGb: 32, pricePerGbMonth: 0.1, perHour: 0 },
    priceSource: { kind: 'price-table', asOf: '2026-11-01' },
  };
}

const row = (record: InventoryRecord, c?: CostEstimate): DashboardRow => listRow(dashboardRow(record, c, TAG_KEYS));

const proofOf = (level: 'proven' | 'claimed' | 'suspected') => ({ level, evidence: [], contradictions: [] });

describe('dashboard rows', () => {
  it('reads engine and proof when the inventory records them, and defaults the engine to PostgreSQL', () => {
    expect(row(clone('a')).engine).toBe('postgresql-flexible');
    expect(row(clone('a')).proof).toBeUndefined();
    expect(row(clone('b', { engine: 'mysql-flexible', proof: proofOf('claimed') })).engine).toBe('mysql-flexible');
    expect(row(clone('b', { proof: { level: 'proven', evidence: ['activity log'], contradictions: [] } })).proof).toBe(
      'proven',
    );
  });

  it('takes the reason from Incident, else Purpose; a deleted clone costs nothing more per day', () => {
    expect(row(clone('a', { tags: { Purpose: 'verify batch', Incident: 'INC-1' } })).reason).toBe('INC-1');
    expect(row(clone('a', { tags: { Purpose: 'verify batch' } })).reason).toBe('verify batch');
    const deleted = row(
      clone('d', { state: 'deleted', createdAt: '2026-12-01T00:00:00Z', deletedAt: '2026-12-03T00:00:00Z' }),
      cost(24, 48),
    );
    expect(deleted.costPerDay).toBe(0);
    expect(deleted.costToDate).toBe(48);
  });

  it('filters by owner (case-insensitive), state, text and scope', () => {
    const rows = [
      row(clone('pg-a', { owner: 'Alice@contoso.com' })),
      row(clone('pg-b', { owner: 'bob@contoso.com', state: 'held' })),
      row({ ...minimalRecord(SUB_A, 'pg-prod'), owner: 'alice@contoso.com' }),
    ];
    expect(filterRows(rows, { owner: 'alice@contoso.com' }).map((r) => r.name)).toEqual(['pg-a']);
    expect(filterRows(rows, { owner: 'alice@contoso.com', scope: 'all' }).map((r) => r.name)).toEqual([
      'pg-a',
      'pg-prod',
    ]);
    expect(filterRows(rows, { state: 'held' }).map((r) => r.name)).toEqual(['pg-b']);
    expect(filterRows(rows, { text: 'PG-B' }).map((r) => r.name)).toEqual(['pg-b']);
  });

  it('sorts by a column with missing values last, and pages', () => {
    const rows = [row(clone('c'), cost(3)), row(clone('a'), cost(10)), row(clone('b'))];
    expect(sortRows(rows, 'costPerDay').map((r) => r.name)).toEqual(['c', 'a', 'b']);
    expect(sortRows(rows, 'costPerDay', true).map((r) => r.name)).toEqual(['a', 'c', 'b']);
    const page = pageOf(
      Array.from({ length: 120 }, (_, i) => i),
      { page: 3, pageSize: 50 },
    );
    expect(page).toMatchObject({ page: 3, pages: 3, total: 120 });
    expect(page.items).toEqual(Array.from({ length: 20 }, (_, i) => 100 + i));
    expect(pageOf([1, 2], { page: 9, pageSize: 50 }).page).toBe(1);
  });
});

describe('cost over time', () => {
  it('adds each clone for the hours it existed each day, and sums per day and to date', () => {
    const rows = [
      row(clone('old', { createdAt: '2026-12-03T12:00:00Z', owner: 'a@contoso.com' }), cost(24, 48)),
      row(
        clone('gone', { createdAt: '2026-12-04T00:00:00Z', deletedAt: '2026-12-04T06:00:00Z', state: 'deleted' }),
        cost(48, 6),
      ),
      row(clone('unpriced', { createdAt: '2026-12-01T00:00:00Z' }), {
        known: false,
        reason: 'unknown price for X in y: no compute meter',
      }),
    ];
    const summary = costSummary(rows, [{ kind: 'price-table', asOf: '2026-11-01' }], NOW);
    expect(summary.series.map((d) => [d.day, d.cost])).toEqual([
      ['2026-12-03', 12],
      ['2026-12-04', 24 + 12],
      ['2026-12-05', 12],
    ]);
    expect(summary.series.at(-1)!.cumulative).toBe(60);
    expect(summary.perDay).toBe(24);
    expect(summary.toDate).toBe(60);
    expect(summary.unknown).toBe(1);
    expect(summary.byOwner[0]).toEqual({ owner: 'a@contoso.com', perDay: 24, toDate: 48, clones: 1 });
  });

  it('names each dated price source once per day', () => {
    const summary = costSummary(
      [],
      [
        { kind: 'retail-prices-api', asOf: '2026-12-05T07:00:01Z' },
        { kind: 'retail-prices-api', asOf: '2026-12-05T07:00:02Z' },
        { kind: 'price-table', asOf: '2026-11-01' },
      ],
      NOW,
    );
    expect(summary.priceSources.map((s) => s.kind)).toEqual(['price-table', 'retail-prices-api']);
  });
});

describe('expiring and review', () => {
  it('lists clones expiring within 14 days soonest first, overdue and unparseable ones too, never deleted ones', () => {
    const rows = [
      row(clone('later', { expiresOn: '2026-12-30T00:00:00Z' })),
      row(clone('soon', { expiresOn: '2026-12-10T00:00:00Z' })),
      row(clone('overdue', { expiresOn: '2026-12-01T00:00:00Z' })),
      row(clone('gone', { expiresOn: '2026-12-06T00:00:00Z', state: 'deleted' })),
      row(clone('garbled', { expiresOnTag: 'next friday' })),
    ];
    const list = expiring(rows, NOW);
    expect(list.map((r) => r.name)).toEqual(['overdue', 'soon', 'garbled']);
    expect(list[0]!.note).toContain('expired 5 day(s) ago');
    expect(list[1]!.daysLeft).toBe(4);
    expect(list[2]!.note).toContain('not understood');
  });

  it('puts claimed, suspected and (without recorded proof) probable clones on the review list, with commands that name them safely', () => {
    const rows = [
      row(clone('pg-proven', { proof: proofOf('proven') })),
      row(clone('pg-claimed', { proof: proofOf('claimed') })),
      row({ ...clone('pg-twin'), classification: 'probable-clone' }),
      row({
        ...clone('pg-twin', { resourceGroup: 'rg-other' }),
        key: 'other-key',
        id: '/subscriptions/x/resourceGroups/rg-other/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-twin',
        classification: 'probable-clone',
      }),
      row({ ...clone('pg-gone', { proof: proofOf('suspected') }), state: 'deleted' }),
    ];
    const review = reviewList(rows);
    expect(review.map((r) => r.name)).toEqual(['pg-claimed', 'pg-twin', 'pg-twin']);
    expect(review[0]!.confirm).toBe('pitr-warden confirm pg-claimed --clone --reason "<why you know it is a restore>"');
    expect(review[0]!.dismiss).toBe('pitr-warden confirm pg-claimed --not-a-clone --reason "<what it is>"');
    // Two servers share the name: the command names the resource id.
    expect(review[1]!.confirm).toContain('/subscriptions/');
  });

  it('quotes shell words that would not survive a shell', () => {
    expect(shellWord('alice@contoso.com')).toBe('alice@contoso.com');
    expect(shellWord("it's $(rm -rf)")).toBe(`'it'\\''s $(rm -rf)'`);
    expect(cliCommand('clones', { owner: 'a b', scope: 'all' })).toBe(
      "pitr-warden dashboard clones --all --owner 'a b' --output json",
    );
  });
});

describe('CSV', () => {
  it('quotes commas, quotes and newlines, keeps numbers, and defuses spreadsheet formulas', () => {
    const csv = toCsv(
      [
        { name: 'pg-a', owner: 'a "b", c', reason: 'line1\nline2', costPerDay: 1.237, compliant: true },
        { name: 'pg-b', owner: '=HYPERLINK("http://x")', reason: '@SUM(A1)', costPerDay: undefined, compliant: false },
      ],
      ['name', 'owner', 'reason', 'costPerDay', 'compliant'],
    );
    expect(csv).toBe(
      'name,owner,reason,costPerDay,compliant\r\n' +
        'pg-a,"a ""b"", c","line1\nline2",1.24,true\r\n' +
        `pg-b,"'=HYPERLINK(""http://x"")",'@SUM(A1),,false\r\n`,
    );
  });
});

describe('dashboard access', () => {
  const principal = (claims: Array<{ typ: string; val: string }>) =>
    Buffer.from(JSON.stringify({ auth_typ: 'aad', claims })).toString('base64');
  const GROUP = '11111111-2222-4333-8444-555555555555';

  it('lets anyone in locally, and nobody without App Service sign-in in Azure', () => {
    expect(dashboardAccess(undefined, { mode: 'none' })).toEqual({ ok: true, user: 'local' });
    expect(dashboardAccess(undefined, { mode: 'entra' })).toMatchObject({ ok: false, status: 401 });
    expect(dashboardAccess('%%%not base64 json', { mode: 'entra' })).toMatchObject({ ok: false, status: 401 });
  });

  it('checks the group claim server-side when a group is configured', () => {
    const member = principal([
      { typ: 'preferred_username', val: 'alice@contoso.com' },
      { typ: 'groups', val: GROUP.toUpperCase() },
    ]);
    const outsider = principal([
      { typ: 'preferred_username', val: 'mallory@contoso.com' },
      { typ: 'groups', val: '99999999-2222-4333-8444-555555555555' },
    ]);
    const overage = principal([
      { typ: 'preferred_username', val: 'bob@contoso.com' },
      { typ: '_claim_names', val: '{"groups":"src1"}' },
    ]);
    expect(dashboardAccess(member, { mode: 'entra', allowedGroupId: GROUP })).toEqual({
      ok: true,
      user: 'alice@contoso.com',
    });
    expect(dashboardAccess(member, { mode: 'entra' })).toEqual({ ok: true, user: 'alice@contoso.com' });
    expect(dashboardAccess(outsider, { mode: 'entra', allowedGroupId: GROUP })).toMatchObject({
      ok: false,
      status: 403,
      message: expect.stringContaining('mallory@contoso.com is not a member'),
    });
    expect(dashboardAccess(overage, { mode: 'entra', allowedGroupId: GROUP })).toMatchObject({
      ok: false,
      status: 403,
      message: expect.stringContaining('groupMembershipClaims'),
    });
  });
});
