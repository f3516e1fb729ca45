/**
 * The dashboard's read model: what owners, FinOps and auditors look at, computed from inventory rows, run rows, queue
 * depths, evidence and drills. Pure, given `now`; no Azure calls. The same views back `pitr-warden dashboard <view>`.
 */
import type { CostEstimate, PriceSourceInfo } from './cost.js';
import { GB, type DrillRecord } from './drills.js';
import type { EvidenceEntry, InventoryRecord } from './model.js';
import type { TagKeys } from './policy.js';
import { getNonEmptyTag } from './tags.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** The expiring view looks this far ahead. */
export const EXPIRING_WITHIN_DAYS = 14;
/** The cost chart covers at most this many days back. */
export const COST_SERIES_MAX_DAYS = 90;
/** Rows of the clones table per page, unless asked otherwise (at most MAX_PAGE_SIZE). */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
/** Rows recorded before engines existed read as PostgreSQL flexible servers. */
export const DEFAULT_ENGINE = 'postgresql-flexible';

/** One inventory row as the dashboard shows it: flat, with its cost estimate. */
export interface DashboardRow {
  readonly key: string;
  readonly id: string;
  readonly name: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location: string;
  readonly engine: string;
  readonly classification: InventoryRecord['classification'];
  /** proven, claimed or suspected, when the inventory records it. */
  readonly proof?: string;
  readonly state: string;
  readonly owner?: string;
  readonly ownerSource?: string;
  /** The Incident or Purpose tag: why the clone exists. */
  readonly reason?: string;
  readonly expiresOn?: string;
  /** The raw ExpiresOn tag when it did not parse. */
  readonly expiresOnInvalid?: string;
  readonly compliant: boolean;
  readonly violations: number;
  readonly skuName?: string;
  readonly createdAt?: string;
  readonly deletedAt?: string;
  /** Estimated list-price cost per day while it runs (0 once deleted); undefined when the price is unknown. */
  readonly costPerDay?: number;
  readonly costToDate?: number;
  readonly currency?: string;
  readonly costUnknown?: string;
}

/** A row with everything known about it, for one clone's page. */
export interface DashboardRowDetail extends DashboardRow {
  readonly tags: Readonly<Record<string, string>>;
  readonly lineage: InventoryRecord['lineage'];
  readonly violationDetails: InventoryRecord['violations'];
  readonly noticesSent: InventoryRecord['noticesSent'];
  readonly classificationEvidence: readonly string[];
}

/** What a restore drill (issue: restore drills) records, as far as the dashboard reads it. */
export interface DrillRun {
  readonly id: string;
  readonly sourceName: string;
  readonly sourceKey?: string;
  readonly requestedAt: string;
  /** passed, failed, running, ... */
  readonly outcome: string;
  readonly minutesToReady?: number;
  readonly minutesToValidated?: number;
  readonly sizeGb?: number;
}

/** A drill of the drills table as the dashboard shows it: outcome, minutes to Ready and to validated, restored size. */
export function drillRunOf(record: DrillRecord): DrillRun {
  const minutes = (objective: 'ready' | 'validated') =>
    record.objectives.find((o) => o.objective === objective)?.actualMinutes;
  return {
    id: record.id,
    sourceName: record.sourceName,
    sourceKey: record.sourceId.toLowerCase(),
    requestedAt: record.startedAt,
    outcome: record.status,
    ...defined('minutesToReady', minutes('ready')),
    ...defined('minutesToValidated', minutes('validated')),
    ...defined(
      'sizeGb',
      record.restoredBytes === undefined ? undefined : Math.round((record.restoredBytes / GB) * 100) / 100,
    ),
  };
}

export interface Count {
  readonly value: string;
  readonly count: number;
}

export interface CostDay {
  /** UTC day, YYYY-MM-DD. */
  readonly day: string;
  readonly cost: number;
  readonly cumulative: number;
}

export interface CostSummary {
  readonly currency: string;
  /** What the clones that still run cost per day. */
  readonly perDay: number;
  /** What every clone cost from its creation to now (or its deletion). */
  readonly toDate: number;
  /** Clones whose price is unknown (left out of the sums). */
  readonly unknown: number;
  /** The dated prices the estimate used. */
  readonly priceSources: readonly PriceSourceInfo[];
  readonly series: readonly CostDay[];
  /** Owners by cost per day, most expensive first (at most 10). */
  readonly byOwner: ReadonlyArray<{
    readonly owner: string;
    readonly perDay: number;
    readonly toDate: number;
    readonly clones: number;
  }>;
}

