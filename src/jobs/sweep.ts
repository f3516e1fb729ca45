import { locksOn } from '../domain/locks.js';
import type { EvidenceEntry, InventoryRecord, Server } from '../domain/model.js';
import type { ServerPlan } from '../domain/plan.js';
import {
  changeSincePlanning,
  deletionCap,
  deleteUnderWay,
  disagreementStop,
  knownClones,
  needingLocks,
  planForSweep,
  releaseReason,
  sweepItem as item,
  sweepSelection,
  twinCandidates,
  type Eligible,
  type PlannedSubscription,
  type SweepCandidate,
  type SweepItem,
  type SweepPlanContext,
} from '../domain/sweep.js';
import { ConcurrencyError, type Versioned } from '../ports/inventory.js';
import type { GovernDeps } from './deps.js';
import { modify } from './gate.js';
import { forEachListed, runLimited, runLimitedPerKey, withCreationTimes } from './listing.js';
import { errorMessage } from '../errorMessage.js';

/** The runs-table name of the sweep (also the function name). */
export const SWEEP_JOB = 'deleteExpiredClones';

export type SweepDeps = Pick<
  GovernDeps,
  'clock' | 'servers' | 'listing' | 'inventory' | 'evidence' | 'runs' | 'policy' | 'settings' | 'actor' | 'log'
>;

/**
 * How one sweep runs. Caps come from the SWEEP_* settings (`config.sweep`).
 * @example await sweep(deps, { mode: 'dry-run', maxDeletionsPerRun: 10, maxDeletionPercent: 20, maxDisagreementPercent: 25 })
 */
export interface SweepOptions {
  /** `dry-run` records what it would delete and never calls delete; only `enforce` deletes. */
  readonly mode: 'dry-run' | 'enforce';
  readonly maxDeletionsPerRun: number;
  /** Of the known clones (inventory clones not deleted, and listed clones). */
  readonly maxDeletionPercent: number;
  /** Inventory and ARM disagreeing on more than this share of known clones stops the run. */
  readonly maxDisagreementPercent: number;
  readonly onProgress?: (done: number, total: number, label: string) => void;
  /** Deletions in flight at once (default 16). */
  readonly concurrency?: number;
  /** Of those, at most this many of one subscription (default 4): ARM's budgets are per subscription. */
  readonly concurrencyPerSubscription?: number;
  /** Test seams around each DELETE; a throw aborts the run the way a crash would (nothing more is written). */
  readonly hooks?: {
    readonly beforeDelete?: (id: string) => void | Promise<void>;
    readonly afterDelete?: (id: string, outcome: string) => void | Promise<void>;
  };
}

export type { SweepCandidate, SweepItem } from '../domain/sweep.js';

export interface SweepDeletion extends SweepItem {
  /** `finished`: an interrupted earlier run had asked ARM; this run found the server gone and recorded it. */
  readonly outcome: 'deleted' | 'already-gone' | 'finished';
}

/** What one sweep did; `stoppedBecause` set means nothing was deleted (or recorded as would-delete). */
export interface SweepResult {
  readonly mode: 'dry-run' | 'enforce';
  readonly at: string;
  /** Every clone the plan proposes to delete, oldest expiry first (before the caps). */
  readonly planned: SweepCandidate[];
  readonly deleted: SweepDeletion[];
  /** Dry-run: what enforce would delete now (within the caps). */
  readonly wouldDelete: SweepItem[];
  /** Expired clones not deleted this run, with why (plan skips, caps, changes since planning). */
  readonly skipped: SweepItem[];
  /** Retried next run. */
  readonly failed: SweepItem[];
  /** Expired clones under a legal hold or a lock, including deletes ARM refused with 409 ScopeLocked. */
  readonly held: SweepItem[];
  readonly stoppedBecause?: string;
  readonly counts: { subscriptions: number; servers: number; knownClones: number; disagreements: number; cap: number };
}

/** A deletion the sweep may make: the plan's, with the inventory row (and its ETag) it was planned from. */
interface Selected extends Eligible {
  readonly row: Versioned<InventoryRecord> | undefined;
}

