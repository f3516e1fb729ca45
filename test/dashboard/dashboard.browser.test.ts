import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTables, type TableStores } from '../../src/adapters/azure/tables/tables.js';
import type { DrillRecord } from '../../src/domain/drills.js';
import type { EmulatorSnapshot } from '../../src/local/emulator/index.js';
import { startLocalHost, type LocalHost } from '../../src/local/functionsHost.js';
import { reconcile } from '../../src/jobs/reconcile.js';
import { build } from '../../src/wiring.js';
import { startStack, type TestStack } from '../support/stack.js';

/**
 * The dashboard in Debian's headless Chromium (driven by playwright-core), served by the local host from the app's own
 * registrations, on Azurite and the emulator seeded with the demo estate after one reconcile.
 */
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('../../test-output/dashboard/', import.meta.url));

/** Finished drills of two demo sources in the drills table: the drills view draws a trend per source from them. */
const DRILLS: DrillRecord[] = [
  ['pg-orders-prod', '2026-11-14T02:00:00Z', 6.6, 'passed'],
  ['pg-orders-prod', '2026-11-15T02:00:00Z', 7.1, 'passed'],
  ['pg-orders-prod', '2026-11-16T02:00:00Z', 6.9, 'passed'],
  ['pg-billing-prod', '2026-11-14T03:00:00Z', 12.4, 'passed'],
  ['pg-billing-prod', '2026-11-15T03:00:00Z', 31.0, 'failed'],
].map(([source, at, ready, status]) => {
  const sourceId = `/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-prod/providers/Microsoft.DBforPostgreSQL/flexibleServers/${String(source)}`;
  return {
    id: `drill-${String(source)}-${String(at).slice(0, 10)}`,
    plan: 'nightly',
    sourceId,
    sourceName: String(source),
    cloneId: `${sourceId}-drill`,
    cloneName: `${String(source)}-drill`,
    owner: 'dba-team@contoso.com',
    requestedBy: 'pitr-warden',
    requestedPoint: String(at),
    status: status as DrillRecord['status'],
    phases: [],
    objectives: [
      { objective: 'ready', limitMinutes: 30, actualMinutes: Number(ready), met: Number(ready) <= 30 },
      {
        objective: 'validated',
        limitMinutes: 45,
        actualMinutes: Math.round((Number(ready) + 1.2) * 10) / 10,
        met: true,
      },
    ],
    checks: [],
    restoredBytes: 5 * 2 ** 30,
    failures: status === 'passed' ? [] : ['missed the ready objective: 31 min (at most 30 min)'],
    cloneState: 'deleted',
    startedAt: String(at),
    finishedAt: String(at),
  };
});
const MARKUP = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
const MARKED = 'pg-crm-prod-pitr-1115';

// The browser globals the page callbacks use: they run in Chromium, not in Node (the project has no DOM types).
interface Canvas {
  readonly width: number;
  readonly height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
}
interface ChartGlobal {
  getChart(canvas: unknown): { data: { labels: unknown[]; datasets: Array<{ data: number[] }> } } | undefined;
}
declare const document: {
  querySelector(selector: string): unknown;
  querySelectorAll(selector: string): { length: number };
  getElementById(id: string): unknown;
  documentElement: { scrollWidth: number; clientWidth: number };
};
declare const window: { Chart?: ChartGlobal; __pwned?: number };
declare function getComputedStyle(element: unknown): { display: string };

/** The demo estate, with markup in tag values of one clone (anyone who may write tags can write this). */
function estateWithMarkup(): EmulatorSnapshot {
  const estate = JSON.parse(
    readFileSync(new URL('../../examples/estate.json', import.meta.url), 'utf8'),
  ) as EmulatorSnapshot;
  const server = estate.servers.find((s) => s.name === MARKED)!;
  server.tags = { ...server.tags, Incident: '<b>INC-9001</b>', Note: MARKUP };
  return estate;
}

