/**
 * The review digest: one mail a day to the review mailbox listing every server the warden will not touch because it is
 * not proven a restore (claimed by lineage tags, or suspected from its resemblance to an earlier server), with the
 * evidence, what the warden would do once it is confirmed, and the exact commands to confirm or dismiss it. It goes to
 * operators only: the owner of an unproven server is never told anything about it.
 */
import { ENGINE_SPECS } from '../engines.js';
import type { Server } from '../model.js';
import type { ServerPlan } from '../plan.js';
import { reviewCommands } from '../proof.js';
import { displayUtc } from './format.js';
import { renderMail, type MailTemplate, type RenderedMail } from './render.js';

/** One server waiting for an operator's word. */
export interface ReviewEntry {
  readonly key: string;
  readonly id: string;
  readonly name: string;
  readonly engineLabel: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location?: string;
  readonly createdAt?: string;
  readonly proof: 'claimed' | 'suspected';
  /** The facts behind the proof level, one line each. */
  readonly evidence: readonly string[];
  /** Why the lineage claim proves nothing (source is the server itself, restore point after creation, ...). */
  readonly contradictions: readonly string[];
  /** What the next run would do once it is confirmed, one line each (empty: nothing to change, only governed). */
  readonly onceConfirmed: readonly string[];
  readonly confirm: string;
  readonly dismiss: string;
}

/**
 * The servers of a plan that wait for review: claimed or suspected, live, neither dismissed nor promoted by an operator.
 * A name that two servers share (other subscription or resource group) is written as the resource id in the commands.
 * @example reviewEntries(plan.servers, liveServers)
 */
export function reviewEntries(plans: readonly ServerPlan[], live: readonly Server[]): ReviewEntry[] {
  const byKey = new Map(live.map((s) => [s.key, s]));
  const waiting = plans.filter((p) => byKey.has(p.key) && waitsForReview(p));
  const counts = new Map<string, number>();
  for (const p of waiting) counts.set(p.name.toLowerCase(), (counts.get(p.name.toLowerCase()) ?? 0) + 1);
  return waiting
    .map((p): ReviewEntry => {
      const server = byKey.get(p.key)!;
      const commands = reviewCommands((counts.get(p.name.toLowerCase()) ?? 0) > 1 ? p.id : p.name);
      return {
        key: p.key,
        id: p.id,
        name: p.name,
        engineLabel: ENGINE_SPECS[p.engine].label,
        subscriptionId: p.subscriptionId,
        resourceGroup: p.resourceGroup,
        ...(server.location ? { location: server.location } : {}),
        ...(server.createdAt ? { createdAt: server.createdAt } : {}),
        proof: p.proof.level as ReviewEntry['proof'],
        evidence: p.proof.evidence.filter((line) => !line.startsWith('contradiction: ')),
        contradictions: p.proof.contradictions,
        onceConfirmed: p.onceConfirmed ?? [],
        ...commands,
      };
    })
    .sort((a, b) => compareText(a.name.toLowerCase(), b.name.toLowerCase()) || compareText(a.key, b.key));
}

/** Claimed or suspected and not settled: a dismissal makes a server not a clone, a promotion needs a proven clone. */
export function waitsForReview(plan: Pick<ServerPlan, 'proof' | 'promoted' | 'decisions'>): boolean {
  if (plan.proof.level !== 'claimed' && plan.proof.level !== 'suspected') return false;
  if (plan.promoted) return false;
  return !(plan.decisions ?? []).some((d) => d.kind === 'dismissed' || d.kind === 'promoted');
}

/** What the review-digest templates can use; every key is always present. */
export function reviewDigestView(entries: readonly ReviewEntry[], options: { now: Date; recipient: string }) {
  const claimed = entries.filter((e) => e.proof === 'claimed').length;
  const n = entries.length;
  return {
    recipient: options.recipient,
    generatedAt: displayUtc(options.now.toISOString()),
    serverCount: n,
    serversWord: n === 1 ? 'server' : 'servers',
    claimedCount: claimed,
    suspectedCount: n - claimed,
    servers: entries.map((e) => ({
      name: e.name,
      id: e.id,
      engine: e.engineLabel,
      subscriptionId: e.subscriptionId,
      resourceGroup: e.resourceGroup,
      location: e.location ?? '',
      createdAt: displayUtc(e.createdAt),
      proof: e.proof,
      isClaimed: e.proof === 'claimed',
      proofText:
        e.proof === 'claimed'
          ? 'claimed: lineage tags say it is a restore, but no Activity Log record, governed restore or confirmation proves it (anyone who can write tags can write them)'
          : 'suspected: it looks like an earlier server (servers deployed from one template look alike too)',
      evidence: [...e.evidence],
      contradictions: [...e.contradictions],
      onceConfirmed: [...e.onceConfirmed],
      confirm: e.confirm,
      dismiss: e.dismiss,
    })),
  };
}

/**
 * Renders the review digest (subject, plain text, HTML; every value escaped in HTML).
 * @example const mail = buildReviewDigest(reviewEntries(plan.servers, live), templates.reviewDigest, { now, recipient: config.mail.reviewMailbox });
 */
export function buildReviewDigest(
  entries: readonly ReviewEntry[],
  template: MailTemplate,
  options: { now: Date; recipient: string },
): RenderedMail {
  return renderMail(template, reviewDigestView(entries, options), 'review-digest');
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
