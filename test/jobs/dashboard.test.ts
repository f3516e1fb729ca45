import { createHash } from 'node:crypto';
import { MemoryDrills } from '../../src/adapters/memory/memoryDrills.js';
import type { DrillRecord } from '../../src/domain/drills.js';
import { drillRunOf, type DrillRun } from '../../src/domain/dashboard.js';
import { describe, expect, it } from 'vitest';
import { cachedPriceSource } from '../../src/adapters/azure/prices/retailPrices.js';
import { DASHBOARD_ASSETS, DASHBOARD_PAGE } from '../../src/adapters/dashboardAssets.js';
import { createMemoryStores } from '../../src/adapters/memory/memoryStores.js';
import type { InventoryRecord } from '../../src/domain/model.js';
import { DEFAULT_POLICY } from '../../src/domain/policy.js';
import { dashboardCommand } from '../../src/cli/commands/dashboard.js';
import { dashboardReader, type DashboardDeps } from '../../src/jobs/dashboard.js';
import { CONTENT_SECURITY_POLICY, dashboardResponse, type DashboardRequest } from '../../src/jobs/dashboardHttp.js';
import { fixedClock } from '../../src/ports/clock.js';
import { minimalRecord, SUB_A } from '../contract/inventoryFixtures.js';

type Listed = { items: Array<{ name: string }>; command: string; total: number };
const SCHEDULES = {
  reconcile: '0 */5 * * * *',
  notices: '0 0 9-17 * * 1-5',
  finopsSummary: '0 0 8 * * 1',
  sweep: '0 30 10-15 * * 1-4',
  drills: '0 0 3 * * *',
};

function clone(name: string, extra: Partial<InventoryRecord> = {}): InventoryRecord {
  return {
    ...minimalRecord(SUB_A, name),
    location: 'eastus',
    classification: 'clone',
    state: 'governed',
    skuName: 'Standard_D2ds_v5',
    skuTier: 'GeneralPurpose',
    storageSizeGb: 128,
    createdAt: '2026-12-01T00:00:00Z',
    ...extra,
  };
}

/** A finished drill as the drills table holds it. */
function drill(
  source: string,
  startedAt: string,
  readyMinutes: number,
  status: DrillRecord['status'] = 'passed',
): DrillRecord {
  const sourceId = `/subscriptions/${SUB_A}/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/${source}`;
  return {
    id: `drill-${source}-${startedAt.slice(0, 10)}`,
    plan: 'nightly',
    sourceId,
    sourceName: source,
    cloneId: `${sourceId}-drill`,
    cloneName: `${source}-drill`,
    owner: 'dba-team@contoso.com',
    requestedBy: 'pitr-warden',
    requestedPoint: startedAt,
    status,
    phases: [],
    objectives: [
      { objective: 'ready', limitMinutes: 30, actualMinutes: readyMinutes, met: readyMinutes <= 30 },
      { objective: 'validated', limitMinutes: 45, actualMinutes: readyMinutes + 1.5, met: readyMinutes + 1.5 <= 45 },
    ],
    checks: [],
    restoredBytes: 3 * 2 ** 30,
    failures: status === 'passed' ? [] : ['missed the ready objective'],
    cloneState: 'deleted',
    startedAt,
    finishedAt: startedAt,
  };
}

