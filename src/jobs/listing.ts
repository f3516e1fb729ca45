import type { InventoryRecord, Server } from '../domain/model.js';
import type { Versioned } from '../ports/inventory.js';
import type { GovernDeps } from './deps.js';
import { errorMessage } from '../errorMessage.js';

/** A subscription's servers as listed, or why its listing failed (a failed listing is never taken for an empty one). */
export type Listed = { readonly servers: Server[] } | { readonly error: string };

/**
 * Each governed subscription's servers, handed to `each` as they arrive, at most `limit` subscriptions in hand at once,
 * so memory holds a few subscriptions rather than the estate. Through Azure Resource Graph when configured (one query
 * for every subscription, a subscription at a time; one it does not show has no servers), falling back to ARM lists
 * for the subscriptions not yet handed out when the query fails; through ARM lists otherwise.
 * `each` is called once per subscription id (in the casing given), and must not throw.
 * @example await forEachListed(deps, ids, 4, 'sweep', async (id, listed) => ('error' in listed ? fail(id) : plan(id, listed.servers)));
 */
export async function forEachListed(
  deps: Pick<GovernDeps, 'servers' | 'listing' | 'log'>,
  subscriptionIds: readonly string[],
  limit: number,
  job: string,
  each: (subscriptionId: string, listed: Listed) => Promise<void>,
): Promise<void> {
  const byLower = new Map(subscriptionIds.map((s) => [s.toLowerCase(), s]));
  const handed = new Set<string>();
  const inHand = new Set<Promise<void>>();
  const hand = async (subscriptionId: string, listed: Listed) => {
    handed.add(subscriptionId.toLowerCase());
    while (inHand.size >= Math.max(1, limit)) await Promise.race(inHand);
    const work = each(subscriptionId, listed).finally(() => inHand.delete(work));
    inHand.add(work);
  };
  if (deps.listing) {
    try {
      for await (const group of deps.listing.listBySubscription([...byLower.keys()])) {
        const subscriptionId = byLower.get(group.subscriptionId.toLowerCase());
        if (subscriptionId !== undefined && !handed.has(subscriptionId.toLowerCase()))
          await hand(subscriptionId, { servers: group.servers });
      }
      // Resource Graph answered for every subscription: one it did not show has no servers.
      for (const subscriptionId of subscriptionIds)
        if (!handed.has(subscriptionId.toLowerCase())) await hand(subscriptionId, { servers: [] });
    } catch (error) {
      deps.log?.(
        `${job}: the Resource Graph listing failed, listing the remaining subscriptions through ARM: ${errorMessage(error)}`,
      );
    }
  }
  for (const subscriptionId of subscriptionIds) {
    if (handed.has(subscriptionId.toLowerCase())) continue;
    handed.add(subscriptionId.toLowerCase());
    while (inHand.size >= Math.max(1, limit)) await Promise.race(inHand);
    const work = (async () => {
      let listed: Listed;
      try {
        listed = { servers: await deps.servers.list(subscriptionId) };
      } catch (error) {
        listed = { error: errorMessage(error) };
      }
      await each(subscriptionId, listed);
    })().finally(() => inHand.delete(work));
    inHand.add(work);
  }
  await Promise.all(inHand);
}

/** Beyond this many servers without a creation time, one ARM list of the subscription costs less than a GET each. */
const GETS_BEFORE_A_LIST = 20;

/**
 * A listing without systemData (Resource Graph) has no creation times, which classification compares: a server takes
 * its own from its row, and a server without one (new to the warden) is read from ARM: a GET each, or, when many are
 * new (a first run), one ARM list of the subscription and those servers' engines (a page per 100 servers). Throws
 * when such a read fails.
 */
export async function withCreationTimes(
  servers: Server[],
  rows: ReadonlyMap<string, Versioned<InventoryRecord> | InventoryRecord>,
  deps: Pick<GovernDeps, 'servers'>,
  concurrency: number,
): Promise<Server[]> {
  if (servers.every((s) => s.createdAt !== undefined)) return servers;
  const out = [...servers];
  const missing: number[] = [];
  out.forEach((server, i) => {
    if (server.createdAt !== undefined) return;
    const stored = rows.get(server.key);
    const row = stored && 'value' in stored ? stored.value : stored;
    if (row?.createdAt && row.state !== 'deleted') out[i] = { ...server, createdAt: row.createdAt };
    else missing.push(i);
  });
  if (missing.length > GETS_BEFORE_A_LIST) {
    // Only the engines of the servers without one: a SQL database has its creationDate in any listing.
    const engines = [...new Set(missing.map((i) => out[i]!.engine))];
    const listed = new Map(
      (await deps.servers.list(out[missing[0]!]!.subscriptionId, { engines })).map((s) => [s.key, s.createdAt]),
    );
    for (const i of missing.splice(0)) {
      const createdAt = listed.get(out[i]!.key);
      if (createdAt !== undefined) out[i] = { ...out[i]!, createdAt };
      else missing.push(i);
    }
  }
  let failure: Error | undefined;
  await runLimited(
    missing.map((i) => async () => void (out[i] = (await deps.servers.get(out[i]!.id)) ?? out[i]!)),
    concurrency,
    (error) => (failure ??= error instanceof Error ? error : new Error(String(error))),
  );
  if (failure) throw failure;
  return out;
}

/** Runs tasks with at most `limit` in flight; a failing task is reported and the rest go on. */
export async function runLimited(
  tasks: ReadonlyArray<() => Promise<void>>,
  limit: number,
  onError: (error: unknown, index: number) => void,
): Promise<void> {
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

/**
 * Runs tasks in their order with at most `limit` in flight in all and `perKey` for any one key (a subscription: ARM's
 * budgets are per subscription, so one subscription's work never crowds out the others'). A task whose key is full
 * waits while later tasks of other keys start. A failing task is reported and the rest go on.
 * @example await runLimitedPerKey(deletions.map((d) => ({ key: d.subscriptionId, run: () => remove(d) })), 32, 4, onError)
 */
export async function runLimitedPerKey(
  tasks: ReadonlyArray<{ readonly key: string; readonly run: () => Promise<void> }>,
  limit: number,
  perKey: number,
  onError: (error: unknown, index: number) => void,
): Promise<void> {
  const waiting = tasks.map((_, i) => i);
  const active = new Map<string, number>();
  let running = 0;
  await new Promise<void>((resolve) => {
    const pump = () => {
      for (let w = 0; w < waiting.length && running < Math.max(1, limit);) {
        const index = waiting[w]!;
        const task = tasks[index]!;
        if ((active.get(task.key) ?? 0) >= Math.max(1, perKey)) {
          w++;
          continue;
        }
        waiting.splice(w, 1);
        running++;
        active.set(task.key, (active.get(task.key) ?? 0) + 1);
        void (async () => {
          try {
            await task.run();
          } catch (error) {
            onError(error, index);
          } finally {
            running--;
            active.set(task.key, active.get(task.key)! - 1);
            pump();
          }
        })();
      }
      if (running === 0 && waiting.length === 0) resolve();
    };
    pump();
  });
}
