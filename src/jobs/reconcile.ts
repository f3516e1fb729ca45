import { groupBy } from '../domain/collections.js';
import { recordWardenStart } from './since.js';
import { serverKey } from '../domain/ids.js';
import { restoreEvidenceFrom, serverTouchedBy } from '../domain/activityLog.js';
import { lockSignature, locksOn } from '../domain/locks.js';
import type { InventoryRecord, ManagementLock, ProofLevel, RestoreEvidence, Server } from '../domain/model.js';
import { proofOfRecord } from '../domain/proof.js';
import { refreshDue } from '../domain/refresh.js';
import { buildPlan } from '../domain/plan.js';
import { classify } from '../domain/classify.js';
import { ruleOf } from '../domain/policy.js';
import { recordFromPlan } from '../domain/record.js';
import type { InventoryWrite, Versioned } from '../ports/inventory.js';
import type { GovernDeps } from './deps.js';
import { governServer } from './govern.js';
import { forEachListed, runLimited, withCreationTimes, type Listed } from './listing.js';

/** Kept here for the callers that import it from reconcile. */
export { runLimited };
import { errorMessage } from '../errorMessage.js';

export interface ReconcileOutcome {
  readonly subscriptions: number;
  readonly servers: number;
  readonly clones: number;
  readonly added: number;
  readonly updated: number;
  readonly governed: number;
  readonly vanished: number;
  readonly unchanged: number;
  /** Clones whose firewall rules (and locks) were read live: new, changed, or their turn in the full refresh. */
  readonly cloneReads: number;
  /** Of those, clones read only because it was their turn in the full refresh. */
  readonly refreshed: number;
  readonly failed: ReadonlyArray<{ id: string; reason: string }>;
}

/**
 * @example await reconcile(deps, { refreshPeriodMs: config.reconcile.refreshPeriodMs, onProgress: (done, total) => ... })
 */
export interface ReconcileOptions {
  readonly onProgress?: (done: number, total: number) => void;
  /** Every clone's firewall rules and locks are read live at least once in this period (RECONCILE_REFRESH_HOURS; default 6 h). */
  readonly refreshPeriodMs?: number;
}

const DEFAULT_REFRESH_PERIOD_MS = 6 * 3_600_000;

const CHECKPOINT = 'reconcile:activity-log';
/**
 * How far back the first run reads the Activity Log: as far as Azure keeps it (90 days), so restores made before the
 * warden was installed are proven when Azure still has their record. A subscription with rows recorded before the
 * warden kept proof reads as far back too, once, to prove what it can of them.
 */
export const ACTIVITY_LOG_RETENTION_MS = 90 * 24 * 3_600_000;

/**
 * The safety net under the event path: lists every governed subscription, reads the Activity Log since the last
 * checkpoint, governs what is new or changed, and records servers that vanished. A subscription whose listing
 * failed is skipped whole: its rows are never marked deleted from an incomplete list.
 */