/** RFC 4180: quoted fields, doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

describe('dashboard in headless Chromium, on the local stack with the demo estate', () => {
  let stack: TestStack;
  let host: LocalHost;
  let stores: TableStores;
  let browser: Browser;
  let page: Page;
  let url: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it)`);
    stack = await startStack({ snapshot: estateWithMarkup() });
    const wired = await build(stack.config);
    const [launched] = await Promise.all([
      chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] }),
      reconcile(wired),
      ...DRILLS.map((d) => wired.stores.drills.put(d)),
    ]);
    browser = launched;
    const entry = fileURLToPath(new URL('../../functions/index.ts', import.meta.url));
    host = await startLocalHost({
      entry,
      settings: stack.settings,
      httpPort: 0,
      only: ['dashboard', 'dashboardAsset', 'dashboardData', 'dashboardExport'],
    });
    stores = await openTables({
      connectionString: stack.azurite.connectionString,
      prefix: stack.config.tablePrefix,
      createIfMissing: false,
    });
    url = `${host.httpUrl}/api/dashboard`;
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    stack.emulator.requests.clear();
  }, 60_000);

  afterAll(async () => {
    expect(pageErrors).toEqual([]);
    await browser?.close();
    await host?.close();
    await stack?.close();
  });

  it('shows the clones, filters by owner, keeps markup in tags as text, and never calls ARM', async () => {
    await page.goto(url);
    await page.waitForSelector('body[data-ready]');
    // The stylesheet from the bundle applied (inline in the page, allowed by its hash; no CDN).
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('header')).display)).toBe('flex');
    const clones = (await stores.inventory.list()).filter((r) => r.classification !== 'not-a-clone');
    expect(await page.locator('#cards .card').first().textContent()).toContain(`${clones.length}clones`);

    await page.click('nav >> text=Clones');
    await page.waitForFunction((n) => document.querySelectorAll('#clones-table tbody tr').length === n, clones.length);
    const names = await page.locator('#clones-table tbody td:first-child').allTextContents();
    expect([...names].sort()).toEqual(clones.map((c) => c.name).sort());

    await page.selectOption('#f-owner', 'bob@contoso.com');
    // Bob's clones: a PostgreSQL one and the MySQL one of the estate.
    await page.waitForFunction(() => document.querySelectorAll('#clones-table tbody tr').length === 2);
    expect((await page.locator('#clones-table tbody td:first-child').allTextContents()).sort()).toEqual([
      'my-payments-prod-pitr-1116',
      'pg-orders-prod-restore-1114',
    ]);
    expect(page.url()).toContain('owner=bob%40contoso.com');
    await page.selectOption('#f-owner', '');
    await page.waitForFunction((n) => document.querySelectorAll('#clones-table tbody tr').length === n, clones.length);

    const marked = page.locator('#clones-table tbody tr', { hasText: MARKED });
    expect(await marked.locator('td').nth(5).textContent()).toBe('<b>INC-9001</b>');
    expect(await page.locator('#clones-table b, #clones-table img, #clones-table script').count()).toBe(0);
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: `${SHOTS}clones-desktop.png`, fullPage: true });

    await marked.locator('a').click();
    await page.waitForSelector('#timeline li');
    const tagValue = page.locator('#clone-tags tbody tr', { hasText: 'Note' }).locator('td').nth(1);
    expect(await tagValue.textContent()).toBe(MARKUP);
    expect(await page.locator('#view-clone img, #view-clone script').count()).toBe(0);
    expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
    expect(stack.emulator.requests.total).toBe(0);
  });

  it("lists a clone's evidence on its timeline, and downloads it and the inventory as CSV that parses", async () => {
    const row = (await stores.inventory.list()).find((r) => r.name === 'pg-orders-prod-restore-1114')!;
    const evidence = await stores.evidence.list(row.key);
    expect(evidence.length).toBeGreaterThan(0);
    await page.goto(`${url}#clone/${encodeURIComponent(row.key)}`);
    await page.waitForFunction((n) => document.querySelectorAll('#timeline li').length === n, evidence.length);
    expect(await page.locator('#timeline li .kind').allTextContents()).toEqual(evidence.map((e) => e.kind));
    expect(await page.locator('#h-clone').textContent()).toBe(row.name);

    const [evidenceDownload] = await Promise.all([page.waitForEvent('download'), page.click('#evidence-csv')]);
    const evidenceRows = parseCsv(readFileSync(await evidenceDownload.path(), 'utf8'));
    expect(evidenceRows[0]).toEqual(['at', 'kind', 'actor', 'summary', 'reason', 'id', 'before', 'after', 'details']);
    expect(evidenceRows.slice(1).map((r) => r[5])).toEqual(evidence.map((e) => e.id));

    await page.click('nav >> text=Clones');
    await page.waitForSelector('#clones-table tbody tr td a');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#inventory-csv')]);
    expect(download.suggestedFilename()).toMatch(/^pitr-warden-inventory-\d{4}-\d{2}-\d{2}\.csv$/);
    const [header, ...rows] = parseCsv(readFileSync(await download.path(), 'utf8'));
    expect(header!.slice(0, 3)).toEqual(['name', 'id', 'subscriptionId']);
    const shown = await page.locator('#clones-table tbody td:first-child').allTextContents();
    expect(rows.map((r) => r[0]).sort()).toEqual([...shown].sort());
    expect(rows.find((r) => r[0] === MARKED)![header!.indexOf('reason')]).toBe('<b>INC-9001</b>');
  });

  it('renders the cost chart from the estimate, with its price date, and reads on a phone', async () => {
    await page.goto(`${url}#cost`);
    await page.waitForFunction(() => {
      const chart = window.Chart?.getChart(document.getElementById('cost-chart'));
      return chart !== undefined && chart.data.labels.length > 0;
    });
    const perDay = await page.evaluate(() => {
      return window.Chart?.getChart(document.getElementById('cost-chart'))?.data.datasets[0]?.data ?? [];
    });
    expect(perDay.some((v) => v > 0)).toBe(true);
    expect(await page.locator('#cost-note').textContent()).toMatch(
      /Retail Prices API as of \d{4}-\d{2}-\d{2}|price table of \d{4}-\d{2}-\d{2}/,
    );
    // Something was drawn: the canvas is not blank.
    const inked = await page.evaluate(() => {
      const canvas = document.getElementById('cost-chart') as Canvas;
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let count = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) count++;
      return count;
    });
    expect(inked).toBeGreaterThan(1000);
    await page.screenshot({ path: `${SHOTS}cost-desktop.png`, fullPage: true });

    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${url}#clones`);
    await page.reload();
    await page.waitForSelector('body[data-ready]');
    await page.waitForSelector('#clones-table tbody tr td a');
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: `${SHOTS}clones-phone.png`, fullPage: true });
    await page.goto(`${url}#overview`);
    await page.reload();
    await page.waitForSelector('body[data-ready]');
    await page.screenshot({ path: `${SHOTS}overview-phone.png`, fullPage: true });
  });

  it('shows the restore drills from the drills table, with the minutes to Ready per source as a trend', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${url}#drills`);
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('#drills-table tbody tr').length === 5);
    const rows = await Promise.all(
      [0, 1, 2, 3, 4].map((i) => page.locator('#drills-table tbody tr').nth(i).locator('td').allTextContents()),
    );
    expect(rows[0]).toEqual(['2026-11-16 02:00 UTC', 'pg-orders-prod', 'passed', '6.9', '8.1', '5']);
    expect(rows.map((r) => r[1])).toEqual([
      'pg-orders-prod',
      'pg-billing-prod',
      'pg-orders-prod',
      'pg-billing-prod',
      'pg-orders-prod',
    ]);
    const trend = await page.evaluate(() =>
      window.Chart?.getChart(document.getElementById('drill-chart'))
        ?.data.datasets.map((d) => d as unknown as { label: string; data: { y: number }[] })
        .map((d) => [d.label, d.data.map((p) => p.y)]),
    );
    expect(trend).toEqual([
      ['pg-billing-prod', [12.4, 31]],
      ['pg-orders-prod', [6.6, 7.1, 6.9]],
    ]);
    await page.screenshot({ path: `${SHOTS}drills-desktop.png`, fullPage: true });
  });
});
