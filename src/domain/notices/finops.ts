import type { CostEstimate, PriceSourceInfo } from '../cost.js';
import type { InventoryRecord } from '../model.js';
import { DAY_MS, getTag, isLegalHold } from '../tags.js';
import { displayUtc, estimateNote, money, totalOf } from './format.js';
import { renderMail, type NoticeTemplates, type RenderedMail } from './render.js';

export interface FinopsOptions {
  readonly templates: NoticeTemplates;
  /** Policy expiry rule: cost avoided counts the days a deleted clone could still have lived. */
  readonly maxLifetimeDays: number;
  /** Policy notices rule: days after the final notice before deletion. */
  readonly graceDays: number;
  readonly legalHoldTagKey: string;
  /** Window of "recently deleted"; default 7 days. */
  readonly recentDays?: number;
}

/** Costs by inventory key; for deleted clones, estimated with `until: deletedAt`. */
export type CostsByKey = ReadonlyMap<string, CostEstimate> | Readonly<Record<string, CostEstimate>>;

/**
 * The weekly FinOps summary mail: clones alive and their cost, clones deleted (last 7 days and all-time) with
 * the cost avoided, and clones past expiry with the reason each is still there.
 * Cost avoided of one deleted clone = its per-day cost x the days from its deletion to the end of its maximum
 * lifetime (createdAt + maxLifetimeDays), at least 0: what it could still have cost within policy. Deletions
 * after the maximum lifetime avoid 0 by this measure; "per day no longer billed" shows their saving.
 * @example await mailer.send(config.mail.finopsMailbox, buildFinopsSummary(records, costs, now, { templates, maxLifetimeDays: 30, graceDays: 2, legalHoldTagKey: 'LegalHold' }));
 */
export function buildFinopsSummary(
  records: readonly InventoryRecord[],
  costs: CostsByKey,
  now: Date,
  options: FinopsOptions,
): RenderedMail {
  return renderMail(options.templates.finopsSummary, finopsView(records, costs, now, options), 'finops-summary');
}

/** What the finops-summary templates can use; every key is always present. */
export function finopsView(
  records: readonly InventoryRecord[],
  costs: CostsByKey,
  now: Date,
  options: Omit<FinopsOptions, 'templates'>,
) {
  const costOf = (key: string): CostEstimate | undefined =>
    costs instanceof Map
      ? (costs as ReadonlyMap<string, CostEstimate>).get(key)
      : (costs as Readonly<Record<string, CostEstimate>>)[key];
  const clones = records
    .filter((r) => r.classification !== 'not-a-clone')
    .sort((a, b) => compareText(a.name.toLowerCase(), b.name.toLowerCase()) || compareText(a.key, b.key));
  const alive = clones.filter((r) => r.state !== 'deleted');
  const deleted = clones.filter((r) => r.state === 'deleted');
  const since = now.getTime() - (options.recentDays ?? 7) * DAY_MS;
  const recent = deleted.filter((r) => r.deletedAt !== undefined && Date.parse(r.deletedAt) >= since);
  const known = (list: readonly InventoryRecord[]) =>
    list.map((r) => costOf(r.key)).filter((c): c is CostEstimate => c !== undefined);
  const avoided = (r: InventoryRecord): number | undefined => costAvoided(r, costOf(r.key), options.maxLifetimeDays);
  const sumAvoided = (list: readonly InventoryRecord[]) => {
    const currency = known(list).find((c) => c.known)?.currency ?? 'USD';
    const values = list.map(avoided).filter((v): v is number => v !== undefined);
    return values.length === 0
      ? ''
      : money(
          values.reduce((a, b) => a + b, 0),
          currency,
        );
  };
  const pastExpiry = alive
    .map((r) => ({ r, why: pastExpiryReason(r, now, options) }))
    .filter((x): x is { r: InventoryRecord; why: string } => x.why !== undefined);
  const sources: (PriceSourceInfo | undefined)[] = known(clones).map((c) => c.priceSource);
  return {
    generatedAt: displayUtc(now.toISOString()),
    recentDays: options.recentDays ?? 7,
    maxLifetimeDays: options.maxLifetimeDays,
    estimateNote: estimateNote(sources),
    aliveCount: alive.length,
    alivePerDay: totalOf(known(alive), (c) => c.perDay),
    aliveToDate: totalOf(known(alive), (c) => c.toDate),
    aliveUnknownCost: alive.filter((r) => !costOf(r.key)?.known).length,
    aliveClones: alive.map((r) => ({
      ...rowView(r, costOf(r.key)),
      expiresOn: displayUtc(r.expiresOn) || r.expiresOnTag || 'not set',
    })),
    deletedRecentCount: recent.length,
    deletedRecentPerDay: totalOf(known(recent), (c) => c.perDay),
    deletedRecentAvoided: sumAvoided(recent),
    deletedAllTimeCount: deleted.length,
    deletedAllTimePerDay: totalOf(known(deleted), (c) => c.perDay),
    deletedAllTimeAvoided: sumAvoided(deleted),
    deletedRecentClones: recent.map((r) => {
      const value = avoided(r);
      const cost = costOf(r.key);
      return {
        ...rowView(r, cost),
        deletedAt: displayUtc(r.deletedAt),
        deletedBy: r.deletedBy ?? '',
        deleteReason: r.deleteReason ?? '',
        costAvoided: value === undefined ? 'unknown' : money(value, cost?.known ? cost.currency : 'USD'),
      };
    }),
    pastExpiryCount: pastExpiry.length,
    pastExpiry: pastExpiry.map(({ r, why }) => ({
      ...rowView(r, costOf(r.key)),
      expiresOn: displayUtc(r.expiresOn) || r.expiresOnTag || '',
      why,
    })),
  };
}