async function setup() {
  const stores = createMemoryStores();
  const drills = new MemoryDrills();
  for (const d of [
    drill('pg-orders-prod', '2026-12-03T02:00:00Z', 7.5),
    drill('pg-orders-prod', '2026-12-01T02:00:00Z', 6.5),
    drill('pg-billing-prod', '2026-12-02T02:00:00Z', 41, 'failed'),
  ])
    await drills.put(d);
  const clock = fixedClock('2026-12-05T12:00:00Z');
  await stores.inventory.upsertMany(
    [
      clone('pg-orders-fix', {
        owner: 'alice@contoso.com',
        expiresOn: '2026-12-08T00:00:00Z',
        tags: { Incident: '<img src=x onerror=alert(1)>' },
      }),
      clone('pg-billing-fix', { owner: 'bob@contoso.com', expiresOn: '2026-12-30T00:00:00Z' }),
      clone('pg-twin', { owner: 'carol@contoso.com', classification: 'probable-clone' }),
      minimalRecord(SUB_A, 'pg-prod'),
    ].map((record) => ({ record })),
  );
  const key = (await stores.inventory.list()).find((r) => r.name === 'pg-orders-fix')!.key;
  await stores.evidence.append([
    {
      serverKey: key,
      id: 'detect:1',
      at: '2026-12-01T00:01:00Z',
      actor: 'pitr-warden',
      kind: 'detect',
      summary: 'restore seen in the Activity Log',
    },
    {
      serverKey: key,
      id: 'tag:1',
      at: '2026-12-01T00:02:00Z',
      actor: 'pitr-warden',
      kind: 'tag',
      summary: 'stamped ExpiresOn',
      after: { ExpiresOn: '2026-12-08' },
    },
  ]);
  await stores.runs.started('reconcile', '2026-12-05T11:55:00Z');
  await stores.runs.finished('reconcile', '2026-12-05T11:55:30Z', { ok: true });
  let inventoryReads = 0;
  const deps: DashboardDeps = {
    inventory: { list: (o) => (inventoryReads++, stores.inventory.list(o)) },
    evidence: stores.evidence,
    runs: stores.runs,
    prices: cachedPriceSource({ checkpoints: stores.checkpoints }),
    queues: () =>
      Promise.resolve({
        events: { name: 'resource-events', depth: 3 },
        poison: { name: 'resource-events-poison', depth: 1 },
      }),
    clock,
    policy: DEFAULT_POLICY,
    schedules: SCHEDULES,
    drills: async () => (await drills.list()).map(drillRunOf),
  };
  const reader = dashboardReader(deps, { cacheTtlInMs: 10_000 });
  const http = {
    reader: () => Promise.resolve(reader),
    access: { mode: 'none' as const },
    page: DASHBOARD_PAGE,
    assets: DASHBOARD_ASSETS,
  };
  const get = (
    route: DashboardRequest['route'],
    name = '',
    query: Record<string, string> = {},
    headers: Record<string, string> = {},
  ) => dashboardResponse({ route, name, query, headers }, http);
  return { stores, clock, reader, get, key, reads: () => inventoryReads };
}

