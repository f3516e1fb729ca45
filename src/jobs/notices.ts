import { groupBy } from '../domain/collections.js';
import type { InventoryRecord, NoticeSent, NoticeStage } from '../domain/model.js';
import { buildFinopsSummary, renderDigest, type CoveredNotice, type Digest } from '../domain/notices/index.js';
import { ruleOf } from '../domain/policy.js';
import { ConcurrencyError } from '../ports/inventory.js';
import { MailerError, type MailResult } from '../ports/mailer.js';
import { SendBudget } from './noticesBudget.js';
import { costEstimator, dueNotices, type NoticesDeps } from './noticesCollect.js';
import { errorMessage } from '../errorMessage.js';

export type { NoticesDeps } from './noticesCollect.js';

export interface SendNoticesOptions {
  /** Waits between sends to stay within the per-minute limit (default a timer); tests advance their clock. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** No send starts later than this after the run began; the rest goes next run (default 7 min, under functionTimeout). */
  readonly maxRunMs?: number;
}

/** What one run of owner notices did. */
export interface NoticesOutcome {
  /** Recipients with notices due (one digest each). */
  readonly owners: number;
  /** Digests ACS accepted. */
  readonly sent: number;
  /** (clone, stage) notices recorded as sent. */
  readonly notices: number;
  readonly failed: ReadonlyArray<{ to: string; reason: string }>;
  /** Digests left for the next run by the sending limits. */
  readonly deferred: number;
  /** Subscriptions or servers that could not be looked at (retried next run). */
  readonly problems: ReadonlyArray<{ id: string; reason: string }>;
}

const JOB = 'sendOwnerNotices';
const DEFAULT_MAX_RUN_MS = 7 * 60_000;
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One digest per recipient with every notice the plan has due, within the ACS limits. A notice is recorded on its
 * inventory row (and in the evidence) only after ACS said Succeeded; a failed send is recorded as failed evidence and
 * planned again next run; what the limits leave over waits for the next run, most urgent digests first.
 * @example const outcome = await sendOwnerNotices(await wire());
 */
export async function sendOwnerNotices(deps: NoticesDeps, options: SendNoticesOptions = {}): Promise<NoticesOutcome> {
  const started = deps.clock.now();
  const runId = `${JOB}:${started.toISOString()}`;
  await deps.runs.started(JOB, started.toISOString());
  const counts = { owners: 0, sent: 0, notices: 0, deferred: 0 };
  const failed: { to: string; reason: string }[] = [];
  let problems: { id: string; reason: string }[] = [];
  try {
    const [templates, due] = await Promise.all([deps.templates(), dueNotices(deps, started)]);
    problems = due.failed;
    counts.owners = due.digests.length;
    const budget = await openBudget(deps, options, started);
    for (const [index, digest] of due.digests.entries()) {
      if (!(await budget.acquire())) {
        counts.deferred = due.digests.length - index;
        deps.log?.(
          `${JOB}: sending limits reached (${budget.usedThisHour()} sent in the last hour); ${counts.deferred} digest(s) wait for the next run`,
        );
        break;
      }
      const result = await sendDigest(deps, digest, templates, runId, budget);
      const names = namesOf(digest, due.rows);
      if (result.status === 'Succeeded') {
        counts.sent++;
        counts.notices += await recordSent(deps, digest, result, names, failed);
      } else {
        failed.push({ to: digest.recipient, reason: result.error ?? 'ACS ended the send Failed' });
        await recordFailed(deps, digest, result, names);
      }
    }
    const outcome: NoticesOutcome = { ...counts, failed, problems };
    await deps.runs.finished(JOB, deps.clock.now().toISOString(), {
      ok: failed.length === 0 && problems.length === 0,
      error: failed[0] ? `${failed[0].to}: ${failed[0].reason}` : problems[0]?.reason,
      counts: { ...counts, failed: failed.length, problems: problems.length },
    });
    return outcome;
  } catch (error) {
    await deps.runs.finished(JOB, deps.clock.now().toISOString(), {
      ok: false,
      error: errorMessage(error),
      counts: { ...counts, failed: failed.length },
    });
    throw error;
  }
}

/** Sends one digest; a refused credential fails the whole run (after recording this digest as failed). */
async function sendDigest(
  deps: NoticesDeps,
  digest: Digest,
  templates: Awaited<ReturnType<NoticesDeps['templates']>>,
  runId: string,
  budget: SendBudget,
): Promise<MailResult> {
  const mail = renderDigest(digest, templates);
  try {
    return await deps.mailer.send({ to: digest.recipient, ...mail, headers: { 'X-PITR-Warden-Run': runId } });
  } catch (error) {
    if (error instanceof MailerError && error.isAuthentication) {
      await recordFailed(deps, digest, { id: '', status: 'Failed', error: error.message }, new Map());
      throw error;
    }
    return { id: '', status: 'Failed', error: errorMessage(error) };
  } finally {
    await budget.record();
  }
}