export type Filter = {
  /** `clones` (default): clones and probable clones; `all`: every server seen. */
  readonly scope?: 'clones' | 'all';
  readonly owner?: string;
  readonly state?: string;
  readonly engine?: string;
  readonly proof?: string;
  /** Free text: part of the name, resource group, owner or reason. */
  readonly text?: string;
};

export const SORT_KEYS = ['name', 'owner', 'state', 'expiresOn', 'costPerDay', 'costToDate', 'createdAt'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface PageRequest {
  readonly page: number;
  readonly pageSize: number;
  readonly sort?: SortKey;
  readonly descending?: boolean;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly page: number;
  readonly pageSize: number;
  readonly total: number;
  readonly pages: number;
}

/** Reads the optional fields other parts of the warden add to rows (engine, proof) without depending on their shape. */
function optionalText(record: object, field: string): string | undefined {
  const value = (record as Record<string, unknown>)[field];
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (value && typeof value === 'object') {
    for (const inner of ['level', 'kind', 'status']) {
      const v = (value as Record<string, unknown>)[inner];
      if (typeof v === 'string' && v.trim() !== '') return v;
    }
  }
  return undefined;
}

export function isClone(row: Pick<DashboardRow, 'classification'>): boolean {
  return row.classification !== 'not-a-clone';
}

/** The row of the dashboard from an inventory record and its cost estimate. */
export function dashboardRow(
  record: InventoryRecord,
  cost: CostEstimate | undefined,
  tagKeys: Pick<TagKeys, 'incident' | 'purpose'>,
): DashboardRowDetail {
  const reason = getNonEmptyTag(record.tags, tagKeys.incident) ?? getNonEmptyTag(record.tags, tagKeys.purpose);
  const known = cost?.known ? cost : undefined;
  return {
    key: record.key,
    id: record.id,
    name: record.name,
    subscriptionId: record.subscriptionId,
    resourceGroup: record.resourceGroup,
    location: record.location,
    engine: record.engine || DEFAULT_ENGINE,
    classification: record.classification,
    ...defined('proof', optionalText(record, 'proof')),
    state: record.state,
    ...defined('owner', record.owner),
    ...defined('ownerSource', record.ownerSource),
    ...defined('reason', reason),
    ...defined('expiresOn', record.expiresOn),
    ...defined('expiresOnInvalid', record.expiresOn === undefined ? record.expiresOnTag : undefined),
    compliant: record.compliant,
    violations: record.violations.length,
    ...defined('skuName', record.skuName),
    ...defined('createdAt', record.createdAt),
    ...defined('deletedAt', record.deletedAt),
    ...(known ? { costPerDay: record.state === 'deleted' ? 0 : known.perDay, currency: known.currency } : {}),
    ...(known?.toDate !== undefined ? { costToDate: known.toDate } : {}),
    ...(cost && !cost.known ? { costUnknown: cost.reason } : {}),
    tags: record.tags,
    lineage: record.lineage,
    violationDetails: record.violations,
    noticesSent: record.noticesSent,
    classificationEvidence: record.classificationEvidence,
  };
}

/** The list shape of a row (no tags or history), what the clones table and CSV carry. */
export function listRow(row: DashboardRowDetail): DashboardRow {
  const { tags: _t, lineage: _l, violationDetails: _v, noticesSent: _n, classificationEvidence: _c, ...rest } = row;
  return rest;
}

function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** Whether the row waits for an operator: a claim or a suspicion, not proof. Rows without a recorded proof: probable clones. */
export function needsReview(row: Pick<DashboardRow, 'proof' | 'classification' | 'state'>): boolean {
  if (['deleted', 'dismissed', 'promoted'].includes(row.state)) return false;
  if (row.proof !== undefined) return row.proof === 'claimed' || row.proof === 'suspected';
  return row.classification === 'probable-clone';
}

function sameText(a: string | undefined, b: string): boolean {
  return a !== undefined && a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** The rows a filter keeps, in inventory order. */
export function filterRows<T extends DashboardRow>(rows: readonly T[], filter: Filter): T[] {
  const text = filter.text?.trim().toLowerCase();
  return rows.filter(
    (r) =>
      (filter.scope === 'all' || isClone(r)) &&
      (!filter.owner || (filter.owner === '(none)' ? r.owner === undefined : sameText(r.owner, filter.owner))) &&
      (!filter.state || sameText(r.state, filter.state)) &&
      (!filter.engine || sameText(r.engine, filter.engine)) &&
      (!filter.proof ||
        (filter.proof === '(not recorded)' ? r.proof === undefined : sameText(r.proof, filter.proof))) &&
      (!text || [r.name, r.resourceGroup, r.owner ?? '', r.reason ?? ''].some((v) => v.toLowerCase().includes(text))),
  );
}

/** Default order: clones first, soonest expiry first, then by key (as `pitr-warden inventory list`). */
export function sortRows<T extends DashboardRow>(rows: readonly T[], sort?: SortKey, descending = false): T[] {
  const rank = (r: DashboardRow) => (r.classification === 'clone' ? 0 : r.classification === 'probable-clone' ? 1 : 2);
  const byDefault = (a: DashboardRow, b: DashboardRow) =>
    rank(a) - rank(b) || (a.expiresOn ?? '9999').localeCompare(b.expiresOn ?? '9999') || a.key.localeCompare(b.key);
  if (!sort) return [...rows].sort(byDefault);
  const value = (r: DashboardRow): string | number | undefined => r[sort];
  const sign = descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    // Missing values sort last in either direction.
    if (va === undefined || vb === undefined) return va === vb ? byDefault(a, b) : va === undefined ? 1 : -1;
    const c = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb));
    return c !== 0 ? sign * c : byDefault(a, b);
  });
}