describe('dashboard views (memory stores, price table)', () => {
  it('summarises clones, cost with its price date, expiry, review and health from the tables', async () => {
    const { get } = await setup();
    const response = await get('data', 'summary');
    expect(response.status).toBe(200);
    const summary = JSON.parse(response.body) as {
      counts: { byOwner: Array<{ value: string }> };
      cost: { series: Array<{ day: string }>; perDay: number; priceSources: unknown };
      warnings: string[];
    };
    expect(summary.counts).toMatchObject({ servers: 4, clones: 3 });
    expect(summary.counts.byOwner.map((c) => c.value)).toEqual([
      'alice@contoso.com',
      'bob@contoso.com',
      'carol@contoso.com',
    ]);
    expect(summary.cost.priceSources).toEqual([{ kind: 'price-table', asOf: '2026-11-01' }]);
    expect(summary.cost.perDay).toBeGreaterThan(0);
    expect(summary.cost.series.map((d) => d.day)).toEqual([
      '2026-12-01',
      '2026-12-02',
      '2026-12-03',
      '2026-12-04',
      '2026-12-05',
    ]);
    expect(summary).toMatchObject({ expiring: 1, review: 1, health: { queues: { poison: { depth: 1 } } } });
    expect(summary.warnings).toEqual(['resource-events-poison: 1 message(s) the intake gave up on']);
  });

  it('filters, sorts and pages the clones table, and says which CLI command gives the same rows', async () => {
    const { get } = await setup();
    const page = JSON.parse((await get('data', 'clones', { owner: 'BOB@contoso.com' })).body) as Listed;
    expect(page.items.map((r) => r.name)).toEqual(['pg-billing-fix']);
    expect(page.command).toBe('pitr-warden dashboard clones --owner BOB@contoso.com --output json');
    const sorted = JSON.parse(
      (await get('data', 'clones', { scope: 'all', sort: 'name', dir: 'desc', pageSize: '2', page: '2' })).body,
    ) as Listed;
    expect(sorted).toMatchObject({ total: 4, pages: 2, page: 2 });
    // Descending by name: pg-twin, pg-prod | pg-orders-fix, pg-billing-fix
    expect(sorted.items.map((r) => r.name)).toEqual(['pg-orders-fix', 'pg-billing-fix']);
  });

  it('shows the drills of the drills table, newest first, and the minutes to Ready per source over time', async () => {
    const { get } = await setup();
    const body = (await get('data', 'drills')).body;
    const data = JSON.parse(body) as {
      recent: DrillRun[];
      trends: { source: string; points: { at: string; minutesToReady?: number; outcome: string }[] }[];
      command: string;
    };
    expect(
      data.recent.map((d) => [
        d.sourceName,
        d.requestedAt,
        d.outcome,
        d.minutesToReady,
        d.minutesToValidated,
        d.sizeGb,
      ]),
    ).toEqual([
      ['pg-orders-prod', '2026-12-03T02:00:00Z', 'passed', 7.5, 9, 3],
      ['pg-billing-prod', '2026-12-02T02:00:00Z', 'failed', 41, 42.5, 3],
      ['pg-orders-prod', '2026-12-01T02:00:00Z', 'passed', 6.5, 8, 3],
    ]);
    expect(data.trends).toEqual([
      {
        source: 'pg-billing-prod',
        points: [{ at: '2026-12-02T02:00:00Z', outcome: 'failed', minutesToReady: 41, minutesToValidated: 42.5 }],
      },
      {
        source: 'pg-orders-prod',
        points: [
          { at: '2026-12-01T02:00:00Z', outcome: 'passed', minutesToReady: 6.5, minutesToValidated: 8 },
          { at: '2026-12-03T02:00:00Z', outcome: 'passed', minutesToReady: 7.5, minutesToValidated: 9 },
        ],
      },
    ]);
    expect(data.command).toContain('pitr-warden dashboard drills');
  });

  it('refuses a bad query with a message naming the parameter', async () => {
    const { get } = await setup();
    const bad = await get('data', 'clones', { page: '0', sort: 'password' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('page must be a whole number');
    expect(bad.body).toContain('sort must be one of');
    expect((await get('data', 'nope')).status).toBe(404);
    expect((await get('data', 'clone', { server: 'pg-missing' })).status).toBe(404);
  });

  it("shows one clone's audit timeline from the evidence log, and exports it as CSV", async () => {
    const { get } = await setup();
    const view = JSON.parse((await get('data', 'clone', { server: 'pg-orders-fix' })).body) as {
      timeline: Array<{ kind: string }>;
      server: { tags: unknown };
      command: string;
    };
    expect(view.timeline.map((e) => e.kind)).toEqual(['detect', 'tag']);
    expect(view.server.tags).toEqual({ Incident: '<img src=x onerror=alert(1)>' });
    expect(view.command).toBe('pitr-warden evidence pg-orders-fix --output json');
    const csv = await get('export', 'evidence.csv', { server: 'pg-orders-fix' });
    expect(csv.headers['content-disposition']).toMatch(
      /^attachment; filename="pitr-warden-evidence-pg-orders-fix-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    expect(csv.body.split('\r\n')[0]).toBe('at,kind,actor,summary,reason,id,before,after,details');
    expect(csv.body).toContain('"{""ExpiresOn"":""2026-12-08""}"');
  });

  it('exports the filtered inventory as CSV', async () => {
    const { get } = await setup();
    const csv = await get('export', 'inventory.csv', { owner: 'alice@contoso.com' });
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = csv.body.trim().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('pg-orders-fix');
  });

  it('reads the tables once per cache period; "fresh" reads again', async () => {
    const { get, clock, reads } = await setup();
    await get('data', 'summary');
    await get('data', 'clones');
    expect(reads()).toBe(1);
    clock.advance(11_000);
    await get('data', 'clones');
    expect(reads()).toBe(2);
    await get('data', 'summary', { fresh: '1' });
    expect(reads()).toBe(3);
  });
});

describe('pitr-warden dashboard <view>', () => {
  it('prints the same data as the view that names it', async () => {
    const { get, reader } = await setup();
    const endpoint = JSON.parse((await get('data', 'clones', { owner: 'bob@contoso.com' })).body) as {
      command: string;
    };
    const argv = endpoint.command.split(' ').slice(2);
    expect(argv).toEqual(['clones', '--owner', 'bob@contoso.com', '--output', 'json']);
    const out: string[] = [];
    await dashboardCommand({
      io: { out: (t) => out.push(t), err: () => undefined },
      reader: () => Promise.resolve(reader),
    })
      .exitOverride()
      .parseAsync(argv, { from: 'user' });
    expect(JSON.parse(out.join(''))).toEqual(endpoint);

    out.length = 0;
    await dashboardCommand({
      io: { out: (t) => out.push(t), err: () => undefined },
      reader: () => Promise.resolve(reader),
    })
      .exitOverride()
      .parseAsync(['review'], { from: 'user' });
    expect(out.join('')).toContain('pitr-warden confirm pg-twin --clone');
  });
});

describe('dashboard HTTP', () => {
  it('serves the page and its files with a strict content security policy, and answers 304 to a known ETag', async () => {
    const { get } = await setup();
    const page = await get('page');
    expect(page.status).toBe(200);
    // The stylesheet is inline (the first paint waits for the page alone), allowed by its hash and nothing else.
    const css = (await get('asset', 'dashboard.css')).body;
    expect(page.body).toContain(`<style>${css}</style>`);
    expect(page.body).not.toContain('dashboard/assets/dashboard.css');
    expect(page.headers['content-security-policy']).toBe(
      CONTENT_SECURITY_POLICY.replace(
        "style-src 'self'",
        `style-src 'self' 'sha256-${createHash('sha256').update(css).digest('base64')}'`,
      ),
    );
    expect((await get('asset', 'dashboard.js')).headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(page.body).toContain('<script src="dashboard/assets/chart.umd.min.js" defer></script>');
    expect(page.body).not.toMatch(/<script>|https?:\/\//);
    for (const file of ['dashboard.css', 'dashboard.js'])
      expect((await get('asset', file)).body.length, file).toBeGreaterThan(1000);
    const chart = await get('asset', 'chart.umd.min.js');
    expect(chart.body).toContain('Chart.js v4.6.2');
    expect((await get('asset', 'chart.umd.min.js', {}, { 'if-none-match': chart.headers.etag! })).status).toBe(304);
    expect((await get('asset', '__proto__')).status).toBe(404);
    expect((await get('asset', '../../package.json')).status).toBe(404);
  });

  it('answers 401 without App Service sign-in when Entra is required, before reading any table', async () => {
    const { reader } = await setup();
    let opened = false;
    let warmed = 0;
    const deps = {
      reader: () => ((opened = true), Promise.resolve(reader)),
      warm: () => void warmed++,
      page: DASHBOARD_PAGE,
      assets: DASHBOARD_ASSETS,
    };
    for (const route of ['data', 'page'] as const) {
      const response = await dashboardResponse(
        { route, name: 'summary', query: {}, headers: {} },
        { ...deps, access: { mode: 'entra' } },
      );
      expect(response.status).toBe(401);
      expect(response.body).toContain('App Service authentication');
    }
    expect(opened).toBe(false);
    expect(warmed).toBe(0);
    // Once allowed, serving the page starts the table read the page's script will ask for.
    expect(
      (
        await dashboardResponse(
          { route: 'page', name: '', query: {}, headers: {} },
          { ...deps, access: { mode: 'none' } },
        )
      ).status,
    ).toBe(200);
    expect(warmed).toBe(1);
  });
});
