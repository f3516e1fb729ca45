import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { loadConfig } from '../src/config.js';
import type { EvidenceEntry, InventoryRecord } from '../src/domain/model.js';
import { startAzurite } from '../src/local/azurite.js';
import { startEmulator } from '../src/local/emulator/index.js';
import { startLocalHost } from '../src/local/functionsHost.js';
import { sandboxSettings } from '../src/local/sandboxSettings.js';
import { build } from '../src/wiring.js';

const CHROMIUM = '/usr/bin/chromium';
const DAY_MS = 86_400_000;

/**
 * `npm run bench -- dashboard [servers] [subscriptions]`: the dashboard on a large estate (default 10,000 inventory rows
 * over 20 subscriptions, one in ten a clone) in Azurite, served by the local host from the bundle and opened in
 * headless Chromium. Prints first contentful paint and the time until the overview shows its data, on the first load
 * (the tables read) and on later loads (the read shared for 15 s), the JSON and CSV endpoints, and the ARM calls made
 * (the dashboard makes none).
 */
export async function run(args: string[]): Promise<void> {
  const [servers = 10_000, subscriptions = 20] = args.filter((a) => /^\d+$/.test(a)).map(Number);
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  const azurite = await startAzurite();
  const emulator = await startEmulator({ snapshot: { servers: [] } });
  let browser: Browser | undefined;
  try {
    const settings = {
      ...sandboxSettings(azurite, emulator),
      TABLE_PREFIX: `bench${process.pid}`,
      FALLBACK_MAILBOX: 'dba-team@contoso.com',
    };
    const wired = await build(loadConfig(settings));
    const rows = estate(servers, subscriptions, new Date());
    const seeded = performance.now();
    await wired.inventory.upsertMany(rows.map((record) => ({ record })));
    const clones = rows.filter((r) => r.classification !== 'not-a-clone');
    await wired.evidence.append(clones.slice(0, 100).flatMap(evidenceOf));
    await wired.runs.started('reconcile', new Date().toISOString());
    await wired.runs.finished('reconcile', new Date().toISOString(), { ok: true });
    console.log(
      `dashboard: ${servers} servers (${clones.length} clones) over ${subscriptions} subscriptions, seeded in ${((performance.now() - seeded) / 1000).toFixed(1)} s`,
    );

    const host = await startLocalHost({
      entry: resolve('dist/app/main.js'),
      settings,
      httpPort: 0,
      only: ['dashboard', 'dashboardAsset', 'dashboardData', 'dashboardExport'],
    });
    const url = `${host.httpUrl}/api/dashboard`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    emulator.requests.clear();

    const load = async (hash = '') => {
      const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
      const started = performance.now();
      await page.goto(url + hash);
      await page.waitForSelector('body[data-ready]');
      const wallMs = performance.now() - started;
      const paint = await page.evaluate(() => {
        type Entry = { name: string; startTime: number; responseEnd: number };
        const perf = (
          globalThis as unknown as {
            performance: { getEntriesByName(n: string): Entry[]; getEntriesByType(t: string): Entry[] };
          }
        ).performance;
        // When each file of the page arrived: what the first paint waited for.
        const arrived = Object.fromEntries(
          [...perf.getEntriesByType('navigation'), ...perf.getEntriesByType('resource')].map((e) => [
            e.name.replace(/^.*\//, '').replace(/\?.*$/, '') || 'page',
            Math.round(e.responseEnd),
          ]),
        );
        return {
          fcp: perf.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
          ready: perf.getEntriesByName('dashboard-ready')[0]?.startTime ?? NaN,
          arrived,
        };
      });
      await page.close();
      return { ...paint, wallMs };
    };
    const first = await load();
    const later = [];
    for (let i = 0; i < 5; i++) later.push(await load());
    const clonesPage = [];
    for (let i = 0; i < 3; i++) clonesPage.push(await load('#clones?scope=all&page=100'));

    const timed = async (path: string) => {
      const started = performance.now();
      const response = await fetch(`${host.httpUrl}/api/dashboard/${path}`);
      const body = await response.text();
      if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${body}`);
      return { ms: performance.now() - started, bytes: Buffer.byteLength(body) };
    };
    const fresh = await timed('data/summary?fresh=1');
    const summary = await timed('data/summary');
    const page = await timed('data/clones?scope=all&page=37');
    const csv = await timed('export/inventory.csv?scope=all');
    const timeline = await timed(`data/clone?server=${encodeURIComponent(clones[0]!.key)}`);

    const ms = (n: number) => `${n.toFixed(0)} ms`;
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    console.log('\nopening the dashboard in headless Chromium (overview; time from navigation start)');
    console.log(`  first load (tables read)     first paint ${ms(first.fcp)}, data shown ${ms(first.ready)}`);
    console.log(
      `    files arrived at           ${Object.entries(first.arrived)
        .map(([name, at]) => `${name} ${at} ms`)
        .join(', ')}`,
    );
    console.log(
      `  later loads, median of 5     first paint ${ms(median(later.map((l) => l.fcp)))}, data shown ${ms(median(later.map((l) => l.ready)))}`,
    );
    console.log(
      `  clones, page 100 of all      data shown ${ms(median(clonesPage.map((l) => l.ready)))} (median of 3)`,
    );
    console.log('\nendpoints');
    console.log(`  summary, tables read again   ${ms(fresh.ms)} (${(fresh.bytes / 1024).toFixed(0)} KiB)`);
    console.log(`  summary, shared read         ${ms(summary.ms)}`);
    console.log(`  clones page of 50            ${ms(page.ms)} (${(page.bytes / 1024).toFixed(0)} KiB)`);
    console.log(`  inventory CSV, every row     ${ms(csv.ms)} (${(csv.bytes / 1024 / 1024).toFixed(1)} MiB)`);
    console.log(`  one clone's timeline         ${ms(timeline.ms)}`);
    console.log(`\nARM calls made by the dashboard: ${emulator.requests.total}`);
    await host.close();
  } finally {
    await browser?.close();
    await emulator.close();
    await azurite.close();
  }
}

/** Production servers and their clones (every tenth row), the clones with owners, expiry and a price. */
function estate(count: number, subscriptions: number, now: Date): InventoryRecord[] {
  const subs = Array.from(
    { length: subscriptions },
    (_, i) => `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
  );
  return Array.from({ length: count }, (_, i): InventoryRecord => {
    const sub = subs[i % subscriptions]!;
    const clone = i % 10 === 0;
    const name = clone ? `pg-app${i}-restore` : `pg-app${i}-prod`;
    const id = `/subscriptions/${sub}/resourceGroups/rg-${i % 4}/providers/Microsoft.DBforPostgreSQL/flexibleServers/${name}`;
    const createdAt = new Date(now.getTime() - (clone ? (i % 40) + 1 : 400) * DAY_MS).toISOString();
    return {
      key: id.toLowerCase(),
      id,
      subscriptionId: sub,
      resourceGroup: `rg-${i % 4}`,
      name,
      engine: 'postgresql-flexible',
      location: 'eastus',
      classification: clone ? (i % 70 === 0 ? 'probable-clone' : 'clone') : 'not-a-clone',
      classificationEvidence: clone ? ['lineage tags RestoredFrom, RestorePointUtc'] : [],
      lineage: clone ? { sourceServerId: id.replace('-restore', '-prod'), restorePointUtc: createdAt } : {},
      ...(clone
        ? {
            owner: `dba${i % 20}@contoso.com`,
            ownerSource: 'tag-at-restore' as const,
            expiresOn: new Date(now.getTime() + ((i % 30) - 5) * DAY_MS).toISOString(),
          }
        : {}),
      violations: [],
      compliant: true,
      skuName: 'Standard_D4ds_v5',
      skuTier: 'GeneralPurpose',
      storageSizeGb: 128,
      createdAt,
      noticesSent: [],
      state: clone ? 'governed' : 'listed',
      tags: clone ? { Owner: `dba${i % 20}@contoso.com`, Incident: `INC-${i}` } : { Environment: 'production' },
      firstSeenAt: createdAt,
      observedAt: createdAt,
      updatedAt: createdAt,
    };
  });
}

function evidenceOf(row: InventoryRecord): EvidenceEntry[] {
  return [
    {
      serverKey: row.key,
      id: `classified:${row.key}`,
      at: row.createdAt!,
      actor: 'pitr-warden',
      kind: 'classified',
      summary: 'clone (lineage tags)',
    },
    {
      serverKey: row.key,
      id: `notice:${row.key}`,
      at: row.createdAt!,
      actor: 'pitr-warden',
      kind: 'notice',
      summary: `new-clone notice to ${row.owner}`,
    },
  ];
}
