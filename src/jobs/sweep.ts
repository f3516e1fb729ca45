import { locksOfSignature, locksOn, type ScopedLock } from '../domain/locks.js';
import type { EvidenceEntry, InventoryRecord, Server } from '../domain/model.js';
import type { ServerPlan } from '../domain/plan.js';
import {
  changeSincePlanning,
  deletionCap,
  deletionRecorded,
  deleteUnderWay,
  finishedDeletion,
  disagreementStop,
  knownClones,
  lockedLive,
  needingLocks,
  planForSweep,
  releaseReason,
  sweepItem as item,
  sweepSelection,
  twinCandidates,
  TwinIndex,
  type DeletionOutcome,
  type Eligible,
  type PlannedSubscription,
  type SweepCandidate,
  type SweepItem,
  type SweepPlanContext,
} from '../domain/sweep.js';
import { DEFAULTS } from '../config.js';
import { ConcurrencyError, type Versioned } from '../ports/inventory.js';
import { serverKey } from '../domain/ids.js';
import type { GovernDeps } from './deps.js';
import { modify } from './gate.js';
import { forEachListed, runLimited, runLimitedPerKey, withCreationTimes } from './listing.js';
import { chunksOf, groupBy } from '../domain/collections.js';
import type { DeleteOutcome } from '../ports/servers.js';
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
  /** Deletions in flight at once (default 32). */
  readonly concurrency?: number;
  /** Of those, at most this many of one subscription (default 8): ARM's budgets are per subscription. */
  readonly concurrencyPerSubscription?: number;
  /** Test seams around each DELETE; a throw aborts the run the way a crash would (nothing more is written). */
  readonly hooks?: {
    readonly beforeDelete?: (id: string) => void | Promise<void>;
    readonly afterDelete?: (id: string, outcome: string) => void | Promise<void>;
  };
}

export type { SweepCandidate, SweepItem } from '../domain/sweep.js';

export interface SweepDeletion extends SweepItem {
  /**
   * `requested`: ARM accepted the DELETE (a flexible server takes about a minute to go); the row stays `deleting` until
   * the delete event, reconcile or the next sweep records the server gone. `finished`: an earlier run had asked ARM;
   * this run found the server gone and recorded it.
   */
  readonly outcome: 'requested' | 'deleted' | 'already-gone' | 'finished';
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
  /** As listed, with its ETag: recording the deletion writes only over it. */
  readonly row: Versioned<InventoryRecord>;
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
/**
 * Deletions in flight per subscription (within ARM's budgets: 200 deletes, refilled 10/s), and in all: four
 * subscriptions' worth. The app passes ARM_CONCURRENCY_PER_SUBSCRIPTION (`config.sweep`); its default is the fallback.
 * A subscription's group of deletions in flight shares one lock list and one Table transaction.
 */
const DEFAULT_CONCURRENCY_PER_SUBSCRIPTION = DEFAULTS.ARM_CONCURRENCY_PER_SUBSCRIPTION;
const DEFAULT_CONCURRENCY = SUBSCRIPTIONS_AT_ONCE * DEFAULT_CONCURRENCY_PER_SUBSCRIPTION;

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
  // The servers by login, for each candidate's possible twins: built once for the subscription.
  const twins = new TwinIndex(servers);
  const planned = await planWithLocks(listing, twins, now, deps, failed);
  const known = knownClones([planned]);
  const { eligible, skipped, held } = sweepSelection([planned]);
  const interrupted: Interrupted[] = [];
  const stillEligible = new Set(eligible.map((e) => e.plan.key));
  const plansByKey = new Map(planned.plans.map((p) => [p.key, p]));
  for (const row of versioned) {
    const { key, state } = row.value;
    if (state !== 'deleting') continue;
    const listed = planned.live.has(key);
    if (listed && stillEligible.has(key)) continue;
    interrupted.push({ row, listed, plan: listed ? plansByKey.get(key) : undefined });
  }
  return {
    servers: servers.length,
    known,
    // A re-plan rests on the candidate and its possible twins only: keep those, not the subscription's listing.
    eligible: eligible.map((e) => ({ ...e, peers: twinCandidates(e.server, twins), row: rowsByKey.get(e.plan.key) })),
    skipped,
    held,
    failed,
    interrupted,
  };
}

