import type { NoticeStage, Violation } from '../model.js';
import { sameViolation, type NoticeItem } from './item.js';

/** One (clone, stage) a digest covers: record each as sent once the digest went out. */
export interface CoveredNotice {
  readonly serverKey: string;
  readonly stage: NoticeStage;
  readonly leadDays?: number;
}

/** One clone in a digest: the most urgent item's facts, and every stage it is reported for in this run. */
export interface DigestEntry {
  readonly item: NoticeItem;
  readonly stages: readonly { readonly stage: NoticeStage; readonly leadDays?: number }[];
}

/**
 * One email's worth: all of a recipient's clones across subscriptions, most urgent first.
 * @example for (const digest of buildDigests(items, { now })) mailer.send(digest.recipient, renderDigest(digest, templates));
 */
export interface Digest {
  /** Lower-cased, trimmed. */
  readonly recipient: string;
  readonly generatedAt: string;
  readonly entries: readonly DigestEntry[];
  readonly covers: readonly CoveredNotice[];
  readonly subscriptionIds: readonly string[];
}

/** Urgency of a stage: final notices (still actionable) and deletions first, new-clone notices last. */
const STAGE_RANK: Readonly<Record<NoticeStage, number>> = {
  'final-notice': 0,
  deleted: 1,
  reminder: 2,
  noncompliant: 3,
  'new-clone': 4,
};

/**
 * Groups notice items into one digest per recipient; a clone with several stages appears once. Items of unproven
 * servers are left out, but for the record of a deletion.
 * Order of entries: final notice, deleted, reminders (soonest expiry first), non-compliant, new; ties by
 * expiry, then name, then id. Digests are ordered by recipient. Deterministic for the same input.
 */
export function buildDigests(items: readonly NoticeItem[], options: { readonly now: Date }): Digest[] {
  const byRecipient = new Map<string, Map<string, NoticeItem[]>>();
  for (const item of items) {
    // The plan's gate sends no notice for an unproven server; checked again at the last step before a mailbox: its owner
    // is never told it will be deleted (the review list is for operators). A deletion already done is only recorded.
    if (!item.proven && item.stage !== 'deleted') continue;
    const recipient = item.recipient.trim().toLowerCase();
    const clones = byRecipient.get(recipient) ?? new Map<string, NoticeItem[]>();
    byRecipient.set(recipient, clones);
    const key = item.server.key.toLowerCase();
    clones.set(key, [...(clones.get(key) ?? []), item]);
  }
  return [...byRecipient.entries()]
    .sort(([a], [b]) => compareText(a, b))
    .map(([recipient, clones]) => {
      const entries = [...clones.values()].map(toEntry).sort(compareEntries);
      return {
        recipient,
        generatedAt: options.now.toISOString(),
        entries,
        covers: entries.flatMap((e) => e.stages.map((s) => ({ serverKey: e.item.server.key.toLowerCase(), ...s }))),
        subscriptionIds: [...new Set(entries.map((e) => e.item.server.subscriptionId.toLowerCase()))].sort(compareText),
      };
    });
}

/** Merges one clone's items: facts of the most urgent, violations and dates from all of them. */
function toEntry(items: NoticeItem[]): DigestEntry {
  const sorted = [...items].sort(
    (a, b) => STAGE_RANK[a.stage] - STAGE_RANK[b.stage] || (a.leadDays ?? 0) - (b.leadDays ?? 0),
  );
  const stages = new Map<string, { stage: NoticeStage; leadDays?: number }>();
  for (const i of sorted)
    stages.set(
      `${i.stage}:${i.leadDays ?? ''}`,
      i.leadDays === undefined ? { stage: i.stage } : { stage: i.stage, leadDays: i.leadDays },
    );
  const primary = sorted[0]!;
  const item: NoticeItem = {
    ...primary,
    violationsFound: union(sorted.map((i) => i.violationsFound)),
    violationsFixed: union(sorted.map((i) => i.violationsFixed)),
    deleteAfter: sorted.find((i) => i.deleteAfter)?.deleteAfter,
    deleted: sorted.find((i) => i.deleted)?.deleted,
  };
  return { item, stages: [...stages.values()] };
}

function union(lists: readonly (readonly Violation[])[]): Violation[] {
  const out: Violation[] = [];
  for (const v of lists.flat()) if (!out.some((o) => sameViolation(o, v))) out.push(v);
  return out;
}

function compareEntries(a: DigestEntry, b: DigestEntry): number {
  return (
    STAGE_RANK[a.item.stage] - STAGE_RANK[b.item.stage] ||
    timeOf(a.item.deleteAfter ?? a.item.expiresOn) - timeOf(b.item.deleteAfter ?? b.item.expiresOn) ||
    compareText(a.item.server.name.toLowerCase(), b.item.server.name.toLowerCase()) ||
    compareText(a.item.server.key, b.item.server.key)
  );
}

/** Unknown times sort last. */
function timeOf(iso: string | undefined): number {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(t) ? t : Number.MAX_SAFE_INTEGER;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
