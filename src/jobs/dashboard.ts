import type { PriceSource } from '../ports/prices.js';
import type { Config } from '../config.js';
import type { CostEstimate, PriceSourceInfo } from '../domain/cost.js';
import { estimateCostOf } from '../domain/costSql.js';
import type { Engine } from '../domain/engines.js';
import {
  cliCommand,
  costSummary,
  countBy,
  DEFAULT_PAGE_SIZE,
  drillsView,
  expiring,
  filterRows,
  isClone,
  listRow,
  pageOf,
  reviewList,
  SORT_KEYS,
  sortRows,
  timeline,
  timelineCommand,
  dashboardRow,
  type DashboardRowDetail,
  type DrillRun,
  type Filter,
  type SortKey,
  INVENTORY_CSV_COLUMNS,
  toCsv,
  evidenceCsv,
} from '../domain/dashboard.js';
import type { InventoryRecord } from '../domain/model.js';
import type { Policy } from '../domain/policy.js';
import type { Clock } from '../ports/clock.js';
import type { EvidencePort, InventoryPort, RunsPort } from '../ports/inventory.js';
import { statusFrom, type QueueDepths, type WardenStatus } from './operator.js';
import { errorMessage } from '../errorMessage.js';
import { DashboardQueryError } from './dashboardQueryError.js';

/**
 * What the dashboard reads: tables, the cached prices, queue depths. No ARM client: the dashboard never calls Azure
 * Resource Manager, and never writes.
 * @example const reader = dashboardReader({ inventory, evidence, runs, prices: cachedPriceSource({ checkpoints }), queues, clock, policy, schedules });
 */
export interface DashboardDeps {
  readonly inventory: Pick<InventoryPort, 'list'>;
  readonly evidence: Pick<EvidencePort, 'list'>;
  readonly runs: Pick<RunsPort, 'list'>;
  /** Read-only prices (`cachedPriceSource`): the dashboard never fetches or writes the price cache. */
  readonly prices: PriceSource;
  readonly queues: () => Promise<QueueDepths>;
  readonly clock: Clock;
  readonly policy: Pick<Policy, 'tagKeys'>;
  readonly schedules: Config['schedules'];
  /** Jobs switched off by configuration (the FinOps summary without a mailbox). */
  readonly disabledJobs?: readonly string[];
  /** Restore drills, once the warden records them. */
  readonly drills?: () => Promise<readonly DrillRun[]>;
}

/** Everything the views need, read once and shared for a short while (one table scan serves many page loads). */
export interface DashboardSnapshot {
  readonly generatedAt: string;
  readonly now: Date;
  readonly rows: readonly DashboardRowDetail[];
  readonly status: WardenStatus;
  readonly priceSources: readonly PriceSourceInfo[];
  readonly drills: readonly DrillRun[];
  readonly warnings: readonly string[];
}

export const DASHBOARD_VIEWS = [
  'summary',
  'clones',
  'cost',
  'expiring',
  'review',
  'health',
  'drills',
  'clone',
] as const;
export type DashboardView = (typeof DASHBOARD_VIEWS)[number];

/** A request the caller got wrong (its own module: the HTTP layer needs it without the views). */
export { DashboardQueryError };

export interface DashboardReader {
  /** The snapshot, read again when older than the cache time or when `fresh`. */
  snapshot(options?: { fresh?: boolean }): Promise<DashboardSnapshot>;
  /** The JSON of one view; `query` as the URL's search parameters. */
  view(view: string, query: Readonly<Record<string, string>>): Promise<unknown>;
  /** The inventory as CSV, with the clones table's filters. */
  inventoryCsv(query: Readonly<Record<string, string>>): Promise<string>;
  /** One server's evidence log as CSV. */
  evidenceCsv(server: string): Promise<{ name: string; csv: string }>;
}

/** Reads the dashboard's data; cached `cacheTtlInMs` (default 15 s) per process, concurrent loads share one read. */
export function dashboardReader(deps: DashboardDeps, options: { cacheTtlInMs?: number } = {}): DashboardReader {
  const ttl = options.cacheTtlInMs ?? 15_000;
  let current: { at: number; snapshot: Promise<DashboardSnapshot> } | undefined;
  const snapshot = (opts: { fresh?: boolean } = {}) => {
    const now = deps.clock.now().getTime();
    if (!current || opts.fresh || now - current.at > ttl) {
      const loading = loadSnapshot(deps);
      current = { at: now, snapshot: loading };
      // A failed read is not cached: the next request tries again.
      loading.catch(() => {
        if (current?.snapshot === loading) current = undefined;
      });
    }
    return current.snapshot;
  };
  return {
    snapshot,
    async view(view, query) {
      if (!(DASHBOARD_VIEWS as readonly string[]).includes(view))
        throw new DashboardQueryError(`No dashboard view "${view}"; views: ${DASHBOARD_VIEWS.join(', ')}`, 404);
      const s = await snapshot({ fresh: query.fresh === '1' });
      return viewOf(view as DashboardView, s, query, deps);
    },
    async inventoryCsv(query) {
      const s = await snapshot();
      const { filter, sort, descending } = parseListQuery(query);
      return toCsv(sortRows(filterRows(s.rows, filter), sort, descending).map(listRow), INVENTORY_CSV_COLUMNS);
    },
    async evidenceCsv(server) {
      const s = await snapshot();
      const row = findRow(s.rows, server);
      return { name: row.name, csv: evidenceCsv(await deps.evidence.list(row.key)) };
    },
  };
}