/** A row an interrupted run left at `deleting` that this run must settle: release it, or confirm its server is gone. */
interface Interrupted {
  readonly row: InventoryRecord;
  /** Still listed (and no longer eligible): released. Not listed: read, and recorded deleted when gone. */
  readonly listed: boolean;
  readonly plan: ServerPlan | undefined;
}

/** What the sweep keeps of one subscription once it is planned: counts and the few servers it may act on. */
interface SubscriptionSweep {
  readonly servers: number;
  readonly known: { readonly clones: number; readonly disagreements: readonly string[] };
  readonly eligible: readonly Selected[];
  readonly skipped: readonly SweepItem[];
  readonly held: readonly SweepItem[];
  readonly failed: readonly SweepItem[];
  readonly interrupted: readonly Interrupted[];
}

class SweepAborted extends Error {}

/** Subscriptions listed and planned at once: memory holds these and the candidates, not the estate. */
const SUBSCRIPTIONS_AT_ONCE = 4;
/** Deletions in flight at once in all, and per subscription (within ARM's budgets: 200 deletes, refilled 10/s). */
const DEFAULT_CONCURRENCY = 16;
const DEFAULT_CONCURRENCY_PER_SUBSCRIPTION = 4;

/**
 * The expiry sweep: lists every governed subscription, plans with the inventory's notice history, and executes only
 * the plan's `delete-server` actions, within the caps, each after a live re-read that must show nothing changed.
 * Stops without deleting when any listing failed or inventory and ARM disagree too much. Intent is recorded before
 * each DELETE (evidence `deleting`, row state `deleting`), so a run that dies mid-way is finished by the next one
 * without a second DELETE or a second evidence entry.
 */
export async function sweep(deps: SweepDeps, options: SweepOptions): Promise<SweepResult> {
  const now = deps.clock.now();
  const at = now.toISOString();
  await deps.runs.started(SWEEP_JOB, at);
  const out = emptyResult(options.mode, at);
  try {
    const result = await sweepOnce(deps, options, now, out);
    await deps.runs.finished(SWEEP_JOB, deps.clock.now().toISOString(), {
      ok: result.failed.length === 0 && !result.stoppedBecause,
      error: result.stoppedBecause ?? result.failed[0]?.reason,
      counts: countsOf(result),
    });
    return result;
  } catch (error) {
    await deps.runs.finished(SWEEP_JOB, deps.clock.now().toISOString(), {
      ok: false,
      error: errorMessage(error),
      counts: countsOf(out),
    });
    throw error;
  }
}