async function planWithLocks(
  listing: { subscriptionId: string; servers: Server[]; rows: InventoryRecord[] },
  twins: TwinIndex,
  now: Date,
  deps: SweepDeps,
  failed: SweepItem[],
): Promise<PlannedSubscription> {
  const context = planContext(deps);
  const first = planForSweep(listing.servers, listing.rows, now, context);
  const needLocks = needingLocks(first);
  const live = new Map(listing.servers.map((s) => [s.key, s]));
  // The locks each row recorded when reconcile last read them (it compares every row with the subscription's lock list
  // each run); the live re-check right before each DELETE reads them again, so a lock placed since still keeps its
  // clone. Only rows that never recorded their locks need the subscription's lock list here.
  const recorded = new Map(listing.rows.map((r) => [r.key, r.lockSignature]));
  const unread: ServerPlan[] = [];
  for (const p of needLocks) {
    const server = live.get(p.key);
    const signature = recorded.get(p.key);
    if (server && signature !== undefined) live.set(p.key, { ...server, locks: locksOfSignature(signature) });
    else unread.push(p);
  }
  if (unread.length > 0) {
    try {
      const locks = await deps.servers.listSubscriptionLocks(listing.subscriptionId);
      for (const p of unread) {
        const server = live.get(p.key);
        if (server) live.set(p.key, { ...server, locks: locksOn(server.key, locks) });
      }
    } catch (error) {
      // Unknown locks never delete: the plan keeps them at locks-not-read.
      for (const p of unread) failed.push(item(p, `read locks: ${errorMessage(error)}`));
    }
  }
  if (needLocks.length === 0) return { ...listing, plans: first, live };
  // The second pass plans only the candidates and the peers their classification can rest on.
  const subset = new Set<string>();
  for (const p of needLocks) {
    const server = live.get(p.key);
    if (!server) continue;
    subset.add(p.key);
    for (const twin of twinCandidates(server, twins)) subset.add(twin.key);
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
 * Rows left at `deleting` by an earlier run (one that asked ARM and did not wait, or died): a server that is gone is
 * recorded deleted (no second DELETE); one still listed but no longer eligible gets its row back, so nothing stays
 * marked for deletion by mistake.
 */
async function finishInterrupted(
  interrupted: readonly Interrupted[],
  deps: SweepDeps,
  out: Mutable<SweepResult>,
): Promise<void> {
  // Gone: its evidence entry first (each server its own partition), then the rows in batches per subscription.
  const gone: { stored: Versioned<InventoryRecord>; record: InventoryRecord; reason: string }[] = [];
  const work = interrupted.map(({ row: stored, listed, plan }) => ({
    key: stored.value.subscriptionId.toLowerCase(),
    run: async () => {
      const row = stored.value;
      if (listed) return releaseRow(row, plan, deps, out);
      // The list did not show it: confirm with a read before recording the deletion.
      if (await deps.servers.get(row.id)) return;
      const { entry, record, reason } = finishedDeletion(row, deps.actor, out.at);
      await deps.evidence.append([entry]);
      gone.push({ stored, record, reason });
    },
  }));
  await runLimitedPerKey(work, DEFAULT_CONCURRENCY, DEFAULT_CONCURRENCY_PER_SUBSCRIPTION, (error, index) => {
    const row = interrupted[index]!.row.value;
    out.failed.push(item(row, `finish an interrupted deletion: ${errorMessage(error)}`));
  });
  let outcomes;
  try {
    outcomes = await deps.inventory.upsertMany(gone.map((g) => ({ record: g.record, ifMatch: g.stored.etag })));
  } catch (error) {
    // The rows stay at `deleting` and their evidence is written: the next run writes the rows under the same entry.
    for (const { stored } of gone)
      out.failed.push(item(stored.value, `record a finished deletion: ${errorMessage(error)}`));
    return;
  }
  gone.forEach(({ stored: { value: row }, reason }, i) => {
    // Written since listing: the delete event (or another run) recorded it first.
    if ('conflict' in outcomes[i]!) return;
    out.deleted.push({
      id: row.id,
      name: row.name,
      outcome: 'finished',
      reason: `an earlier run asked ARM to delete it; now gone (${reason})`,
    });
  });
}

/** How `awaitDeletions` waits. */
export interface AwaitOptions {
  /** Between two reads of the servers still there (default 10 s; a delete takes ARM about a minute). */
  readonly pollIntervalMs?: number;
  /** Gives up after this long in all (default 10 minutes); what is left is recorded by the next run or its event. */
  readonly timeoutMs?: number;
  readonly onProgress?: (done: number, total: number, label: string) => void;
  /** The wait between reads (tests pass one that moves a clock). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Waits for the deletions a sweep asked of ARM (`requested`) to end, reading each server until ARM no longer has it,
 * and records each gone as the next run or its delete event would (same evidence entry, the row over the version read):
 * `pitr-warden sweep --enforce --wait`. Returns the deletions with their outcome now, `finished` for those recorded.
 * @example const { deletions, pending } = await awaitDeletions(deps, result.deleted, { pollIntervalMs: 10_000 })
 */
export async function awaitDeletions(
  deps: Pick<SweepDeps, 'servers' | 'inventory' | 'evidence' | 'actor' | 'clock'>,
  deletions: readonly SweepDeletion[],
  options: AwaitOptions = {},
): Promise<{
  deletions: SweepDeletion[];
  /** Still under way at the deadline, or gone but not recorded. */ pending: number;
}> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  const waiting = new Set(deletions.filter((d) => d.outcome === 'requested').map((d) => d.id));
  const total = waiting.size;
  const finished = new Set<string>();
  let unrecorded = 0;
  while (waiting.size > 0) {
    const gone: string[] = [];
    await runLimited(
      [...waiting].map((id) => async () => {
        if (!(await deps.servers.get(id))) gone.push(id);
      }),
      DEFAULT_CONCURRENCY,
      () => undefined, // a failed read is read again next round
    );
    for (const id of gone) {
      waiting.delete(id);
      try {
        if (await recordFinished(id, deps)) finished.add(id);
      } catch {
        // Gone but not recorded: the next run (or the delete event) records it.
        unrecorded++;
      }
    }
    options.onProgress?.(total - waiting.size, total, 'deleted by ARM');
    if (waiting.size === 0 || Date.now() >= deadline) break;
    await sleep(options.pollIntervalMs ?? 10_000);
  }
  return {
    deletions: deletions.map((d) => (finished.has(d.id) ? { ...d, outcome: 'finished' } : d)),
    pending: waiting.size + unrecorded,
  };
}

/** The row of a server ARM deleted at the sweep's request, recorded deleted; false when someone else recorded it. */
async function recordFinished(
  id: string,
  deps: Pick<SweepDeps, 'inventory' | 'evidence' | 'actor' | 'clock'>,
): Promise<boolean> {
  const stored = await deps.inventory.get(serverKey(id));
  if (!stored || stored.value.state !== 'deleting') return stored?.value.state === 'deleted';
  const { entry, record } = finishedDeletion(stored.value, deps.actor, deps.clock.now().toISOString());
  await deps.evidence.append([entry]);
  try {
    await deps.inventory.upsert(record, { ifMatch: stored.etag });
  } catch (error) {
    // The delete event recorded it meanwhile, under the same entry.
    if (!(error instanceof ConcurrencyError)) throw error;
  }
  return true;
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
  const abort: Abort = { error: undefined };
  let done = 0;
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  const perSubscription = Math.max(1, options.concurrencyPerSubscription ?? DEFAULT_CONCURRENCY_PER_SUBSCRIPTION);
  // A subscription's deletions go in groups whose intents are one Table transaction (the rows share the subscription's
  // partition); a group is as large as the subscription's share of the deletions in flight.
  const size = Math.min(perSubscription, concurrency);
  const tasks = [...groupBy(selected, (c) => c.server.subscriptionId.toLowerCase())].flatMap(([key, candidates]) =>
    chunksOf(candidates, size).map((group) => ({
      key,
      run: async () => {
        if (abort.error !== undefined) return;
        try {
          await deleteGroup(group, deps, options, now, out, abort);
        } finally {
          done += group.length;
          options.onProgress?.(done, selected.length, 'delete');
        }
      },
    })),
  );
  await runLimitedPerKey(tasks, Math.max(1, Math.floor(concurrency / size)), 1, (error) => {
    if (!(error instanceof SweepAborted)) abort.error ??= error;
  });
  if (abort.error !== undefined)
    throw abort.error instanceof Error ? abort.error : new Error(errorMessage(abort.error));
}

/** The first error a hook threw: the run stops as a crash would, writing nothing more. */
interface Abort {
  error: unknown;
}

/** A candidate that passed its live re-check, with the intent to record before ARM is asked. */
interface Checked {
  readonly candidate: Selected;
  readonly live: Server;
  readonly stored: Versioned<InventoryRecord>;
  readonly intent: InventoryRecord;
}

/**
 * One group of a subscription's deletions: each is re-read live (server and locks) and must show nothing changed since
 * planning; the intents go to the rows in one transaction, each over the version planned from (a row written since
 * cancels only its own deletion), then to the evidence; then ARM is asked to delete, without waiting for the minute a
 * delete takes. An accepted delete leaves its row at `deleting`: the delete event, reconcile or the next sweep records
 * the server gone under the same evidence id.
 */
async function deleteGroup(
  group: readonly Selected[],
  deps: SweepDeps,
  options: SweepOptions,
  now: Date,
  out: Mutable<SweepResult>,
  abort: Abort,
): Promise<void> {
  // The servers and their subscription's locks are read at once: one lock list for the group, not a read per server.
  const [locks, lives] = await Promise.all([
    deps.servers.listSubscriptionLocks(group[0]!.server.subscriptionId).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    Promise.allSettled(group.map((candidate) => deps.servers.get(candidate.plan.id))),
  ]);
  if ('error' in locks) {
    // Unknown locks never delete: the group waits for the next run.
    for (const { plan } of group)
      out.failed.push(item(plan, `re-read locks before delete: ${errorMessage(locks.error)}`));
    return;
  }
  const checked = group
    .map((candidate, i) => recheck(candidate, lives[i]!, locks.value, deps, now, out))
    .filter((c): c is Checked => c !== undefined);
  if (checked.length === 0) return;
  await withIntents(checked, deps, out, (c) => deleteOne(c, deps, options, out, abort));
}

/**
 * The live re-read right before the DELETE (the server, and its subscription's locks of the same moment); undefined
 * (and the reason recorded) when the clone must not go now.
 */
function recheck(
  candidate: Selected,
  read: PromiseSettledResult<Server | undefined>,
  locks: readonly ScopedLock[],
  deps: SweepDeps,
  now: Date,
  out: Mutable<SweepResult>,
): Checked | undefined {
  const { plan, action } = candidate;
  // The row as planned, with its ETag: the intent writes only over that version, so a row written since (an extend, a
  // hold, a concurrent run) cancels this deletion instead of being read again here.
  const stored = candidate.row;
  if (read.status === 'rejected') {
    out.failed.push(item(plan, `re-read before delete: ${errorMessage(read.reason)}`));
    return undefined;
  }
  if (!read.value) {
    out.skipped.push(item(plan, 'gone before the delete (not by this run; reconcile records it)'));
    return undefined;
  }
  const live: Server = { ...read.value, locks: locksOn(read.value.key, locks) };
  const underWay = deleteUnderWay(live);
  if (underWay) return void out.skipped.push(item(plan, underWay));
  if (!stored) return void out.skipped.push(item(plan, 'no inventory row to record the deletion in'));
  const change = changeSincePlanning(candidate, live, stored.value, now, planContext(deps));
  if (change) {
    const locked = lockedLive(live);
    return void (locked ? out.held : out.skipped).push(item(plan, locked ?? `changed since planning: ${change}`));
  }
  const intent: InventoryRecord = {
    ...stored.value,
    state: 'deleting',
    expiresOn: action.expiresOn,
    deletedBy: deps.actor,
    deleteReason: action.reason,
    updatedAt: out.at,
  };
  return { candidate, live, stored, intent };
}

/**
 * Intent: the rows first (a concurrent writer cancels cleanly), then each one's evidence, then `act` on it (its
 * DELETE) as soon as its own evidence is written; ARM is asked only after both.
 */
async function withIntents(
  checked: readonly Checked[],
  deps: SweepDeps,
  out: Mutable<SweepResult>,
  act: (intended: Versioned<Checked>) => Promise<void>,
): Promise<void> {
  let outcomes;
  try {
    outcomes = await deps.inventory.upsertMany(checked.map((c) => ({ record: c.intent, ifMatch: c.stored.etag })));
  } catch (error) {
    for (const { candidate } of checked)
      out.failed.push(item(candidate.plan, `record the intent to delete: ${errorMessage(error)}`));
    return;
  }
  await Promise.all(
    checked.map(async (c, i): Promise<void> => {
      const outcome = outcomes[i]!;
      const { plan, action } = c.candidate;
      if ('conflict' in outcome) {
        out.skipped.push(item(plan, 'changed since planning: the inventory row was written meanwhile'));
        return;
      }
      try {
        await deps.evidence.append([
          {
            serverKey: plan.key,
            id: `sweep:deleting:${action.expiresOn}`,
            at: out.at,
            actor: deps.actor,
            kind: 'deleting',
            summary: `Deleting ${plan.name}: expired ${action.expiresOn}`,
            reason: action.reason,
            before: { state: c.stored.value.state, tags: c.live.tags },
            details: { action, noticesSent: c.stored.value.noticesSent, proof: plan.proof },
          },
        ]);
      } catch (error) {
        // The row stays at `deleting` without a DELETE: the next run finds the clone still eligible and tries again.
        out.failed.push(item(plan, `record the intent to delete: ${errorMessage(error)}`));
        return;
      }
      await act({ value: c, etag: outcome.etag });
    }),
  );
}

async function deleteOne(
  checked: Versioned<Checked>,
  deps: SweepDeps,
  options: SweepOptions,
  out: Mutable<SweepResult>,
  abort: Abort,
): Promise<void> {
  const { candidate, intent } = checked.value;
  const { plan, action } = candidate;
  const hook = async (run: () => void | Promise<void>) => {
    if (abort.error !== undefined) throw new SweepAborted('aborted by a hook');
    try {
      await run();
    } catch (error) {
      abort.error ??= error;
      throw new SweepAborted('aborted by a hook');
    }
  };
  await hook(() => options.hooks?.beforeDelete?.(plan.id));
  let outcome: DeleteOutcome;
  try {
    outcome = await modify(deps.servers, { server: plan, proof: plan.proof }, action, { wait: false });
  } catch (error) {
    // The row stays at `deleting`: the next run sees whether ARM took it (gone) or not (deletes again).
    out.failed.push(item(plan, `delete: ${errorMessage(error)}`));
    return;
  }
  await hook(() => options.hooks?.afterDelete?.(plan.id, outcome));

  const at = out.at;
  const intended = { value: intent, etag: checked.etag };
  const noticesSent = intent.noticesSent;
  try {
    if (outcome === 'requested') {
      // ARM accepted it and deletes for about a minute; the row's `deleting` is the record until the server is gone.
      out.deleted.push({ ...item(plan, action.reason), outcome });
      return;
    }
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
  what: DeletionOutcome,
  deps: SweepDeps,
  at: string,
): Promise<void> {
  const { entry, record } = deletionRecorded(stored.value, what, deps.actor, at);
  await deps.evidence.append([entry]);
  await deps.inventory.upsert(record, { ifMatch: stored.etag });
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
    requested: r.deleted.filter((d) => d.outcome === 'requested').length,
    wouldDelete: r.wouldDelete.length,
    skipped: r.skipped.length,
    failed: r.failed.length,
    held: r.held.length,
    stopped: r.stoppedBecause ? 1 : 0,
  };
}