export async function reconcile(deps: GovernDeps, options: ReconcileOptions = {}): Promise<ReconcileOutcome> {
  const now = deps.clock.now();
  const runId = `reconcile:${now.toISOString()}`;
  await deps.runs.started('reconcile', now.toISOString());
  const totals = { subscriptions: 0, ...noCounts() };
  const failed: Array<{ id: string; reason: string }> = [];
  try {
    await recordWardenStart(deps.checkpoints, now.toISOString());
    const checkpoint = await deps.checkpoints.get(CHECKPOINT);
    const since = checkpoint
      ? new Date(JSON.parse(checkpoint.value) as string)
      : new Date(now.getTime() - ACTIVITY_LOG_RETENTION_MS);
    const window = { since, now, periodMs: options.refreshPeriodMs ?? DEFAULT_REFRESH_PERIOD_MS };
    const subscriptions = deps.settings.subscriptionIds.map((s) => s.toLowerCase());
    // Each subscription's failures, merged in the order of the settings however the subscriptions interleave.
    const failures: Array<Array<{ id: string; reason: string }>> = subscriptions.map(() => []);
    let done = 0;
    let complete = true;
    let broken: Error | undefined;
    // A few subscriptions at once, through Resource Graph when configured (falling back to ARM lists), each as it arrives.
    await forEachListed(deps, subscriptions, SUBSCRIPTIONS_AT_ONCE, 'reconcile', async (subscriptionId, listed) => {
      const mine = failures[subscriptions.indexOf(subscriptionId)]!;
      try {
        const outcome = await reconcileSubscription(subscriptionId, listed, window, runId, deps, mine);
        totals.subscriptions++;
        for (const k of Object.keys(outcome.counts) as Array<keyof Counts>) totals[k] += outcome.counts[k];
        complete &&= outcome.complete;
      } catch (error) {
        broken ??= error instanceof Error ? error : new Error(errorMessage(error));
      }
      options.onProgress?.(++done, subscriptions.length);
    });
    if (broken !== undefined) throw broken;
    failed.push(...failures.flat());
    // Advance only past what every subscription read and recorded; restores seen in a failed part are read again next time.
    if (complete) {
      await deps.checkpoints.set(CHECKPOINT, JSON.stringify(now.toISOString()));
    }
    const result = { ...totals, failed };
    await deps.runs.finished('reconcile', deps.clock.now().toISOString(), {
      ok: failed.length === 0,
      error: failed[0]?.reason,
      counts: { ...totals, failed: failed.length },
    });
    return result;
  } catch (error) {
    await deps.runs.finished('reconcile', deps.clock.now().toISOString(), { ok: false, error: errorMessage(error) });
    throw error;
  }
}

/** Subscriptions reconciled at once: each holds its listing, rows and plan until it is done. */
const SUBSCRIPTIONS_AT_ONCE = 4;

/** Clones governed at once per subscription: each needs an ARM read (firewall rules) and maybe a few writes. */
const CLONE_CONCURRENCY = 16;

/** The reconcile window: the Activity Log and the refresh schedule cover (since, now]. */
interface Window {
  readonly since: Date;
  readonly now: Date;
  readonly periodMs: number;
}

/**
 * One subscription: the listing, the inventory partition, the Activity Log of the window and the subscription's locks
 * (one list each, paged). A clone is read and governed only when something says it may have changed: no row yet, a
 * listing that differs from its row, an Activity Log entry on it or its children, locks that differ from those its row
 * recorded, or its turn in the full-refresh schedule. The others cost no ARM call.
 */