/** One read of every table the dashboard shows, and the cost of every row from the cached prices. */
export async function loadSnapshot(deps: DashboardDeps): Promise<DashboardSnapshot> {
  const now = deps.clock.now();
  const warnings: string[] = [];
  const [records, runs, queues, drills] = await Promise.all([
    deps.inventory.list(),
    deps.runs.list(),
    deps.queues().catch((error: unknown): QueueDepths => {
      warnings.push(`queue depths unavailable: ${errorMessage(error)}`);
      return { events: { name: 'events', depth: null }, poison: { name: 'poison', depth: null } };
    }),
    deps.drills
      ? deps.drills().catch((error: unknown) => {
          warnings.push(`drills unavailable: ${errorMessage(error)}`);
          return [];
        })
      : Promise.resolve([]),
  ]);
  const costs = await costsOf(records, deps.prices, now, warnings);
  const rows = records.map((r) => dashboardRow(r, costs.of(r), deps.policy.tagKeys));
  const status = statusFrom({
    schedules: deps.schedules,
    disabled: deps.disabledJobs ?? [],
    runs,
    rows: records,
    queues,
    now,
  });
  return {
    generatedAt: now.toISOString(),
    now,
    rows,
    status,
    priceSources: costs.sources,
    drills,
    warnings: [...warnings, ...status.warnings],
  };
}

/** Cost estimates for every row: prices read once per region, one estimate per distinct SKU and size. */
async function costsOf(records: readonly InventoryRecord[], prices: PriceSource, now: Date, warnings: string[]) {
  // Prices are per region and engine (each engine has its Retail Prices service).
  const regions = [
    ...new Set(records.filter((r) => r.skuName).map((r) => `${r.engine}|${r.location.trim().toLowerCase()}`)),
  ];
  const byRegion = new Map<string, Awaited<ReturnType<PriceSource['itemsFor']>> | undefined>();
  await Promise.all(
    regions.map(async (key) => {
      const [engine, region] = key.split('|') as [Engine, string];
      try {
        byRegion.set(key, await prices.itemsFor(region, engine));
      } catch (error) {
        warnings.push(`prices for ${region} unavailable: ${errorMessage(error)}`);
        byRegion.set(key, undefined);
      }
    }),
  );
  const memo = new Map<string, CostEstimate>();
  const of = (r: InventoryRecord): CostEstimate | undefined => {
    const region = r.location.trim().toLowerCase();
    const regional = byRegion.get(`${r.engine}|${region}`);
    if (!r.skuName || !regional) return undefined;
    const memoKey = [r.engine, region, r.skuName, r.skuTier ?? '', r.storageSizeGb ?? 0].join('|');
    let base = memo.get(memoKey);
    if (!base) {
      base = estimateCostOf(
        r.engine,
        { skuName: r.skuName, ...(r.skuTier ? { tier: r.skuTier } : {}), storageSizeGb: r.storageSizeGb ?? 0, region },
        regional,
        now,
      );
      memo.set(memoKey, base);
    }
    if (!base.known) return base;
    const start = Date.parse(r.createdAt ?? '');
    if (!Number.isFinite(start)) return base;
    const end = Number.isFinite(Date.parse(r.deletedAt ?? ''))
      ? Math.min(Date.parse(r.deletedAt!), now.getTime())
      : now.getTime();
    const hoursToDate = Math.max(0, end - start) / 3_600_000;
    return { ...base, hoursToDate, toDate: base.perHour * hoursToDate };
  };
  const sources = [...byRegion.values()].flatMap((p) => (p ? [p.source] : []));
  return { of, sources };
}