async function sweepOnce(
  deps: SweepDeps,
  options: SweepOptions,
  now: Date,
  out: Mutable<SweepResult>,
): Promise<SweepResult> {
  const subscriptions = deps.settings.subscriptionIds;
  // In the order of the settings, whatever order the listings arrive in, so a run's report reads the same every time.
  const planned: Array<SubscriptionSweep | undefined> = subscriptions.map(() => undefined);
  const position = new Map(subscriptions.map((s, i) => [s.toLowerCase(), i]));
  const listFailures: string[] = [];
  let listed = 0;
  await forEachListed(deps, subscriptions, SUBSCRIPTIONS_AT_ONCE, 'sweep', async (subscriptionId, listing) => {
    try {
      if ('error' in listing) throw new Error(listing.error);
      planned[position.get(subscriptionId.toLowerCase())!] = await planSubscription(
        subscriptionId,
        listing.servers,
        now,
        deps,
      );
    } catch (error) {
      listFailures.push(`${subscriptionId}: ${errorMessage(error)}`);
    }
    options.onProgress?.(++listed, subscriptions.length, 'list');
  });
  const parts = planned.filter((p): p is SubscriptionSweep => p !== undefined);
  out.counts.subscriptions = subscriptions.length;
  out.counts.servers = parts.reduce((n, p) => n + p.servers, 0);
  if (listFailures.length > 0) {
    out.stoppedBecause = `listing failed for ${listFailures.length} of ${subscriptions.length} subscription(s), so the estate may be incomplete: ${listFailures.join('; ')}`;
    return out;
  }
  out.failed.push(...parts.flatMap((p) => p.failed));

  // Subscriptions share no server: their known clones and disagreements add up.
  const known = {
    clones: parts.reduce((n, p) => n + p.known.clones, 0),
    disagreements: parts.flatMap((p) => p.known.disagreements),
  };
  out.counts.knownClones = known.clones;
  out.counts.disagreements = known.disagreements.length;
  const stop = disagreementStop(known, options.maxDisagreementPercent);
  if (stop) {
    out.stoppedBecause = stop;
    return out;
  }

  // Oldest expiry first across subscriptions (sweepSelection's order within each).
  const eligible = parts
    .flatMap((p) => p.eligible)
    .sort((a, b) => a.action.expiresOn.localeCompare(b.action.expiresOn) || a.plan.key.localeCompare(b.plan.key));
  out.skipped.push(...parts.flatMap((p) => p.skipped));
  out.held.push(...parts.flatMap((p) => p.held));
  out.planned = eligible.map(({ plan, action }) => ({
    id: plan.id,
    name: plan.name,
    expiresOn: action.expiresOn,
    finalNoticeSentAt: action.finalNoticeSentAt,
    reason: action.reason,
  }));

  const cap = deletionCap(known.clones, options);
  out.counts.cap = cap;
  const selected = eligible.slice(0, cap);
  for (const { plan } of eligible.slice(cap)) {
    out.skipped.push(
      item(
        plan,
        `deferred: ${eligible.length} eligible, cap ${cap} this run (SWEEP_MAX_DELETIONS_PER_RUN ${options.maxDeletionsPerRun}, SWEEP_MAX_DELETION_PERCENT ${options.maxDeletionPercent}% of ${known.clones} known clones); oldest expiry first`,
      ),
    );
  }

  if (options.mode === 'dry-run') {
    await recordWouldDelete(selected, deps, out);
    return out;
  }
  await finishInterrupted(
    parts.flatMap((p) => p.interrupted),
    deps,
    out,
  );
  await deleteSelected(selected, deps, options, now, out);
  return out;
}

/**
 * One subscription: its inventory rows (with their ETags), the plan, the subscription's locks where a candidate needs
 * them, and what the sweep keeps of it (counts, candidates with the peers their re-plan needs, rows to settle).
 */
async function planSubscription(
  subscriptionId: string,
  listedServers: Server[],
  now: Date,
  deps: SweepDeps,
): Promise<SubscriptionSweep> {
  const versioned = await deps.inventory.listVersioned({ subscriptionId: subscriptionId.toLowerCase() });
  const rowsByKey = new Map(versioned.map((r) => [r.value.key, r]));
  const servers = await withCreationTimes(listedServers, rowsByKey, deps, 8);
  const listing = { subscriptionId, servers, rows: versioned.map((r) => r.value) };
  const failed: SweepItem[] = [];
  const planned = await planWithLocks(listing, now, deps, failed);
  const known = knownClones([planned]);
  const { eligible, skipped, held } = sweepSelection([planned]);
  const interrupted: Interrupted[] = [];
  const stillEligible = new Set(eligible.map((e) => e.plan.key));
  for (const row of listing.rows) {
    if (row.state !== 'deleting') continue;
    const listed = planned.live.has(row.key);
    if (listed && stillEligible.has(row.key)) continue;
    interrupted.push({ row, listed, plan: listed ? planned.plans.find((p) => p.key === row.key) : undefined });
  }
  return {
    servers: servers.length,
    known,
    // A re-plan rests on the candidate and its possible twins only: keep those, not the subscription's listing.
    eligible: eligible.map((e) => ({ ...e, peers: twinCandidates(e.server, servers), row: rowsByKey.get(e.plan.key) })),
    skipped,
    held,
    failed,
    interrupted,
  };
}