async function reconcileSubscription(
  subscriptionId: string,
  listing: Listed,
  window: Window,
  runId: string,
  deps: GovernDeps,
  failed: Array<{ id: string; reason: string }>,
): Promise<{ counts: Counts; complete: boolean }> {
  const { since, now } = window;
  const counts = noCounts();
  if ('error' in listing) {
    failed.push({ id: `/subscriptions/${subscriptionId}`, reason: listing.error });
    return { counts, complete: false };
  }
  let servers = listing.servers;
  const failedBefore = failed.length;
  const rows = await deps.inventory.listVersioned({ subscriptionId });
  // Rows written before proof was recorded: read the whole retained Activity Log once to prove what it still can.
  const legacy = rows.some(
    (r) => r.value.proof === undefined && r.value.state !== 'deleted' && r.value.classification !== 'not-a-clone',
  );
  const from = legacy ? new Date(Math.min(since.getTime(), now.getTime() - ACTIVITY_LOG_RETENTION_MS)) : since;
  const [activity, subscriptionLocks] = await Promise.all([
    activitySince(subscriptionId, from, now, deps, failed),
    // Unknown locks (the list failed) make every clone's read fall back to a lock read of its own.
    deps.servers.listSubscriptionLocks(subscriptionId).catch((error: unknown) => {
      deps.log?.(
        `reconcile: could not list the locks of subscription ${subscriptionId}, reading each clone's: ${errorMessage(error)}`,
      );
      return undefined;
    }),
  ]);
  const { restoreEvidence, touched } = activity;
  const rowsByKey = new Map(rows.map((r) => [r.value.key, r]));
  try {
    servers = await withCreationTimes(servers, rowsByKey, deps, CLONE_CONCURRENCY);
  } catch (error) {
    failed.push({ id: `/subscriptions/${subscriptionId}`, reason: `read new servers: ${errorMessage(error)}` });
    return { counts, complete: false };
  }
  const liveByKey = new Map(servers.map((s) => [s.key, s]));
  const evidenceByKey = groupBy(restoreEvidence, (e) => serverKey(e.serverId));
  counts.servers = servers.length;

  const plan = buildPlan({
    now,
    policy: deps.policy,
    servers,
    inventory: rows.map((r) => r.value),
    restoreEvidence,
    settings: {
      fallbackMailbox: deps.settings.fallbackMailbox,
      allowedRecipientDomains: [...deps.settings.allowedRecipientDomains],
    },
    drillClientAddresses: deps.settings.drillClientAddresses ?? [],
  });

  const pass: SubscriptionPass = {
    servers,
    evidenceByKey,
    runId,
    now,
    deps,
    counts,
    failed,
    actionFailures: new Set(),
  };
  const listed: InventoryWrite[] = [];
  const tasks: Task[] = [];
  for (const serverPlan of plan.servers) {
    const live = liveByKey.get(serverPlan.key);
    if (!live) continue;
    const row = rowsByKey.get(serverPlan.key);
    if (serverPlan.classification !== 'not-a-clone') {
      counts.clones++;
      const locks = subscriptionLocks ? locksOn(live.key, subscriptionLocks) : undefined;
      const changedBecause = whyRead({
        live,
        row: row?.value,
        classification: serverPlan.classification,
        proof: serverPlan.proof.level,
        locks,
        touched,
        evidence: evidenceByKey.has(live.key),
        window,
      });
      if (changedBecause) {
        deps.log?.(`reconcile: reading ${live.name} (${changedBecause})`);
        counts.cloneReads++;
        if (changedBecause === 'refresh') counts.refreshed++;
        tasks.push({ id: live.id, run: () => governClone(live, locks, row, pass) });
      } else {
        counts.unchanged++;
      }
    } else if (row && !changed(row.value, live) && row.value.classification === 'not-a-clone') {
      counts.unchanged++;
    } else {
      // Listed, never governed: the row carries the evidence of the classification. Written in batches below.
      const record = recordFromPlan({
        server: live,
        plan: serverPlan,
        previous: row?.value,
        now: now.toISOString(),
        observedAt: now.toISOString(),
      });
      listed.push({ record, ifMatch: row ? row.etag : null });
    }
  }
  await writeListed(listed, now, deps, counts, failed);
  for (const { value: row } of rows) {
    if (!liveByKey.has(row.key) && row.state !== 'deleted')
      tasks.push({ id: row.id, run: () => confirmVanished(row, pass) });
  }
  await runLimited(
    tasks.map((t) => t.run),
    CLONE_CONCURRENCY,
    (error, index) => failed.push({ id: tasks[index]!.id, reason: errorMessage(error) }),
  );
  // A remediation that failed was recorded with its row; anything else that failed here may have lost a restore's evidence.
  const lost = failed.slice(failedBefore).filter((f) => !pass.actionFailures.has(f));
  return { counts, complete: lost.length === 0 };
}

/**
 * Why a listed clone's rules and locks must be read this run, or undefined when nothing can have changed since its
 * last event or check (the listing matches its row, no Activity Log entry on it, same locks, not its refresh turn).
 */
