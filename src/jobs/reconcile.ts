import { serverKey } from '../domain/ids.js';
import { restoreEvidenceFrom } from '../domain/activityLog.js';
import type { InventoryRecord, RestoreEvidence, Server } from '../domain/model.js';
import { buildPlan } from '../domain/plan.js';
import { recordFromPlan } from '../domain/record.js';
import type { GovernDeps } from './deps.js';
import { governServer } from './govern.js';

export interface ReconcileOutcome {
  readonly subscriptions: number;
  readonly servers: number;
  readonly clones: number;
  readonly added: number;
  readonly updated: number;
  readonly governed: number;
  readonly vanished: number;
  readonly unchanged: number;
  readonly failed: ReadonlyArray<{ id: string; reason: string }>;
}

const CHECKPOINT = 'reconcile:activity-log';
/** How far back the first run reads the Activity Log (it keeps 90 days; a day catches any recent restore). */
const FIRST_WINDOW_MS = 24 * 3_600_000;

/**
 * The safety net under the event path: lists every governed subscription, reads the Activity Log since the last
 * checkpoint, governs what is new or changed, and records servers that vanished. A subscription whose listing
 * failed is skipped whole: its rows are never marked deleted from an incomplete list.
 */
export async function reconcile(deps: GovernDeps, options: { onProgress?: (done: number, total: number) => void } = {}): Promise<ReconcileOutcome> {
  const now = deps.clock.now();
  const runId = `reconcile:${now.toISOString()}`;
  await deps.runs.started('reconcile', now.toISOString());
  const totals = { subscriptions: 0, servers: 0, clones: 0, added: 0, updated: 0, governed: 0, vanished: 0, unchanged: 0 };
  const failed: Array<{ id: string; reason: string }> = [];
  try {
    const checkpoint = await deps.checkpoints.get(CHECKPOINT);
    const since = checkpoint ? new Date(JSON.parse(checkpoint.value) as string) : new Date(now.getTime() - FIRST_WINDOW_MS);
    let done = 0;
    for (const subscriptionId of deps.settings.subscriptionIds) {
      const outcome = await reconcileSubscription(subscriptionId, since, now, runId, deps, failed);
      totals.subscriptions++;
      for (const k of Object.keys(outcome) as Array<keyof typeof outcome>) totals[k] += outcome[k];
      options.onProgress?.(++done, deps.settings.subscriptionIds.length);
    }
    // Advance only past what every subscription read; a failed one is read again next time.
    if (!failed.some((f) => f.id.startsWith('/subscriptions/') && !f.id.includes('/resourcegroups/'))) {
      await deps.checkpoints.set(CHECKPOINT, JSON.stringify(now.toISOString()));
    }
    const result = { ...totals, failed };
    await deps.runs.finished('reconcile', deps.clock.now().toISOString(), { ok: failed.length === 0, error: failed[0]?.reason, counts: { ...totals, failed: failed.length } });
    return result;
  } catch (error) {
    await deps.runs.finished('reconcile', deps.clock.now().toISOString(), { ok: false, error: error instanceof Error ? error.message : String(error) });
    throw error;
  }
}

async function reconcileSubscription(
  subscriptionId: string,
  since: Date,
  now: Date,
  runId: string,
  deps: GovernDeps,
  failed: Array<{ id: string; reason: string }>,
) {
  const counts = { servers: 0, clones: 0, added: 0, updated: 0, governed: 0, vanished: 0, unchanged: 0 };
  let servers: Server[];
  try {
    servers = await deps.servers.list(subscriptionId);
  } catch (error) {
    failed.push({ id: `/subscriptions/${subscriptionId}`, reason: error instanceof Error ? error.message : String(error) });
    return counts;
  }
  const [rows, restoreEvidence] = await Promise.all([deps.inventory.list({ subscriptionId }), restoreEvidenceSince(subscriptionId, since, now, deps, failed)]);
  const rowsByKey = new Map(rows.map((r) => [r.key, r]));
  const liveByKey = new Map(servers.map((s) => [s.key, s]));
  counts.servers = servers.length;

  const plan = buildPlan({
    now,
    policy: deps.policy,
    servers,
    inventory: rows,
    restoreEvidence,
    settings: { fallbackMailbox: deps.settings.fallbackMailbox, allowedRecipientDomains: [...deps.settings.allowedRecipientDomains] },
  });

  const work: Array<() => Promise<void>> = [];
  for (const serverPlan of plan.servers) {
    const live = liveByKey.get(serverPlan.key);
    if (!live) continue;
    const row = rowsByKey.get(serverPlan.key);
    if (serverPlan.classification === 'not-a-clone') {
      if (row && !changed(row, live) && row.classification === 'not-a-clone') {
        counts.unchanged++;
        continue;
      }
      // Listed, never governed: the row carries the evidence of the classification.
      work.push(async () => {
        const record = recordFromPlan({ server: live, plan: serverPlan, previous: row, now: now.toISOString(), observedAt: now.toISOString() });
        await deps.inventory.upsert(record);
        counts[row ? 'updated' : 'added']++;
      });
      continue;
    }
    counts.clones++;
    work.push(async () => {
      const detailed = await deps.servers.get(live.id, { withFirewallRules: true, withLocks: true });
      const outcome = await governServer(
        { live: detailed, key: serverPlan.key, peers: servers, restoreEvidence: restoreEvidence.filter((e) => serverKey(e.serverId) === serverPlan.key), triggerId: runId, observedAt: now.toISOString() },
        deps,
      );
      counts.governed++;
      counts[row ? 'updated' : 'added']++;
      for (const f of outcome.failed) failed.push({ id: live.id, reason: `${f.action}: ${f.reason}` });
    });
  }
  for (const row of rows) {
    if (liveByKey.has(row.key) || row.state === 'deleted') continue;
    work.push(async () => {
      // The list did not show it: confirm with a read before recording a deletion.
      const confirmed = await deps.servers.get(row.id);
      if (confirmed) return;
      await governServer({ live: undefined, key: row.key, peers: [], restoreEvidence: [], triggerId: runId, observedAt: now.toISOString() }, deps);
      counts.vanished++;
    });
  }
  await runLimited(work, 8, (error, index) => failed.push({ id: `${subscriptionId}#${index}`, reason: error instanceof Error ? error.message : String(error) }));
  return counts;
}

async function restoreEvidenceSince(subscriptionId: string, since: Date, now: Date, deps: GovernDeps, failed: Array<{ id: string; reason: string }>): Promise<RestoreEvidence[]> {
  try {
    const entries = await deps.activity.list(subscriptionId, { from: since, to: now });
    return entries.map((e) => restoreEvidenceFrom(e)).filter((e): e is RestoreEvidence => e !== undefined);
  } catch (error) {
    failed.push({ id: `/subscriptions/${subscriptionId}/activity-log`, reason: error instanceof Error ? error.message : String(error) });
    return [];
  }
}

function changed(row: InventoryRecord, live: Server): boolean {
  return row.state === 'deleted' || row.serverState !== live.state || !sameTags(row.tags, live.tags);
}

function sameTags(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ak = Object.keys(a);
  return ak.length === Object.keys(b).length && ak.every((k) => a[k] === b[k]);
}

/** Runs tasks with at most `limit` in flight; a failing task is reported and the rest go on. */
export async function runLimited(tasks: ReadonlyArray<() => Promise<void>>, limit: number, onError: (error: unknown, index: number) => void): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      try {
        await tasks[index]!();
      } catch (error) {
        onError(error, index);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}