/** Per-day cost x days left of the maximum lifetime at deletion; undefined when cost or dates are unknown. */
export function costAvoided(
  record: InventoryRecord,
  cost: CostEstimate | undefined,
  maxLifetimeDays: number,
): number | undefined {
  const created = record.createdAt ? Date.parse(record.createdAt) : NaN;
  const deletedAt = record.deletedAt ? Date.parse(record.deletedAt) : NaN;
  if (!cost?.known || !Number.isFinite(created) || !Number.isFinite(deletedAt)) return undefined;
  const daysLeft = Math.max(0, (created + maxLifetimeDays * DAY_MS - deletedAt) / DAY_MS);
  return cost.perDay * daysLeft;
}

/** Why a live clone is still there although past (or without a readable) expiry; undefined when not past expiry. */
export function pastExpiryReason(
  record: InventoryRecord,
  now: Date,
  options: Pick<FinopsOptions, 'graceDays' | 'legalHoldTagKey'>,
): string | undefined {
  const expires = record.expiresOn ? Date.parse(record.expiresOn) : NaN;
  const unparseable = !Number.isFinite(expires) && (record.expiresOnTag ?? '').trim() !== '';
  if (!unparseable && !(Number.isFinite(expires) && expires <= now.getTime())) return undefined;
  if (isLegalHold(getTag(record.tags, options.legalHoldTagKey))) return `legal hold (tag ${options.legalHoldTagKey})`;
  if (record.state === 'held') return 'held (a delete lock or hold on the server)';
  if (unparseable)
    return `expiry tag "${record.expiresOnTag ?? ''}" cannot be read as a date: never deleted on it, owner notified`;
  if (record.state === 'quarantined') return 'quarantined';
  const finalNotice = record.noticesSent
    .filter((n) => n.stage === 'final-notice')
    .map((n) => Date.parse(n.sentAt))
    .filter(Number.isFinite)
    .sort((a, b) => a - b)[0];
  if (finalNotice === undefined) return 'final notice not sent yet';
  const graceEnds = finalNotice + options.graceDays * DAY_MS;
  if (graceEnds > now.getTime()) return `in grace period until ${displayUtc(new Date(graceEnds).toISOString())}`;
  return 'due for deletion: waiting for the sweep (dry-run mode, per-run cap or deletion window)';
}

function rowView(r: InventoryRecord, cost: CostEstimate | undefined) {
  return {
    name: r.name,
    owner: r.owner ?? 'unknown',
    subscriptionId: r.subscriptionId,
    resourceGroup: r.resourceGroup,
    state: r.serverState ?? r.state,
    perDay: cost?.known ? money(cost.perDay, cost.currency) : 'unknown',
    toDate: cost?.known && cost.toDate !== undefined ? money(cost.toDate, cost.currency) : 'unknown',
  };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