function whyRead(input: {
  live: Server;
  row: InventoryRecord | undefined;
  classification: InventoryRecord['classification'];
  proof: ProofLevel;
  locks: readonly ManagementLock[] | undefined;
  touched: ReadonlyMap<string, string> | undefined;
  evidence: boolean;
  window: Window;
}): string | undefined {
  const { live, row } = input;
  if (!row || row.state === 'deleted') return 'new';
  if (row.classification !== input.classification) return 'classification';
  // An operator's confirmation (or a restore record found late) proves a claimed clone: governed from this run on.
  if (proofOfRecord(row).level !== input.proof) return 'proof';
  if (changed(row, live)) return 'listing';
  if (input.evidence) return 'restore evidence';
  // Entries up to the row's check are reflected in it (the warden's own remediations among them).
  const touchedAt = input.touched?.get(live.key);
  if (!input.touched || (touchedAt !== undefined && (row.checkedAt === undefined || touchedAt > row.checkedAt)))
    return 'activity';
  if (!input.locks || row.lockSignature === undefined || row.lockSignature !== lockSignature(input.locks))
    return 'locks';
  if (refreshDue(live.key, input.window)) return 'refresh';
  return undefined;
}

type Counts = {
  servers: number;
  clones: number;
  added: number;
  updated: number;
  governed: number;
  vanished: number;
  unchanged: number;
  cloneReads: number;
  refreshed: number;
};
type Task = { readonly id: string; readonly run: () => Promise<void> };

function noCounts(): Counts {
  return {
    servers: 0,
    clones: 0,
    added: 0,
    updated: 0,
    governed: 0,
    vanished: 0,
    unchanged: 0,
    cloneReads: 0,
    refreshed: 0,
  };
}

/** What every server of one subscription's pass shares. */
interface SubscriptionPass {
  readonly servers: readonly Server[];
  readonly evidenceByKey: ReadonlyMap<string, RestoreEvidence[]>;
  readonly runId: string;
  readonly now: Date;
  readonly deps: GovernDeps;
  readonly counts: Counts;
  readonly failed: Array<{ id: string; reason: string }>;
  /** Entries of `failed` that are failed remediations (the row and evidence were written). */
  readonly actionFailures: Set<{ id: string; reason: string }>;
}

/**
 * The listing already holds the server and the subscription's lock list its locks: only its rules are read (one ARM
 * call; two when the lock list failed), then it is governed.
 */
async function governClone(
  live: Server,
  knownLocks: readonly ManagementLock[] | undefined,
  stored: Versioned<InventoryRecord> | undefined,
  pass: SubscriptionPass,
): Promise<void> {
  const row = stored?.value;
  const { deps, now } = pass;
  const [firewallRules, locks] = await Promise.all([
    deps.servers.listFirewallRules(live.id),
    knownLocks ?? deps.servers.listLocks(live.id),
  ]);
  const detailed: Server = { ...live, firewallRules, locks };
  const restoreEvidence = pass.evidenceByKey.get(live.key) ?? [];
  const peers = peersOf(detailed, pass.servers, restoreEvidence, row, deps);
  // The listing read the row with its ETag: govern from it rather than reading it again.
  const outcome = await governServer(
    {
      live: detailed,
      key: live.key,
      peers,
      restoreEvidence,
      triggerId: pass.runId,
      observedAt: now.toISOString(),
      periodic: true,
      stored: stored ?? null,
    },
    deps,
  );
  pass.counts.governed++;
  pass.counts[!row ? 'added' : outcome.rowWritten === false ? 'unchanged' : 'updated']++;
  for (const f of outcome.failed) {
    const entry = { id: live.id, reason: `${f.action}: ${f.reason}` };
    pass.failed.push(entry);
    pass.actionFailures.add(entry);
  }
}

