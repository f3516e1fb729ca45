import type { CostEstimate } from '../cost.js';
import { parseServerId } from '../ids.js';
import type { CloneState, InventoryRecord, NoticeStage, Violation } from '../model.js';
import { addDays, DAY_MS, getNonEmptyTag, getTag, isLegalHold } from '../tags.js';

/**
 * Everything an owner notice says about one clone at one stage. The notices job builds one per planned
 * `notify` action (usually with `noticeItemFromRecord`); `buildDigests` groups them per recipient.
 * @example
 *   const item = noticeItemFromRecord(record, { stage: 'reminder', leadDays: 3, recipient: record.owner!, cost, now,
 *     tagKeys: policy.tagKeys, maxLifetimeDays: 30, portalUrl: config.portalUrl });
 */
export interface NoticeItem {
  readonly stage: NoticeStage;
  /** Reminders: the lead time this reminder is for. */
  readonly leadDays?: number;
  readonly recipient: string;
  /** Why this recipient when it is not the owner (e.g. the fallback mailbox and the reason). */
  readonly recipientNote?: string;
  readonly server: {
    readonly id: string;
    /** Lower-case identity (see ids.ts). */
    readonly key: string;
    readonly name: string;
    readonly subscriptionId: string;
    readonly resourceGroup: string;
    readonly location?: string;
  };
  /** Source server id (or name) the clone was restored from. */
  readonly sourceServer?: string;
  readonly restorePointUtc?: string;
  readonly incidentOrPurpose?: string;
  /** Parsed expiry (ISO); undefined when absent or unparseable. */
  readonly expiresOn?: string;
  /** The raw expiry tag value: shown when it does not parse. */
  readonly expiresOnRaw?: string;
  /** Whole days until expiry (floor); negative once expired. */
  readonly daysLeft?: number;
  readonly cost: CostEstimate;
  /** ARM state: Ready, Stopped, ... */
  readonly serverState?: string;
  readonly cloneState?: CloneState;
  readonly violationsFound: readonly Violation[];
  readonly violationsFixed: readonly Violation[];
  /** Final notice: deletion happens no earlier than this (ISO). */
  readonly deleteAfter?: string;
  readonly deleted?: { readonly at: string; readonly by?: string; readonly reason?: string };
  readonly extend: {
    readonly expiryTagKey: string;
    /** createdAt + maxLifetimeDays (ISO); undefined when the creation time is unknown. */
    readonly latestAllowed?: string;
    readonly maxLifetimeDays: number;
  };
  readonly legalHold: { readonly tagKey: string; readonly held: boolean };
  /** `{portalUrl}/#@/resource{id}` */
  readonly portalLink: string;
}

export interface NoticeItemOptions {
  readonly stage: NoticeStage;
  readonly leadDays?: number;
  readonly recipient: string;
  readonly recipientNote?: string;
  readonly cost: CostEstimate;
  readonly now: Date;
  readonly tagKeys: { readonly incident: string; readonly purpose: string; readonly expiresOn: string; readonly legalHold: string };
  readonly maxLifetimeDays: number;
  readonly portalUrl: string;
  readonly deleteAfter?: string;
  /** Violations fixed by the warden (new-clone notice); found defaults to the record's plus these. */
  readonly violationsFixed?: readonly Violation[];
}

/** Builds a notice item from an inventory row and the run's facts. */
export function noticeItemFromRecord(record: InventoryRecord, options: NoticeItemOptions): NoticeItem {
  const fixed = options.violationsFixed ?? [];
  const found = [...fixed, ...record.violations.filter((v) => !fixed.some((f) => sameViolation(f, v)))];
  const created = record.createdAt ? Date.parse(record.createdAt) : NaN;
  const expires = record.expiresOn ? Date.parse(record.expiresOn) : NaN;
  const incident = getNonEmptyTag(record.tags, options.tagKeys.incident);
  const purpose = getNonEmptyTag(record.tags, options.tagKeys.purpose);
  return {
    stage: options.stage,
    leadDays: options.leadDays,
    recipient: options.recipient,
    recipientNote: options.recipientNote,
    server: { id: record.id, key: record.key, name: record.name, subscriptionId: record.subscriptionId, resourceGroup: record.resourceGroup, location: record.location },
    sourceServer: record.lineage.sourceServerId,
    restorePointUtc: record.lineage.restorePointUtc,
    incidentOrPurpose: [incident && `Incident ${incident}`, purpose && `Purpose: ${purpose}`].filter(Boolean).join('; ') || undefined,
    expiresOn: Number.isFinite(expires) ? new Date(expires).toISOString() : undefined,
    expiresOnRaw: record.expiresOnTag ?? getTag(record.tags, options.tagKeys.expiresOn),
    daysLeft: Number.isFinite(expires) ? Math.floor((expires - options.now.getTime()) / DAY_MS) : undefined,
    cost: options.cost,
    serverState: record.serverState,
    cloneState: record.state,
    violationsFound: found,
    violationsFixed: fixed,
    deleteAfter: options.deleteAfter,
    deleted: record.deletedAt ? { at: record.deletedAt, by: record.deletedBy, reason: record.deleteReason } : undefined,
    extend: {
      expiryTagKey: options.tagKeys.expiresOn,
      latestAllowed: Number.isFinite(created) ? addDays(new Date(created), options.maxLifetimeDays).toISOString() : undefined,
      maxLifetimeDays: options.maxLifetimeDays,
    },
    legalHold: { tagKey: options.tagKeys.legalHold, held: isLegalHold(getTag(record.tags, options.tagKeys.legalHold)) },
    portalLink: portalLink(options.portalUrl, record.id),
  };
}

/** The portal page of a resource: `{portalUrl}/#@/resource{id}`. */
export function portalLink(portalUrl: string, resourceId: string): string {
  const id = parseServerId(resourceId)?.id ?? resourceId;
  return `${portalUrl.replace(/\/+$/, '')}/#@/resource${id.startsWith('/') ? id : `/${id}`}`;
}

export function sameViolation(a: Violation, b: Violation): boolean {
  return a.rule === b.rule && a.detail === b.detail;
}
