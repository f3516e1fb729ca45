import type { CostEstimate } from '../cost.js';
import { parseServerId } from '../ids.js';
import type { CloneState, InventoryRecord, NoticeStage, Violation } from '../model.js';
import { describeExposure } from '../plan.js';
import { proofOfRecord } from '../proof.js';
import { addDays, DAY_MS, getNonEmptyTag, getTag, isLegalHold } from '../tags.js';

/** A problem that was found and is gone: `text` says, in the past tense, what was done and when (see fixed.ts). */
export interface FixedViolation extends Violation {
  readonly text?: string;
}

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
  /**
   * Proven a restored copy (the only servers the warden modifies or deletes). Only proven clones get owner notices with a
   * countdown and the ways out; buildDigests drops any other item but the record of a deletion.
   */
  readonly proven: boolean;
  readonly violationsFound: readonly Violation[];
  readonly violationsFixed: readonly FixedViolation[];
  /** Final notice: deletion happens no earlier than this (ISO). */
  readonly deleteAfter?: string;
  readonly deleted?: { readonly at: string; readonly by?: string; readonly reason?: string };
  readonly extend: {
    readonly expiryTagKey: string;
    /** createdAt + maxLifetimeDays (ISO); undefined when the creation time is unknown. */
    readonly latestAllowed?: string;
    /** The policy's maximum lifetime (what `extend` enforces); undefined when the policy sets none. */
    readonly maxLifetimeDays?: number;
  };
  /** `value`: the tag's value (the reason a hold gives). `lock`: held by a delete lock (the row is held, no hold tag). */
  readonly legalHold: {
    readonly tagKey: string;
    readonly held: boolean;
    readonly value?: string;
    readonly lock?: boolean;
  };
  /** `{portalUrl}/#@/resource{id}` */
  readonly portalLink: string;
  /**
   * How the clone is reachable through a parent shared with production (a SQL database's logical server), in words:
   * always there for such a clone, with or without violations, because the owner cannot fix it through the clone.
   */
  readonly exposure?: { readonly summary: string; readonly rules: readonly string[]; readonly why: string };
}

export interface NoticeItemOptions {
  readonly stage: NoticeStage;
  readonly leadDays?: number;
  readonly recipient: string;
  readonly recipientNote?: string;
  readonly cost: CostEstimate;
  readonly now: Date;
  readonly tagKeys: {
    readonly incident: string;
    readonly purpose: string;
    readonly expiresOn: string;
    readonly legalHold: string;
  };
  /** The policy's maximum lifetime for the clone's engine (operator.ts lifetimeLimits); undefined when it sets none. */
  readonly maxLifetimeDays: number | undefined;
  readonly portalUrl: string;
  readonly deleteAfter?: string;
  /** Violations fixed since found (new-clone notice), worded by describeFixes; found defaults to the record's plus these. */
  readonly violationsFixed?: readonly FixedViolation[];
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
    server: {
      id: record.id,
      key: record.key,
      name: record.name,
      subscriptionId: record.subscriptionId,
      resourceGroup: record.resourceGroup,
      location: record.location,
    },
    sourceServer: record.lineage.sourceServerId,
    restorePointUtc: record.lineage.restorePointUtc,
    incidentOrPurpose:
      [incident && `Incident ${incident}`, purpose && `Purpose: ${purpose}`].filter(Boolean).join('; ') || undefined,
    expiresOn: Number.isFinite(expires) ? new Date(expires).toISOString() : undefined,
    expiresOnRaw: record.expiresOnTag ?? getTag(record.tags, options.tagKeys.expiresOn),
    daysLeft: Number.isFinite(expires) ? Math.floor((expires - options.now.getTime()) / DAY_MS) : undefined,
    cost: options.cost,
    serverState: record.serverState,
    cloneState: record.state,
    proven: proofOfRecord(record).level === 'proven',
    violationsFound: found,
    violationsFixed: fixed,
    deleteAfter: options.deleteAfter,
    deleted: record.deletedAt ? { at: record.deletedAt, by: record.deletedBy, reason: record.deleteReason } : undefined,
    extend: {
      expiryTagKey: options.tagKeys.expiresOn,
      latestAllowed:
        Number.isFinite(created) && options.maxLifetimeDays !== undefined
          ? addDays(new Date(created), options.maxLifetimeDays).toISOString()
          : undefined,
      maxLifetimeDays: options.maxLifetimeDays,
    },
    legalHold: legalHoldOf(record, options.tagKeys.legalHold),
    portalLink: portalLink(options.portalUrl, record.id),
    ...(record.exposure ? { exposure: describeExposure(record.exposure) } : {}),
  };
}

function legalHoldOf(record: InventoryRecord, tagKey: string): NoticeItem['legalHold'] {
  const value = getTag(record.tags, tagKey);
  if (isLegalHold(value)) return { tagKey, held: true, value: value!.trim() };
  // A held row without a hold tag is held by a delete lock (reconcile reads locks per server).
  return record.state === 'held' ? { tagKey, held: false, lock: true } : { tagKey, held: false };
}

/** The portal page of a resource: `{portalUrl}/#@/resource{id}`. */
export function portalLink(portalUrl: string, resourceId: string): string {
  const id = parseServerId(resourceId)?.id ?? resourceId;
  return `${portalUrl.replace(/\/+$/, '')}/#@/resource${id.startsWith('/') ? id : `/${id}`}`;
}

export function sameViolation(a: Violation, b: Violation): boolean {
  return a.rule === b.rule && a.detail === b.detail;
}