/** The list did not show it: confirm with a read before recording a deletion. */
async function confirmVanished(row: InventoryRecord, pass: SubscriptionPass): Promise<void> {
  if (await pass.deps.servers.get(row.id)) return;
  await governServer(
    {
      live: undefined,
      key: row.key,
      peers: [],
      restoreEvidence: [],
      triggerId: pass.runId,
      observedAt: pass.now.toISOString(),
    },
    pass.deps,
  );
  pass.counts.vanished++;
}

/**
 * Rows of servers that are only listed, in batches per subscription partition (`upsertMany`). A row an event handler
 * wrote meanwhile (ETag conflict) is left as that handler wrote it: it read the same server live.
 */
async function writeListed(
  writes: readonly InventoryWrite[],
  now: Date,
  deps: GovernDeps,
  counts: { added: number; updated: number },
  failed: Array<{ id: string; reason: string }>,
): Promise<void> {
  if (writes.length === 0) return;
  try {
    const outcomes = await deps.inventory.upsertMany(writes);
    outcomes.forEach((outcome, i) => {
      if ('conflict' in outcome) return;
      counts[writes[i]!.ifMatch === null ? 'added' : 'updated']++;
    });
  } catch (error) {
    failed.push({
      id: `inventory@${now.toISOString()}`,
      reason: `writing ${writes.length} listed rows: ${errorMessage(error)}`,
    });
  }
}

/**
 * The servers a clone's pass needs besides itself: its source (lineage) or its earlier twin (probable clone), and the
 * source its tags claim even when the claim contradicts itself (so the pass reports a source created after the clone).
 * Found once here against the whole listing, so each pass plans two or three servers instead of the subscription.
 */
function peersOf(
  server: Server,
  servers: readonly Server[],
  restoreEvidence: readonly RestoreEvidence[],
  row: InventoryRecord | undefined,
  deps: GovernDeps,
): Server[] {
  const { source, lineage } = classify(server, {
    servers,
    restoreEvidence,
    ...(row && row.state !== 'deleted' ? { inventory: row } : {}),
    tagKeys: deps.policy.tagKeys,
    sourceKeyPrefix: ruleOf(deps.policy, 'replace-inherited-ownership')?.sourceKeyPrefix ?? 'Source',
  });
  const claimedKey = lineage.sourceServerId ? serverKey(lineage.sourceServerId) : undefined;
  const claimed =
    claimedKey && claimedKey !== source?.key && claimedKey !== server.key
      ? servers.find((s) => s.key === claimedKey)
      : undefined;
  return [source, claimed].filter((s): s is Server => s !== undefined);
}

/**
 * The Activity Log of the window: restore evidence, and the servers it shows touched (themselves or their children),
 * each with the time of its latest entry.
 * `touched` is undefined when the log could not be read: then every clone is read.
 */
async function activitySince(
  subscriptionId: string,
  since: Date,
  now: Date,
  deps: GovernDeps,
  failed: Array<{ id: string; reason: string }>,
): Promise<{ restoreEvidence: RestoreEvidence[]; touched: Map<string, string> | undefined }> {
  try {
    const entries = await deps.activity.list(subscriptionId, { from: since, to: now });
    const restoreEvidence = entries
      .map((e) => restoreEvidenceFrom(e))
      .filter((e): e is RestoreEvidence => e !== undefined);
    const touched = new Map<string, string>();
    for (const entry of entries) {
      const seen = serverTouchedBy(entry);
      if (seen && seen.at > (touched.get(seen.key) ?? '')) touched.set(seen.key, seen.at);
    }
    return { restoreEvidence, touched };
  } catch (error) {
    failed.push({ id: `/subscriptions/${subscriptionId}/activity-log`, reason: errorMessage(error) });
    return { restoreEvidence: [], touched: undefined };
  }
}

function changed(row: InventoryRecord, live: Server): boolean {
  return row.state === 'deleted' || row.serverState !== live.state || !sameTags(row.tags, live.tags);
}

function sameTags(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ak = Object.keys(a);
  return ak.length === Object.keys(b).length && ak.every((k) => a[k] === b[k]);
}