async function planWithLocks(
  listing: { subscriptionId: string; servers: Server[]; rows: InventoryRecord[] },
  now: Date,
  deps: SweepDeps,
  failed: SweepItem[],
): Promise<PlannedSubscription> {
  const context = planContext(deps);
  const first = planForSweep(listing.servers, listing.rows, now, context);
  const needLocks = needingLocks(first);
  const live = new Map(listing.servers.map((s) => [s.key, s]));
  if (needLocks.length > 0) {
    // One lock list for the subscription; the only other lock read is the re-check right before each DELETE.
    try {
      const locks = await deps.servers.listSubscriptionLocks(listing.subscriptionId);
      for (const p of needLocks) {
        const server = live.get(p.key);
        if (server) live.set(p.key, { ...server, locks: locksOn(server.key, locks) });
      }
    } catch (error) {
      // Unknown locks never delete: the plan keeps them at locks-not-read.
      for (const p of needLocks) failed.push(item(p, `read locks: ${errorMessage(error)}`));
    }
  }
  if (needLocks.length === 0) return { ...listing, plans: first, live };
  // The second pass plans only the candidates and the peers their classification can rest on.
  const subset = new Set<string>();
  for (const p of needLocks) {
    const server = live.get(p.key);
    if (!server) continue;
    subset.add(p.key);
    for (const twin of twinCandidates(server, listing.servers)) subset.add(twin.key);
  }
  const second = planForSweep(
    [...subset].map((key) => live.get(key)!),
    listing.rows.filter((r) => subset.has(r.key)),
    now,
    context,
  );
  const decided = new Map(second.map((p) => [p.key, p]));
  const relocked = new Set(needLocks.map((p) => p.key));
  return { ...listing, plans: first.map((p) => (relocked.has(p.key) ? (decided.get(p.key) ?? p) : p)), live };
}

function planContext(deps: SweepDeps): SweepPlanContext {
  return {
    policy: deps.policy,
    settings: {
      fallbackMailbox: deps.settings.fallbackMailbox,
      allowedRecipientDomains: [...deps.settings.allowedRecipientDomains],
    },
  };
}

async function recordWouldDelete(
  selected: readonly Selected[],
  deps: SweepDeps,
  out: Mutable<SweepResult>,
): Promise<void> {
  const at = out.at;
  const entries: EvidenceEntry[] = selected.map(({ plan, action, row }) => ({
    serverKey: plan.key,
    id: `sweep:would-delete:${action.expiresOn}`,
    at,
    actor: deps.actor,
    kind: 'would-delete',
    summary: `Would delete ${plan.name} (dry-run): expired ${action.expiresOn}`,
    reason: action.reason,
    details: { mode: 'dry-run', action, noticesSent: row?.value.noticesSent ?? [] },
  }));
  if (entries.length > 0) await deps.evidence.append(entries);
  out.wouldDelete.push(...selected.map(({ plan, action }) => item(plan, action.reason)));
}

/**
 * Rows left at `deleting` by an interrupted run: a server that is gone is recorded deleted (no second DELETE);
 * one still listed but no longer eligible gets its row back, so nothing stays marked for deletion by mistake.
 */
async function finishInterrupted(
  interrupted: readonly Interrupted[],
  deps: SweepDeps,
  out: Mutable<SweepResult>,
): Promise<void> {
  const work = interrupted.map(({ row, listed, plan }) => async () => {
    if (listed) return releaseRow(row, plan, deps, out);
    // The list did not show it: confirm with a read before recording the deletion.
    if (await deps.servers.get(row.id)) return;
    const stored = await deps.inventory.get(row.key);
    if (!stored || stored.value.state !== 'deleting') return;
    const reason = stored.value.deleteReason ?? 'expired clone';
    await recordDeleted(
      stored,
      { outcome: 'finished', reason, details: { noticesSent: stored.value.noticesSent } },
      deps,
      out.at,
    );
    out.deleted.push({
      id: row.id,
      name: row.name,
      outcome: 'finished',
      reason: `an interrupted run asked ARM to delete it; now gone (${reason})`,
    });
  });
  await runLimited(work, 8, (error, index) =>
    out.failed.push({
      id: `interrupted#${index}`,
      name: '',
      reason: `finish an interrupted deletion: ${errorMessage(error)}`,
    }),
  );
}