function viewOf(
  view: DashboardView,
  s: DashboardSnapshot,
  query: Readonly<Record<string, string>>,
  deps: DashboardDeps,
): unknown {
  const base = { generatedAt: s.generatedAt };
  switch (view) {
    case 'summary': {
      const clones = s.rows.filter(isClone);
      return {
        ...base,
        counts: {
          servers: s.rows.length,
          clones: clones.length,
          byState: countBy(clones, (r) => r.state),
          byEngine: countBy(clones, (r) => r.engine),
          byProof: countBy(clones, (r) => r.proof ?? '(not recorded)'),
          byOwner: countBy(clones, (r) => r.owner ?? '(none)'),
          byClassification: countBy(s.rows, (r) => r.classification),
        },
        cost: costSummary(s.rows, s.priceSources, s.now),
        expiring: expiring(s.rows, s.now).length,
        review: reviewList(s.rows).length,
        health: { healthy: s.status.healthy, problems: s.status.problems, queues: s.status.queues },
        drills: s.drills.length,
        warnings: s.warnings,
        command: cliCommand('summary'),
      };
    }
    case 'clones': {
      const { filter, sort, descending, page, pageSize } = parseListQuery(query);
      const rows = sortRows(filterRows(s.rows, filter), sort, descending).map(listRow);
      return { ...base, ...pageOf(rows, { page, pageSize }), filter, command: cliCommand('clones', filter) };
    }
    case 'cost':
      return { ...base, ...costSummary(s.rows, s.priceSources, s.now), command: cliCommand('cost') };
    case 'expiring':
      return { ...base, items: expiring(s.rows.map(listRow), s.now), command: cliCommand('expiring') };
    case 'review':
      return { ...base, items: reviewList(s.rows.map(listRow)), command: cliCommand('review') };
    case 'health':
      return { ...base, ...s.status, warnings: s.warnings, command: cliCommand('health') };
    case 'drills':
      return { ...base, ...drillsView(s.drills), command: cliCommand('drills') };
    case 'clone':
      return cloneView(s, query.server ?? '', deps);
  }
}

async function cloneView(s: DashboardSnapshot, server: string, deps: DashboardDeps) {
  const row = findRow(s.rows, server);
  const ambiguous = s.rows.filter((r) => r.name.toLowerCase() === row.name.toLowerCase()).length > 1;
  const entries = await deps.evidence.list(row.key);
  return {
    generatedAt: s.generatedAt,
    server: row,
    timeline: timeline(entries),
    command: timelineCommand(row, ambiguous),
  };
}

/** A server by inventory key (lower-case id) or by name when the name is unique. */
export function findRow(rows: readonly DashboardRowDetail[], server: string): DashboardRowDetail {
  const wanted = server.trim().toLowerCase();
  if (!wanted) throw new DashboardQueryError('Give the server: ?server=<name or resource id>');
  const matches = rows.filter((r) => r.key === wanted || r.name.toLowerCase() === wanted);
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new DashboardQueryError(`No server ${server} in the inventory`, 404);
  throw new DashboardQueryError(`${matches.length} servers are named ${server}; give the resource id`);
}

/** Filters, sort and page of the clones table and its CSV, checked. */
export function parseListQuery(query: Readonly<Record<string, string>>): {
  filter: Filter;
  sort?: SortKey;
  descending: boolean;
  page: number;
  pageSize: number;
} {
  const problems: string[] = [];
  const scope = query.scope ?? 'clones';
  if (scope !== 'clones' && scope !== 'all') problems.push(`scope must be "clones" or "all" (got "${scope}")`);
  const sort = query.sort || undefined;
  if (sort !== undefined && !(SORT_KEYS as readonly string[]).includes(sort))
    problems.push(`sort must be one of ${SORT_KEYS.join(', ')} (got "${sort}")`);
  const dir = query.dir ?? 'asc';
  if (dir !== 'asc' && dir !== 'desc') problems.push(`dir must be "asc" or "desc" (got "${dir}")`);
  const whole = (name: string, fallback: number) => {
    const raw = query[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1) {
      problems.push(`${name} must be a whole number of at least 1 (got "${raw}")`);
      return fallback;
    }
    return Number(raw);
  };
  const page = whole('page', 1);
  const pageSize = whole('pageSize', DEFAULT_PAGE_SIZE);
  if (problems.length > 0) throw new DashboardQueryError(`Bad dashboard query: ${problems.join('; ')}`);
  const text = (name: 'owner' | 'state' | 'engine' | 'proof' | 'text') =>
    query[name]?.trim() ? { [name]: query[name].trim() } : {};
  const filter: Filter = {
    scope: scope as Filter['scope'],
    ...text('owner'),
    ...text('state'),
    ...text('engine'),
    ...text('proof'),
    ...text('text'),
  };
  return { filter, ...(sort ? { sort: sort as SortKey } : {}), descending: dir === 'desc', page, pageSize };
}
