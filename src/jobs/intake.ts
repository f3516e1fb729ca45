import { serverKey } from '../domain/ids.js';
import { restoreEvidenceFrom } from '../domain/activityLog.js';
import { parseQueueMessage, type IgnoredEvent, type ResourceEvent } from '../domain/events.js';
import type { RestoreEvidence, Server } from '../domain/model.js';
import { KeyedQueue, type GovernDeps } from './deps.js';
import { governServer, type GovernOutcome } from './govern.js';
import { errorMessage } from '../errorMessage.js';

export interface IntakeOutcome {
  readonly events: number;
  readonly ignored: ReadonlyArray<{ reason: string }>;
  readonly governed: readonly GovernOutcome[];
  readonly failed: ReadonlyArray<{ key: string; reason: string }>;
}

const perServer = new KeyedQueue();

/**
 * One queue message (one Event Grid or CloudEvents event, or an Activity Log alert): the event is only a hint, so each
 * server it names is read live from ARM and governed from that. Throws only when the message is not an event
 * (EventFormatError: the host retries, then moves it to the poison queue) or when every server failed.
 */
export async function handleQueueMessage(message: unknown, deps: GovernDeps): Promise<IntakeOutcome> {
  return handleEvents(parseQueueMessage(message), deps);
}

export async function handleEvents(
  parsed: ReadonlyArray<ResourceEvent | IgnoredEvent>,
  deps: GovernDeps,
): Promise<IntakeOutcome> {
  const events = parsed.filter((e): e is ResourceEvent => e.kind !== 'ignored');
  const ignored = parsed.filter((e): e is IgnoredEvent => e.kind === 'ignored').map((e) => ({ reason: e.reason }));
  const governed: GovernOutcome[] = [];
  const failed: Array<{ key: string; reason: string }> = [];
  const governable = events.filter((e) => deps.settings.subscriptionIds.includes(e.subscriptionId));
  for (const e of events)
    if (!governable.includes(e)) ignored.push({ reason: `subscription ${e.subscriptionId} is not governed` });

  await Promise.all(
    latestPerServer(governable).map((event) =>
      perServer
        .run(event.key, () => handleOne(event, deps))
        .then(
          (outcome) => governed.push(outcome),
          (error: unknown) => failed.push({ key: event.key, reason: errorMessage(error) }),
        ),
    ),
  );
  if (failed.length > 0 && governed.length === 0) {
    throw new Error(
      `Could not handle ${failed.length} event(s): ${failed.map((f) => `${f.key}: ${f.reason}`).join('; ')}`,
    );
  }
  return { events: events.length, ignored, governed, failed };
}

async function handleOne(event: ResourceEvent, deps: GovernDeps): Promise<GovernOutcome> {
  const live = await deps.servers.get(event.resourceId, { withFirewallRules: true, withLocks: true });
  const row = await deps.inventory.get(event.key);
  // A row recorded deleted describes an earlier server of the same name: a live one now is new.
  const known = row !== undefined && row.value.state !== 'deleted';
  let peers: Server[] = [];
  let restoreEvidence: RestoreEvidence[] = [];
  // Lineage is captured at birth: for a server not seen before, look for its restore in the Activity Log and, when
  // its own tags do not prove it a clone, for look-alike servers created before it.
  if (live && !known) {
    restoreEvidence = await restoreEvidenceAround(event, deps);
    const sourceId = restoreEvidence.find((e) => e.sourceServerId)?.sourceServerId;
    // The source tells inherited tags (Owner, Environment) from ones written at restore.
    const source = sourceId ? await deps.servers.get(sourceId).catch(() => undefined) : undefined;
    peers = source ? [source] : restoreEvidence.length === 0 ? await deps.servers.list(event.subscriptionId) : [];
  }
  return governServer(
    {
      live,
      key: event.key,
      peers,
      restoreEvidence,
      triggerId: event.eventId ?? event.correlationId ?? `${event.operationName}@${event.eventTime}`,
      observedAt: event.eventTime,
      stored: row ?? null,
    },
    deps,
  );
}

async function restoreEvidenceAround(event: ResourceEvent, deps: GovernDeps): Promise<RestoreEvidence[]> {
  const at = Date.parse(event.eventTime);
  const now = deps.clock.now().getTime();
  const from = new Date((Number.isNaN(at) ? now : at) - 6 * 3_600_000);
  const to = new Date(Math.max(now, Number.isNaN(at) ? now : at + 60_000));
  try {
    const entries = await deps.activity.list(event.subscriptionId, { from, to }, { resourceUri: event.resourceId });
    return entries
      .map((e) => restoreEvidenceFrom(e))
      .filter((e): e is RestoreEvidence => e !== undefined && serverKey(e.serverId) === event.key);
  } catch (error) {
    deps.log?.(
      `Activity Log unavailable for ${event.key}; classifying from tags and look-alikes: ${errorMessage(error)}`,
    );
    return [];
  }
}

/** Several events of one server in one delivery: the newest stands for all (the live read decides anyway). */
function latestPerServer(events: readonly ResourceEvent[]): ResourceEvent[] {
  const byKey = new Map<string, ResourceEvent>();
  for (const e of events) {
    const seen = byKey.get(e.key);
    if (!seen || e.eventTime > seen.eventTime) byKey.set(e.key, e);
  }
  return [...byKey.values()];
}