export function pageOf<T>(rows: readonly T[], request: Pick<PageRequest, 'page' | 'pageSize'>): Page<T> {
  const pageSize = Math.min(Math.max(1, Math.floor(request.pageSize)), MAX_PAGE_SIZE);
  const pages = Math.max(1, Math.ceil(rows.length / pageSize));
  const page = Math.min(Math.max(1, Math.floor(request.page)), pages);
  return { items: rows.slice((page - 1) * pageSize, page * pageSize), page, pageSize, total: rows.length, pages };
}

/** Counts by a field, largest first, then by value. */
export function countBy<T>(rows: readonly T[], pick: (row: T) => string): Count[] {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(pick(row), (counts.get(pick(row)) ?? 0) + 1);
  return [...counts]
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
}

/** Per-day cost of the clones over time: each clone adds its hourly price for the hours it existed that day. */
export function costSummary(
  rows: readonly DashboardRow[],
  priceSources: readonly PriceSourceInfo[],
  now: Date,
): CostSummary {
  const clones = rows.filter(isClone);
  const priced = clones.filter((r) => r.costPerDay !== undefined || r.costToDate !== undefined);
  const currency = priced.find((r) => r.currency)?.currency ?? 'USD';
  const today = startOfDay(now.getTime());
  const starts = priced.map((r) => Date.parse(r.createdAt ?? '')).filter(Number.isFinite);
  const first = Math.max(startOfDay(Math.min(today, ...starts)), today - (COST_SERIES_MAX_DAYS - 1) * DAY_MS);
  const days = Math.round((today - first) / DAY_MS) + 1;
  const perDayOfDay = new Array<number>(days).fill(0);
  const owners = new Map<string, { perDay: number; toDate: number; clones: number }>();
  let perDay = 0;
  let toDate = 0;
  for (const r of priced) {
    const hourly = hourlyOf(r);
    const owner = owners.get(r.owner ?? '(none)') ?? { perDay: 0, toDate: 0, clones: 0 };
    owner.perDay += r.costPerDay ?? 0;
    owner.toDate += r.costToDate ?? 0;
    owner.clones += 1;
    owners.set(r.owner ?? '(none)', owner);
    perDay += r.costPerDay ?? 0;
    toDate += r.costToDate ?? 0;
    const start = Date.parse(r.createdAt ?? '');
    if (!Number.isFinite(start) || hourly === undefined) continue;
    const stop = Math.min(
      now.getTime(),
      Number.isFinite(Date.parse(r.deletedAt ?? '')) ? Date.parse(r.deletedAt!) : now.getTime(),
    );
    for (let d = Math.max(0, Math.floor((startOfDay(start) - first) / DAY_MS)); d < days; d++) {
      const dayStart = first + d * DAY_MS;
      const overlap = Math.min(stop, dayStart + DAY_MS) - Math.max(start, dayStart);
      if (overlap <= 0) {
        if (dayStart >= stop) break;
        continue;
      }
      perDayOfDay[d]! += (hourly * overlap) / HOUR_MS;
    }
  }
  let cumulative = 0;
  const series = perDayOfDay.map((cost, d) => {
    cumulative += cost;
    return {
      day: new Date(first + d * DAY_MS).toISOString().slice(0, 10),
      cost: round2(cost),
      cumulative: round2(cumulative),
    };
  });
  const byOwner = [...owners]
    .map(([owner, o]) => ({ owner, perDay: round2(o.perDay), toDate: round2(o.toDate), clones: o.clones }))
    .sort((a, b) => b.perDay - a.perDay || b.toDate - a.toDate || a.owner.localeCompare(b.owner))
    .slice(0, 10);
  return {
    currency,
    perDay: round2(perDay),
    toDate: round2(toDate),
    unknown: clones.filter((r) => r.costUnknown !== undefined).length,
    priceSources: uniqueSources(priceSources),
    series,
    byOwner,
  };
}