async function releaseRow(
  row: InventoryRecord,
  plan: ServerPlan | undefined,
  deps: SweepDeps,
  out: Mutable<SweepResult>,
): Promise<void> {
  const stored = await deps.inventory.get(row.key);
  if (!stored || stored.value.state !== 'deleting') return;
  const { deletedBy: _by, deleteReason: _reason, ...rest } = stored.value;
  const reason = releaseReason(plan);
  await deps.evidence.append([
    {
      serverKey: row.key,
      id: `sweep:released:${row.expiresOn ?? 'none'}:${out.at}`,
      at: out.at,
      actor: deps.actor,
      kind: 'deletion-cancelled',
      summary: `Deletion of ${row.name} cancelled: ${reason}`,
      reason,
      before: { state: 'deleting' },
      after: { state: plan?.held ? 'held' : 'governed' },
    },
  ]);
  await deps.inventory.upsert(
    { ...rest, state: plan?.held ? 'held' : 'governed', updatedAt: out.at },
    { ifMatch: stored.etag },
  );
  out.skipped.push({ id: row.id, name: row.name, reason: `interrupted deletion cancelled: ${reason}` });
}

async function deleteSelected(
  selected: readonly Selected[],
  deps: SweepDeps,
  options: SweepOptions,
  now: Date,
  out: Mutable<SweepResult>,
): Promise<void> {
  let aborted: unknown;
  let done = 0;
  const tasks = selected.map((candidate) => ({
    key: candidate.server.subscriptionId.toLowerCase(),
    run: async () => {
      if (aborted !== undefined) return;
      try {
        await deleteOne(candidate, deps, options, now, out, (error) => (aborted ??= error));
      } finally {
        options.onProgress?.(++done, selected.length, 'delete');
      }
    },
  }));
  const perSubscription = options.concurrencyPerSubscription ?? DEFAULT_CONCURRENCY_PER_SUBSCRIPTION;
  await runLimitedPerKey(tasks, options.concurrency ?? DEFAULT_CONCURRENCY, perSubscription, (error) => {
    if (!(error instanceof SweepAborted)) aborted ??= error;
  });
  if (aborted !== undefined) throw aborted instanceof Error ? aborted : new Error(errorMessage(aborted));
}

