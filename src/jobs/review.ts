/**
 * The daily review digest: every server the warden does not touch because it is not proven a restore (claimed or
 * suspected), in one mail a day to REVIEW_MAILBOX, with the evidence, what would be done once confirmed, and the
 * commands to confirm or dismiss. Reads only (ARM lists, and firewall rules and locks of the servers listed).
 */
import type { Server } from '../domain/model.js';
import { buildReviewDigest, reviewEntries, waitsForReview, type ReviewEntry } from '../domain/notices/index.js';
import { buildPlan, type ServerPlan } from '../domain/plan.js';
import { ConcurrencyError } from '../ports/inventory.js';
import type { MailResult } from '../ports/mailer.js';
import { SendBudget } from './noticesBudget.js';
import { type NoticesDeps } from './noticesCollect.js';
import { runLimited } from './reconcile.js';
import { errorMessage } from '../errorMessage.js';

/** Records the UTC day of the last review digest: a second run the same day sends none. */
export const REVIEW_DIGEST_CHECKPOINT = 'review-digest:last-sent';

const JOB = 'sendReviewDigest';
const DEFAULT_MAX_RUN_MS = 7 * 60_000;

export interface ReviewDigestOutcome {
  readonly sent: boolean;
  readonly to: string;
  /** Servers listed (or that would have been). */
  readonly servers: number;
  readonly id?: string;
  /** Why nothing was sent: already sent today, nothing to review, the mail budget spent. */
  readonly skipped?: string;
  readonly error?: string;
  /** Subscriptions or servers that could not be looked at (their servers are missing from the digest). */
  readonly problems: ReadonlyArray<{ id: string; reason: string }>;
}

interface LastSent {
  readonly day: string;
  readonly state: 'sending' | 'sent' | 'none';
  readonly at?: string;
  readonly messageId?: string;
  readonly servers?: number;
}

/**
 * Sends the review digest unless one went out today (UTC) or nothing waits for review. The day is claimed in a
 * checkpoint before the send (two concurrent runs send one mail) and released again when the send fails, so a later run
 * that day tries again. Each listed server gets an evidence entry saying it was listed.
 * @example const outcome = await sendReviewDigest(await wire());
 */
export async function sendReviewDigest(
  deps: NoticesDeps,
  options: { sleep?: (ms: number) => Promise<void>; maxRunMs?: number } = {},
): Promise<ReviewDigestOutcome> {
  const now = deps.clock.now();
  const day = now.toISOString().slice(0, 10);
  const to = deps.config.mail.reviewMailbox;
  await deps.runs.started(JOB, now.toISOString());
  const finish = async (outcome: ReviewDigestOutcome): Promise<ReviewDigestOutcome> => {
    await deps.runs.finished(JOB, deps.clock.now().toISOString(), {
      ok: outcome.error === undefined && outcome.problems.length === 0,
      error: outcome.error ?? outcome.problems[0]?.reason,
      counts: { servers: outcome.servers, sent: outcome.sent ? 1 : 0, problems: outcome.problems.length },
    });
    return outcome;
  };
  try {
    const stored = await deps.checkpoints.get(REVIEW_DIGEST_CHECKPOINT);
    const last = stored ? parseLastSent(stored.value) : undefined;
    if (last?.day === day && last.state !== 'none') {
      const when =
        last.state === 'sent'
          ? `was sent at ${last.at ?? day}`
          : `is being sent by another run (since ${last.at ?? day})`;
      return await finish({
        sent: false,
        to,
        servers: 0,
        skipped: `today's review digest ${when}; the next goes tomorrow`,
        problems: [],
      });
    }
    const [templates, review] = await Promise.all([deps.templates(), collectReview(deps, now)]);
    if (review.entries.length === 0)
      return await finish({
        sent: false,
        to,
        servers: 0,
        skipped: 'no server waits for review',
        problems: review.problems,
      });

    let claim: string;
    try {
      claim = await deps.checkpoints.set(
        REVIEW_DIGEST_CHECKPOINT,
        JSON.stringify({ day, state: 'sending', at: now.toISOString() } satisfies LastSent),
        { ifMatch: stored?.etag ?? null },
      );
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
      return await finish({
        sent: false,
        to,
        servers: review.entries.length,
        skipped: "another run claimed today's review digest",
        problems: review.problems,
      });
    }
    const release = () =>
      deps.checkpoints.set(
        REVIEW_DIGEST_CHECKPOINT,
        stored?.value ?? JSON.stringify({ day: '', state: 'none' } satisfies LastSent),
        { ifMatch: claim },
      );

    const budget = await SendBudget.open({
      checkpoints: deps.checkpoints,
      clock: deps.clock,
      sleep: options.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
      limitPerMinute: deps.config.mail.limitPerMinute,
      limitPerHour: deps.config.mail.limitPerHour,
      deadline: new Date(now.getTime() + (options.maxRunMs ?? DEFAULT_MAX_RUN_MS)),
    });
    if (!(await budget.acquire())) {
      await release();
      return await finish({
        sent: false,
        to,
        servers: review.entries.length,
        skipped: 'the hourly mail budget is spent; the review digest goes with the next run',
        problems: review.problems,
      });
    }
    const mail = buildReviewDigest(review.entries, templates.reviewDigest, { now, recipient: to });
    let result: MailResult;
    try {
      result = await deps.mailer.send({ to, ...mail, headers: { 'X-PITR-Warden-Run': `${JOB}:${now.toISOString()}` } });
    } catch (error) {
      result = { id: '', status: 'Failed', error: errorMessage(error) };
    } finally {
      await budget.record();
    }
    if (result.status !== 'Succeeded') {
      await release();
      return await finish({
        sent: false,
        to,
        servers: review.entries.length,
        ...(result.id ? { id: result.id } : {}),
        error: result.error ?? 'ACS ended the send Failed',
        problems: review.problems,
      });
    }
    const sentAt = deps.clock.now().toISOString();
    await deps.checkpoints.set(
      REVIEW_DIGEST_CHECKPOINT,
      JSON.stringify({
        day,
        state: 'sent',
        at: sentAt,
        messageId: result.id,
        servers: review.entries.length,
      } satisfies LastSent),
      { ifMatch: claim },
    );
    await deps.evidence.append(
      review.entries.map((e) => listedEvidence(e, { day, sentAt, to, messageId: result.id, actor: deps.actor })),
    );
    return await finish({ sent: true, to, servers: review.entries.length, id: result.id, problems: review.problems });
  } catch (error) {
    await deps.runs.finished(JOB, deps.clock.now().toISOString(), { ok: false, error: errorMessage(error) });
    throw error;
  }
}