/** The hourly price behind a row's figures: per day / 24 while it runs, else cost to date over the hours it lived. */
function hourlyOf(r: DashboardRow): number | undefined {
  if (r.costPerDay !== undefined && r.costPerDay > 0) return r.costPerDay / 24;
  const start = Date.parse(r.createdAt ?? '');
  const stop = Date.parse(r.deletedAt ?? '');
  if (r.costToDate === undefined || !Number.isFinite(start) || !Number.isFinite(stop) || stop <= start)
    return undefined;
  return r.costToDate / ((stop - start) / HOUR_MS);
}

/** One source per kind and day: every region's prices fetched the same morning say the same thing. */
function uniqueSources(sources: readonly PriceSourceInfo[]): PriceSourceInfo[] {
  const seen = new Map<string, PriceSourceInfo>();
  for (const s of sources)
    if (!seen.has(`${s.kind} ${s.asOf.slice(0, 10)}`)) seen.set(`${s.kind} ${s.asOf.slice(0, 10)}`, s);
  return [...seen.values()].sort((a, b) => a.asOf.localeCompare(b.asOf));
}

function startOfDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

export interface ExpiringRow extends DashboardRow {
  /** Days until expiry, rounded down; negative once past (the sweep deletes after the grace period). */
  readonly daysLeft?: number;
  readonly note: string;
}

/** Clones that expire within `withinDays`, soonest first, overdue ones included; then those whose expiry tag does not parse. */
export function expiring(rows: readonly DashboardRow[], now: Date, withinDays = EXPIRING_WITHIN_DAYS): ExpiringRow[] {
  const horizon = now.getTime() + withinDays * DAY_MS;
  const live = rows.filter((r) => isClone(r) && r.state !== 'deleted');
  const dated = live
    .filter((r) => r.expiresOn !== undefined && Date.parse(r.expiresOn) <= horizon)
    .sort((a, b) => a.expiresOn!.localeCompare(b.expiresOn!) || a.key.localeCompare(b.key))
    .map((r) => {
      const daysLeft = Math.floor((Date.parse(r.expiresOn!) - now.getTime()) / DAY_MS);
      const note =
        r.state === 'held'
          ? 'held: never deleted while the hold lasts'
          : daysLeft < 0
            ? `expired ${-daysLeft} day(s) ago: deleted after the grace period`
            : daysLeft === 0
              ? 'expires today'
              : `expires in ${daysLeft} day(s)`;
      return { ...r, daysLeft, note };
    });
  const invalid = live
    .filter((r) => r.expiresOn === undefined && r.expiresOnInvalid !== undefined)
    .map((r) => ({ ...r, note: 'expiry tag not understood: never deleted for it; the owner is told' }));
  return [...dated, ...invalid];
}

export interface ReviewRow extends DashboardRow {
  readonly confirm: string;
  readonly dismiss: string;
}

/** Unproven servers an operator should confirm or dismiss, with the exact commands. */
export function reviewList(rows: readonly DashboardRow[]): ReviewRow[] {
  const names = countBy(rows, (r) => r.name.toLowerCase());
  const ambiguous = new Set(names.filter((n) => n.count > 1).map((n) => n.value));
  return sortRows(rows.filter(needsReview), 'name').map((r) => {
    const target = shellWord(ambiguous.has(r.name.toLowerCase()) ? r.id : r.name);
    return {
      ...r,
      confirm: `pitr-warden confirm ${target} --clone --reason "<why you know it is a restore>"`,
      dismiss: `pitr-warden confirm ${target} --not-a-clone --reason "<what it is>"`,
    };
  });
}

export interface DrillTrend {
  readonly source: string;
  readonly points: ReadonlyArray<{
    readonly at: string;
    readonly minutesToReady?: number;
    readonly minutesToValidated?: number;
    readonly outcome: string;
  }>;
}