/** Appends the sent notices to each row (over the version read; re-read on a concurrent write) and the evidence. */
async function recordSent(
  deps: NoticesDeps,
  digest: Digest,
  result: MailResult,
  names: ReadonlyMap<string, string>,
  failed: { to: string; reason: string }[],
): Promise<number> {
  const sentAt = deps.clock.now().toISOString();
  let recorded = 0;
  for (const [serverKey, covers] of groupBy(digest.covers, (c) => c.serverKey)) {
    const notices: NoticeSent[] = covers.map((c) => ({
      stage: c.stage,
      ...(c.leadDays !== undefined ? { leadDays: c.leadDays } : {}),
      sentAt,
      to: digest.recipient,
    }));
    try {
      if (await appendNotices(deps, serverKey, notices, sentAt)) recorded += notices.length;
      await deps.evidence.append(
        covers.map((c) => ({
          serverKey,
          id: `notice:${stageId(c)}:${sentAt}`,
          at: sentAt,
          actor: deps.actor,
          kind: 'notice-sent',
          summary: `${stageText(c)} notice for ${names.get(serverKey) ?? serverKey} sent to ${digest.recipient}`,
          details: {
            messageId: result.id,
            to: digest.recipient,
            stage: c.stage,
            ...(c.leadDays !== undefined ? { leadDays: c.leadDays } : {}),
          },
        })),
      );
    } catch (error) {
      // ACS has the mail; only the record is missing, so the next run may send this notice once more.
      failed.push({
        to: digest.recipient,
        reason: `sent (${result.id}), but recording it on ${serverKey} failed: ${errorMessage(error)}`,
      });
    }
  }
  return recorded;
}

async function appendNotices(
  deps: NoticesDeps,
  serverKey: string,
  notices: readonly NoticeSent[],
  at: string,
): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    const stored = await deps.inventory.get(serverKey);
    if (!stored) return false;
    const row: InventoryRecord = stored.value;
    const fresh = notices.filter(
      (n) => !row.noticesSent.some((s) => s.stage === n.stage && s.leadDays === n.leadDays && s.sentAt === n.sentAt),
    );
    if (fresh.length === 0) return true;
    try {
      await deps.inventory.upsert(
        { ...row, noticesSent: [...row.noticesSent, ...fresh], updatedAt: at },
        { ifMatch: stored.etag },
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || attempt >= 4) throw error;
    }
  }
}

/** A failed send leaves the rows untouched (the notice stays due) and says so in the evidence. */
async function recordFailed(
  deps: NoticesDeps,
  digest: Digest,
  result: MailResult,
  names: ReadonlyMap<string, string>,
): Promise<void> {
  const at = deps.clock.now().toISOString();
  try {
    await deps.evidence.append(
      digest.covers.map((c) => ({
        serverKey: c.serverKey,
        id: `notice-failed:${stageId(c)}:${at}`,
        at,
        actor: deps.actor,
        kind: 'notice-failed',
        summary: `${stageText(c)} notice for ${names.get(c.serverKey) ?? c.serverKey} to ${digest.recipient} failed; retried next run`,
        reason: result.error ?? 'ACS ended the send Failed',
        details: {
          messageId: result.id || undefined,
          to: digest.recipient,
          stage: c.stage,
          ...(c.leadDays !== undefined ? { leadDays: c.leadDays } : {}),
        },
      })),
    );
  } catch (error) {
    deps.log?.(`${JOB}: could not record the failed send to ${digest.recipient}: ${errorMessage(error)}`);
  }
}

/** A preview of one digest: what the next run would send to one recipient. */
export interface NoticePreview {
  readonly to: string;
  readonly subject: string;
  readonly plainText: string;
  readonly html: string;
  readonly notices: ReadonlyArray<{ server: string; serverKey: string; stage: NoticeStage; leadDays?: number }>;
}

/**
 * What the next run would send (every digest, or one recipient's), rendered, without sending or recording anything.
 * @example const { digests } = await previewOwnerNotices(deps, { owner: 'alice@contoso.com' });
 */
export async function previewOwnerNotices(
  deps: NoticesDeps,
  options: { owner?: string } = {},
): Promise<{ generatedAt: string; digests: NoticePreview[]; problems: { id: string; reason: string }[] }> {
  const now = deps.clock.now();
  const [templates, due] = await Promise.all([deps.templates(), dueNotices(deps, now, options)]);
  return {
    generatedAt: now.toISOString(),
    digests: due.digests.map((digest) => {
      const names = namesOf(digest, due.rows);
      return {
        to: digest.recipient,
        ...renderDigest(digest, templates),
        notices: digest.covers.map((c) => ({ server: names.get(c.serverKey) ?? c.serverKey, ...c })),
      };
    }),
    problems: due.failed,
  };
}