/**
 * The servers waiting for review now, in every governed subscription: planned from the live lists and the inventory;
 * those listed are read again with their firewall rules and locks, so what would be done once confirmed is complete.
 * @example const { entries } = await collectReview(deps, deps.clock.now());
 */
export async function collectReview(
  deps: NoticesDeps,
  now: Date,
): Promise<{ entries: ReviewEntry[]; problems: { id: string; reason: string }[] }> {
  const rows = await deps.inventory.list();
  const settings = {
    fallbackMailbox: deps.settings.fallbackMailbox,
    allowedRecipientDomains: [...deps.settings.allowedRecipientDomains],
  };
  const plans: ServerPlan[] = [];
  const listed: Server[] = [];
  const problems: { id: string; reason: string }[] = [];
  for (const subscriptionId of deps.settings.subscriptionIds) {
    let live: Server[];
    try {
      live = await deps.servers.list(subscriptionId);
    } catch (error) {
      problems.push({
        id: `/subscriptions/${subscriptionId}`,
        reason: `listing servers failed; its servers are not in this review: ${errorMessage(error)}`,
      });
      continue;
    }
    const subRows = rows.filter((r) => r.subscriptionId.toLowerCase() === subscriptionId.toLowerCase());
    const plan = (servers: readonly Server[]) =>
      buildPlan({
        now,
        policy: deps.policy,
        servers,
        inventory: subRows,
        settings,
        drillClientAddresses: deps.settings.drillClientAddresses ?? [],
      });
    const waiting = plan(live).servers.filter((p) => waitsForReview(p) && live.some((s) => s.key === p.key));
    if (waiting.length === 0) continue;
    const full = new Map<string, Server>();
    await runLimited(
      waiting.map((p) => async () => {
        const server = await deps.servers.get(p.id, { withFirewallRules: true, withLocks: true });
        if (server) full.set(server.key, server);
      }),
      8,
      (error, index) =>
        problems.push({
          id: waiting[index]?.id ?? subscriptionId,
          reason: `reading its firewall rules and locks failed; listed without them: ${errorMessage(error)}`,
        }),
    );
    const servers = live.map((s) => full.get(s.key) ?? s);
    plans.push(...plan(servers).servers);
    listed.push(...servers);
  }
  // One list over every subscription: a name two subscriptions share is written as the resource id in the commands.
  return { entries: reviewEntries(plans, listed), problems };
}

function listedEvidence(
  e: ReviewEntry,
  facts: { day: string; sentAt: string; to: string; messageId: string; actor: string },
) {
  return {
    serverKey: e.key,
    id: `review-listed:${facts.day}`,
    at: facts.sentAt,
    actor: facts.actor,
    kind: 'review-listed',
    summary: `${e.name} listed for review (${e.proof}, not proven a restore) in the review digest to ${facts.to}; nothing changed on it`,
    details: {
      messageId: facts.messageId,
      to: facts.to,
      proof: e.proof,
      onceConfirmed: e.onceConfirmed,
      contradictions: e.contradictions,
    },
  };
}

function parseLastSent(value: string): LastSent | undefined {
  try {
    const parsed = JSON.parse(value) as Partial<LastSent>;
    return typeof parsed.day === 'string' &&
      (parsed.state === 'sending' || parsed.state === 'sent' || parsed.state === 'none')
      ? (parsed as LastSent)
      : undefined;
  } catch {
    return undefined;
  }
}
