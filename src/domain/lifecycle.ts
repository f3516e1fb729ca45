/** Lifecycle decisions on one clone: its expiry, which notice is due, whether it may be deleted. */
import type { Classification, DeletionBlock, ManagementLock, NoticeStage, Server, Violation } from './model.js';
import type { RuleOf } from './policy.js';
import { addDays, DAY_MS, formatUtc, getTag, parseExpiresOn, type ExpiresOnParse } from './tags.js';

/** One notice in a clone's history (from the inventory or given with a snapshot). */
export interface NoticeRecord {
  readonly stage: NoticeStage;
  readonly sentAt: string;
  readonly leadDays?: number;
}

export interface ExpiryDecision {
  /** The raw tag value on the server. */
  readonly tagValue?: string;
  readonly parsed: ExpiresOnParse;
  /** The value to write (a default or a clamp), when the rule wants one. */
  readonly write?: string;
  readonly writeReason?: string;
  /** The expiry once the write is done (or as it is), undefined when absent or unparseable. */
  readonly effective?: Date;
  readonly violation?: Violation;
  /** Something only the owner can fix (an unparseable value). */
  readonly ownerNeeded?: string;
}

export interface ExpiryOptions {
  /** When the owner got the new-clone notice; undefined when not yet (the countdown of a late clone runs from now). */
  readonly announcedAt?: Date | undefined;
  /** Owner notices are on and the new-clone notice was not sent: an expiry already past restarts from now. */
  readonly unannounced?: boolean;
}

/**
 * The expiry of a clone under the `expiry` rule: a missing tag gets now + defaultLifetimeDays (the owner hears of
 * the clone now, so the countdown starts now), capped at created + maxLifetimeDays; a tag beyond created +
 * maxLifetimeDays is clamped; an unparseable tag is a violation left to the owner.
 * @example decideExpiry(server, { type: 'expiry', mode: 'enforce', defaultLifetimeDays: 7, maxLifetimeDays: 30 }, 'ExpiresOn', now)
 */
export function decideExpiry(
  server: Server,
  rule: RuleOf<'expiry'> | undefined,
  expiresOnKey: string,
  now: Date,
  options: ExpiryOptions = {},
): ExpiryDecision {
  const tagValue = getTag(server.tags, expiresOnKey);
  const parsed = parseExpiresOn(tagValue);
  const base = createdAt(server) ?? now;
  const basis = createdAt(server) ? `creation ${formatUtc(base)}` : `now (creation time unknown)`;
  const present = tagValue !== undefined && tagValue.trim() !== '';
  // The owner hears of the clone at the new-clone notice (now, when it is not sent yet): however late the warden found
  // it, the owner gets the default lifetime from then, so the whole notice schedule runs before any deletion.
  const announced = options.announcedAt ?? now;
  const maxLatest = rule ? addDays(base, rule.maxLifetimeDays) : undefined;
  const lateLatest = rule ? addDays(announced, rule.defaultLifetimeDays) : undefined;
  // Found (or first told) only after its maximum lifetime had passed.
  const late = Boolean(rule && maxLatest && lateLatest && maxLatest.getTime() <= announced.getTime());
  const latest = late ? lateLatest : maxLatest;
  if (parsed.ok) {
    if (rule && options.unannounced && parsed.at.getTime() <= now.getTime()) {
      // Expired before the owner was ever told (an inherited or stale tag, a clone found late): restart the countdown.
      const write = formatUtc(addDays(now, rule.defaultLifetimeDays));
      return {
        tagValue,
        parsed,
        write,
        writeReason: `${expiresOnKey} ${tagValue} passed before the owner was told: ${rule.defaultLifetimeDays} days from now, so the whole notice schedule runs first`,
        effective: new Date(write),
        violation: {
          rule: 'expiry',
          subject: { kind: 'tag', name: expiresOnKey },
          detail: `${expiresOnKey} ${tagValue} passed before the owner was told of the clone`,
        },
      };
    }
    if (rule && latest && parsed.at.getTime() > latest.getTime()) {
      const write = formatUtc(latest);
      const limit = late
        ? `${rule.defaultLifetimeDays} days from when the owner was told (found after its maximum lifetime)`
        : `the maximum lifetime of ${rule.maxLifetimeDays} days from ${basis}`;
      const beyond = late ? limit : `the maximum lifetime (${rule.maxLifetimeDays} days from ${basis})`;
      return {
        tagValue,
        parsed,
        write,
        writeReason: `${expiresOnKey} clamped to ${limit}`,
        effective: latest,
        violation: {
          rule: 'expiry',
          subject: { kind: 'tag', name: expiresOnKey },
          detail: `${expiresOnKey} ${tagValue} is beyond ${beyond}: latest allowed ${write}`,
        },
      };
    }
    return { tagValue, parsed, effective: parsed.at };
  }
  if (present) {
    const detail = `${expiresOnKey} ${parsed.reason}; it never leads to deletion until fixed`;
    return {
      tagValue,
      parsed,
      violation: { rule: 'expiry', subject: { kind: 'tag', name: expiresOnKey }, detail },
      ownerNeeded: `set ${expiresOnKey} to an ISO 8601 UTC date such as ${formatUtc(addDays(now, 7)).slice(0, 10)}`,
    };
  }
  if (!rule) return { parsed };
  const fromNow = addDays(now, rule.defaultLifetimeDays);
  const at = fromNow.getTime() <= latest!.getTime() ? fromNow : latest!;
  const writeReason =
    at === fromNow
      ? `default ${expiresOnKey}: ${rule.defaultLifetimeDays} days from now`
      : late
        ? `default ${expiresOnKey}: ${rule.defaultLifetimeDays} days from when the owner was told`
        : `default ${expiresOnKey}: the maximum lifetime of ${rule.maxLifetimeDays} days from ${basis}`;
  return { parsed, write: formatUtc(at), writeReason, effective: at };
}