/** Drills newest first, and per source the restore duration over time (oldest first). */
export function drillsView(drills: readonly DrillRun[]): {
  readonly recent: readonly DrillRun[];
  readonly trends: readonly DrillTrend[];
} {
  const recent = [...drills].sort((a, b) => b.requestedAt.localeCompare(a.requestedAt) || a.id.localeCompare(b.id));
  const bySource = new Map<string, DrillRun[]>();
  for (const d of drills) bySource.set(d.sourceName, [...(bySource.get(d.sourceName) ?? []), d]);
  const trends = [...bySource]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([source, runs]) => ({
      source,
      points: runs
        .sort((a, b) => a.requestedAt.localeCompare(b.requestedAt))
        .map((d) => ({
          at: d.requestedAt,
          outcome: d.outcome,
          ...defined('minutesToReady', d.minutesToReady),
          ...defined('minutesToValidated', d.minutesToValidated),
        })),
    }));
  return { recent, trends };
}

export interface TimelineEntry {
  readonly at: string;
  readonly kind: string;
  readonly actor: string;
  readonly summary: string;
  readonly reason?: string;
  readonly id: string;
}

/** One clone's audit trail from the evidence log, oldest first (the log's own order). */
export function timeline(entries: readonly EvidenceEntry[]): TimelineEntry[] {
  return entries.map((e) => ({
    at: e.at,
    kind: e.kind,
    actor: e.actor,
    summary: e.summary,
    ...defined('reason', e.reason),
    id: e.id,
  }));
}

/** The CLI command that prints the same data as a view. */
export function cliCommand(
  view: 'clones' | 'cost' | 'expiring' | 'review' | 'health' | 'drills' | 'summary',
  filter: Filter = {},
): string {
  switch (view) {
    case 'health':
      return 'pitr-warden status --output json';
    case 'clones': {
      const options = [
        filter.scope === 'all' ? '--all' : '',
        ...(['owner', 'state', 'engine', 'proof', 'text'] as const).map((k) =>
          filter[k] ? `--${k} ${shellWord(filter[k])}` : '',
        ),
      ].filter(Boolean);
      return ['pitr-warden dashboard clones', ...options, '--output json'].join(' ');
    }
    case 'summary':
    case 'cost':
    case 'expiring':
    case 'review':
    case 'drills':
      return `pitr-warden dashboard ${view} --output json`;
  }
}

/** The command for one clone's audit trail. */
export function timelineCommand(row: Pick<DashboardRow, 'name' | 'id'>, ambiguousName = false): string {
  return `pitr-warden evidence ${shellWord(ambiguousName ? row.id : row.name)} --output json`;
}

/** A word a POSIX shell reads back unchanged: bare when safe, else single-quoted. */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9@%_+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Columns of the inventory CSV, in order. */
export const INVENTORY_CSV_COLUMNS = [
  'name',
  'id',
  'subscriptionId',
  'resourceGroup',
  'location',
  'engine',
  'classification',
  'proof',
  'state',
  'owner',
  'ownerSource',
  'reason',
  'expiresOn',
  'expiresOnInvalid',
  'compliant',
  'violations',
  'skuName',
  'createdAt',
  'deletedAt',
  'costPerDay',
  'costToDate',
  'currency',
  'costUnknown',
] as const satisfies readonly (keyof DashboardRow)[];

export const EVIDENCE_CSV_COLUMNS = [
  'at',
  'kind',
  'actor',
  'summary',
  'reason',
  'id',
  'before',
  'after',
  'details',
] as const;

/**
 * RFC 4180 CSV (CRLF, quotes doubled). Text cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR
 * first) get a leading apostrophe: tag values are anyone's text. Objects become JSON; numbers stay numbers.
 * @example toCsv([{ name: 'pg', owner: '=cmd()' }], ['name', 'owner']) // "name,owner\r\npg,'=cmd()\r\n"
 */
export function toCsv<T extends object>(rows: readonly T[], columns: readonly string[]): string {
  const lines = [columns.map(csvCell).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvCell((row as Record<string, unknown>)[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(Math.round(value * 100) / 100) : '';
  if (typeof value === 'boolean') return String(value);
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The evidence of one clone as CSV rows (before/after/details as JSON). */
export function evidenceCsv(entries: readonly EvidenceEntry[]): string {
  return toCsv(entries, EVIDENCE_CSV_COLUMNS);
}