export interface FinopsOutcome {
  readonly sent: boolean;
  readonly to?: string;
  readonly id?: string;
  readonly clones: number;
  /** Why nothing was sent (no mailbox configured, the mail budget spent). */
  readonly skipped?: string;
  readonly error?: string;
}

const FINOPS_JOB = 'sendFinopsSummary';

/**
 * The weekly FinOps summary to FINOPS_MAILBOX (skipped when unset): clones alive and their cost, deleted and cost
 * avoided, past expiry and why. It counts against the same sending limits as owner notices.
 * @example await sendFinopsSummary(await wire());
 */
export async function sendFinopsSummary(deps: NoticesDeps, options: SendNoticesOptions = {}): Promise<FinopsOutcome> {
  const to = deps.config.mail.finopsMailbox;
  if (!to) return { sent: false, clones: 0, skipped: 'FINOPS_MAILBOX is not set' };
  const now = deps.clock.now();
  await deps.runs.started(FINOPS_JOB, now.toISOString());
  try {
    const [templates, records] = await Promise.all([deps.templates(), deps.inventory.list()]);
    const clones = records.filter((r) => r.classification !== 'not-a-clone');
    const costOf = costEstimator(deps.prices, now);
    const costs = new Map(await Promise.all(clones.map(async (r) => [r.key, await costOf(r)] as const)));
    const mail = buildFinopsSummary(clones, costs, now, {
      templates,
      maxLifetimeDays: ruleOf(deps.policy, 'expiry')?.maxLifetimeDays ?? 30,
      graceDays: ruleOf(deps.policy, 'notices')?.graceDays ?? 2,
      legalHoldTagKey: deps.policy.tagKeys.legalHold,
    });
    const budget = await openBudget(deps, options, now);
    if (!(await budget.acquire())) {
      // Holding the summary back for the sending limits is the budget working, not a failed run (health would say failing).
      const skipped: FinopsOutcome = {
        sent: false,
        to,
        clones: clones.length,
        skipped: 'the hourly mail budget is spent; the summary goes with the next run',
      };
      deps.log?.(`${FINOPS_JOB}: ${skipped.skipped}`);
      await deps.runs.finished(FINOPS_JOB, deps.clock.now().toISOString(), {
        ok: true,
        counts: { clones: clones.length, sent: 0, deferred: 1 },
      });
      return skipped;
    }
    let result: MailResult;
    try {
      result = await deps.mailer.send({
        to,
        ...mail,
        headers: { 'X-PITR-Warden-Run': `${FINOPS_JOB}:${now.toISOString()}` },
      });
    } finally {
      await budget.record();
    }
    const outcome: FinopsOutcome =
      result.status === 'Succeeded'
        ? { sent: true, to, id: result.id, clones: clones.length }
        : { sent: false, to, id: result.id, clones: clones.length, error: result.error ?? 'ACS ended the send Failed' };
    await deps.runs.finished(FINOPS_JOB, deps.clock.now().toISOString(), {
      ok: outcome.sent,
      error: outcome.error,
      counts: { clones: clones.length, sent: outcome.sent ? 1 : 0 },
    });
    return outcome;
  } catch (error) {
    await deps.runs.finished(FINOPS_JOB, deps.clock.now().toISOString(), { ok: false, error: errorMessage(error) });
    throw error;
  }
}

function namesOf(digest: Digest, rows: ReadonlyMap<string, InventoryRecord>): Map<string, string> {
  return new Map(
    digest.entries.map((e) => [
      e.item.server.key.toLowerCase(),
      rows.get(e.item.server.key.toLowerCase())?.name ?? e.item.server.name,
    ]),
  );
}

function stageId(c: Pick<CoveredNotice, 'stage' | 'leadDays'>): string {
  return c.leadDays !== undefined ? `${c.stage}:${c.leadDays}d` : c.stage;
}

function stageText(c: Pick<CoveredNotice, 'stage' | 'leadDays'>): string {
  const text = {
    'new-clone': 'New-clone',
    reminder: 'Reminder',
    'final-notice': 'Final',
    deleted: 'Deletion',
    noncompliant: 'Non-compliance',
  }[c.stage];
  return c.leadDays !== undefined ? `${text} (${c.leadDays} days ahead)` : text;
}

/** The ACS send budget of this run: per-minute and per-hour limits shared across runs, and the run's deadline. */
function openBudget(
  deps: NoticesDeps,
  options: { sleep?: (ms: number) => Promise<void>; maxRunMs?: number },
  startedAt: Date,
): Promise<SendBudget> {
  return SendBudget.open({
    checkpoints: deps.checkpoints,
    clock: deps.clock,
    sleep: options.sleep ?? realSleep,
    limitPerMinute: deps.config.mail.limitPerMinute,
    limitPerHour: deps.config.mail.limitPerHour,
    deadline: new Date(startedAt.getTime() + (options.maxRunMs ?? DEFAULT_MAX_RUN_MS)),
  });
}