async function deleteOne(
  candidate: Selected,
  deps: SweepDeps,
  options: SweepOptions,
  now: Date,
  out: Mutable<SweepResult>,
  abort: (error: unknown) => void,
): Promise<void> {
  const { plan, action } = candidate;
  const hook = async (run: () => void | Promise<void>) => {
    try {
      await run();
    } catch (error) {
      abort(error);
      throw new SweepAborted('aborted by a hook');
    }
  };
  // The row as planned, with its ETag: the intent below writes only over that version, so a row written since
  // (an extend, a hold, a concurrent run) cancels this deletion instead of being read again here.
  const stored = candidate.row;
  let live: Server | undefined;
  try {
    live = await deps.servers.get(plan.id, { withLocks: true });
  } catch (error) {
    out.failed.push(item(plan, `re-read before delete: ${errorMessage(error)}`));
    return;
  }
  if (!live) return void out.skipped.push(item(plan, 'gone before the delete (not by this run; reconcile records it)'));
  const underWay = deleteUnderWay(live);
  if (underWay) return void out.skipped.push(item(plan, underWay));
  if (!stored) return void out.skipped.push(item(plan, 'no inventory row to record the deletion in'));
  const change = changeSincePlanning(candidate, live, stored.value, now, planContext(deps));
  if (change) return void out.skipped.push(item(plan, `changed since planning: ${change}`));

  const at = out.at;
  const noticesSent = stored.value.noticesSent;
  // Intent: the row first (a concurrent writer cancels cleanly), then the evidence; both before ARM is asked.
  const intent: InventoryRecord = {
    ...stored.value,
    state: 'deleting',
    expiresOn: action.expiresOn,
    deletedBy: deps.actor,
    deleteReason: action.reason,
    updatedAt: at,
  };
  let intentEtag: string;
  try {
    intentEtag = await deps.inventory.upsert(intent, { ifMatch: stored.etag });
    await deps.evidence.append([
      {
        serverKey: plan.key,
        id: `sweep:deleting:${action.expiresOn}`,
        at,
        actor: deps.actor,
        kind: 'deleting',
        summary: `Deleting ${plan.name}: expired ${action.expiresOn}`,
        reason: action.reason,
        before: { state: stored.value.state, tags: live.tags },
        details: { action, noticesSent, proof: plan.proof },
      },
    ]);
  } catch (error) {
    if (error instanceof ConcurrencyError)
      return void out.skipped.push(item(plan, 'changed since planning: the inventory row was written meanwhile'));
    out.failed.push(item(plan, `record the intent to delete: ${errorMessage(error)}`));
    return;
  }

  await hook(() => options.hooks?.beforeDelete?.(plan.id));
  let outcome: Awaited<ReturnType<SweepDeps['servers']['delete']>>;
  try {
    outcome = await modify(deps.servers, { server: plan, proof: plan.proof }, action);
  } catch (error) {
    // The row stays at `deleting`: the next run sees whether ARM took it (gone) or not (deletes again).
    out.failed.push(item(plan, `delete: ${errorMessage(error)}`));
    return;
  }
  await hook(() => options.hooks?.afterDelete?.(plan.id, outcome));

  const intended = { value: intent, etag: intentEtag };
  try {
    if (outcome === 'locked') {
      const reason = 'ARM refused the delete: 409 ScopeLocked (a lock appeared after the re-check)';
      await deps.evidence.append([
        {
          serverKey: plan.key,
          id: `sweep:held:${action.expiresOn}`,
          at,
          actor: deps.actor,
          kind: 'held',
          summary: `${plan.name} is locked; not deleted`,
          reason,
          details: { action },
        },
      ]);
      const { deletedBy: _by, deleteReason: _reason, ...rest } = intended.value;
      await deps.inventory.upsert({ ...rest, state: 'held', updatedAt: at }, { ifMatch: intended.etag });
      out.held.push(item(plan, reason));
      return;
    }
    await recordDeleted(intended, { outcome, reason: action.reason, details: { action, noticesSent } }, deps, at);
    out.deleted.push({ ...item(plan, action.reason), outcome });
  } catch (error) {
    out.failed.push(item(plan, `record the ${outcome} outcome (the next run finishes it): ${errorMessage(error)}`));
  }
}

/** Evidence first, then the row: a crash in between leaves `deleting`, which the next run finishes under the same evidence id. */
async function recordDeleted(
  stored: Versioned<InventoryRecord>,
  what: { outcome: string; reason: string; details: Record<string, unknown> },
  deps: SweepDeps,
  at: string,
): Promise<void> {
  const row = stored.value;
  await deps.evidence.append([
    {
      serverKey: row.key,
      // The intent set expiresOn to the action's: a finishing run writes the same id.
      id: `sweep:deleted:${row.expiresOn ?? 'none'}`,
      at,
      actor: deps.actor,
      kind: 'deleted',
      summary: `Deleted ${row.name} (${what.outcome})`,
      reason: what.reason,
      before: { state: row.state },
      after: { state: 'deleted', deletedAt: at, deletedBy: deps.actor },
      details: { outcome: what.outcome, ...what.details },
    },
  ]);
  await deps.inventory.upsert(
    { ...row, state: 'deleted', deletedAt: at, deletedBy: deps.actor, deleteReason: what.reason, updatedAt: at },
    { ifMatch: stored.etag },
  );
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function emptyResult(mode: SweepOptions['mode'], at: string): Mutable<SweepResult> {
  return {
    mode,
    at,
    planned: [],
    deleted: [],
    wouldDelete: [],
    skipped: [],
    failed: [],
    held: [],
    counts: { subscriptions: 0, servers: 0, knownClones: 0, disagreements: 0, cap: 0 },
  };
}

function countsOf(r: SweepResult): Record<string, number> {
  return {
    ...r.counts,
    planned: r.planned.length,
    deleted: r.deleted.length,
    wouldDelete: r.wouldDelete.length,
    skipped: r.skipped.length,
    failed: r.failed.length,
    held: r.held.length,
    stopped: r.stoppedBecause ? 1 : 0,
  };
}