function createdAt(server: Server): Date | undefined {
  const ms = server.createdAt ? Date.parse(server.createdAt) : NaN;
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

const at = (iso: string): number => {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? -Infinity : ms;
};

/** True when a notice of this stage was ever sent. */
export function wasSent(history: readonly NoticeRecord[], stage: NoticeStage): boolean {
  return history.some((n) => n.stage === stage);
}

/**
 * The final notice that applies to the current expiry: one sent at or after it (a notice sent before an
 * extension announced an earlier expiry and no longer counts). The earliest such notice, so grace runs from
 * when the owner was first told.
 */
export function finalNoticeFor(expiry: Date, history: readonly NoticeRecord[]): NoticeRecord | undefined {
  return history
    .filter((n) => n.stage === 'final-notice' && at(n.sentAt) >= expiry.getTime())
    .sort((a, b) => at(a.sentAt) - at(b.sentAt))[0];
}

export type DueNotice =
  | { readonly stage: 'reminder'; readonly leadDays: number }
  | { readonly stage: 'final-notice'; readonly deleteAfter: string };

/**
 * The expiry notice due now, if any. Reminders: the shortest lead time whose window is open, once per lead
 * time and expiry (a reminder sent before an extension does not count for the new date). At or after expiry:
 * the final notice, stating deletion no earlier than max(expiry, now) + graceDays.
 */
export function dueExpiryNotice(
  expiry: Date,
  now: Date,
  history: readonly NoticeRecord[],
  rule: Pick<RuleOf<'notices'>, 'reminderLeadDays' | 'graceDays'>,
): DueNotice | undefined {
  const t = now.getTime();
  if (t >= expiry.getTime()) {
    if (finalNoticeFor(expiry, history)) return undefined;
    return {
      stage: 'final-notice',
      deleteAfter: formatUtc(addDays(new Date(Math.max(expiry.getTime(), t)), rule.graceDays)),
    };
  }
  const open = rule.reminderLeadDays.filter((lead) => t >= expiry.getTime() - lead * DAY_MS);
  if (open.length === 0) return undefined;
  const lead = Math.min(...open);
  const windowStart = expiry.getTime() - lead * DAY_MS;
  const sent = history.some(
    (n) => n.stage === 'reminder' && (n.leadDays === undefined || n.leadDays === lead) && at(n.sentAt) >= windowStart,
  );
  return sent ? undefined : { stage: 'reminder', leadDays: lead };
}

/** Locks that stop a deletion. */
export function blockingLocks(locks: readonly ManagementLock[] | undefined): ManagementLock[] {
  return (locks ?? []).filter((l) => l.level === 'CanNotDelete' || l.level === 'ReadOnly');
}

/**
 * Everything the deletion decision looks at.
 * @example deletionCheck({ classification: 'clone', newCloneNoticeSent: true, expiresOnTag: '2026-11-01', expiryChanging: false, now, history, graceDays: 2, legalHoldTag: undefined, locks: [] })
 */
export interface DeletionFacts {
  readonly classification: Classification;
  /** Proven a clone (Activity Log, governed restore, operator): nothing else is ever deleted. */
  readonly proven: boolean;
  readonly newCloneNoticeSent: boolean;
  /** The ExpiresOn tag as it is on the live server (a value the plan is about to write never counts). */
  readonly expiresOnTag: string | undefined;
  /** The plan writes ExpiresOn in this run: deletion waits until the live tag says so. */
  readonly expiryChanging: boolean;
  readonly now: Date;
  readonly history: readonly NoticeRecord[];
  readonly graceDays: number;
  readonly legalHold: boolean;
  /** Undefined when the locks were not read: never delete on unknown locks. */
  readonly locks: readonly ManagementLock[] | undefined;
}

export type DeletionCheck =
  | { readonly eligible: true; readonly expiresOn: string; readonly finalNoticeSentAt: string }
  | { readonly eligible: false; readonly reason: DeletionBlock; readonly detail: string };

/**
 * Whether a clone may be deleted now. Undefined when it is not due by date (no expiry, or expiry in the
 * future); otherwise eligible only when every safety belt holds, else the first reason it is not.
 */
export function deletionCheck(f: DeletionFacts): DeletionCheck | undefined {
  const parsed = parseExpiresOn(f.expiresOnTag);
  if (!parsed.ok) {
    if (parsed.reason === 'missing') return undefined;
    return { eligible: false, reason: 'expiry-unparseable', detail: parsed.reason };
  }
  const expiry = parsed.at;
  if (f.now.getTime() < expiry.getTime()) return undefined;
  const expired = `expired ${formatUtc(expiry)}`;
  if (f.classification === 'not-a-clone') return { eligible: false, reason: 'not-a-clone', detail: expired };
  if (!f.proven)
    return {
      eligible: false,
      reason: 'unproven',
      detail: `${expired}; not proven a clone: never deleted until an operator confirms it`,
    };
  if (f.legalHold) return { eligible: false, reason: 'legal-hold', detail: `${expired}; under legal hold` };
  if (f.locks === undefined) return { eligible: false, reason: 'locks-not-read', detail: `${expired}; locks unknown` };
  const locks = blockingLocks(f.locks);
  if (locks.length > 0)
    return {
      eligible: false,
      reason: 'locked',
      detail: `${expired}; ${locks.map((l) => `${l.level} lock "${l.name}"`).join(', ')}`,
    };
  if (!f.newCloneNoticeSent)
    return {
      eligible: false,
      reason: 'not-announced',
      detail: `${expired}; a clone is deleted only after its owner got the new-clone notice`,
    };
  if (f.expiryChanging)
    return { eligible: false, reason: 'expiry-changing', detail: `${expired}; ExpiresOn is rewritten by this plan` };
  const final = finalNoticeFor(expiry, f.history);
  if (!final)
    return {
      eligible: false,
      reason: 'final-notice-not-sent',
      detail: `${expired}; the final notice for this expiry was not sent yet`,
    };
  const graceEnds = at(final.sentAt) + f.graceDays * DAY_MS;
  if (f.now.getTime() < graceEnds)
    return {
      eligible: false,
      reason: 'grace-period',
      detail: `${expired}; final notice sent ${final.sentAt}, deletion not before ${formatUtc(new Date(graceEnds))}`,
    };
  return { eligible: true, expiresOn: formatUtc(expiry), finalNoticeSentAt: final.sentAt };
}
