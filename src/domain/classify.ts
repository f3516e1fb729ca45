import { ENGINE_SPECS } from './engines.js';
import { serverKey } from './ids.js';
import type { Classification, InventoryRecord, Lineage, RestoreEvidence, Server } from './model.js';
import type { TagKeys } from './policy.js';
import { getNonEmptyTag, type Tags } from './tags.js';


/**
 * What the classification knows around one server.
 * @example classify(server, { servers, restoreEvidence, tagKeys: policy.tagKeys })
 */
export interface ClassifyContext {
  /** Every server of the estate (at least of the server's subscription); the server itself may be in it. */
  readonly servers: readonly Server[];
  readonly restoreEvidence?: readonly RestoreEvidence[];
  /** The server's inventory row: lineage captured at birth stays known after its event is gone. */
  readonly inventory?: InventoryRecord;
  readonly tagKeys: TagKeys;
  /** Prefix under which inherited values were kept (`SourceOwner`); those values count as the inherited ones. */
  readonly sourceKeyPrefix?: string;
}

export interface ClassificationResult {
  readonly classification: Classification;
  /** One line per fact behind the decision. */
  readonly evidence: string[];
  readonly lineage: Lineage;
  /** The source server when it is in the estate (lineage source, or the matched server of a probable clone). */
  readonly source?: Server;
  /** The restore entry that proved lineage, when one did. */
  readonly restore?: RestoreEvidence;
}

const RANK: Record<Classification, number> = { 'not-a-clone': 0, 'probable-clone': 1, clone: 2 };

/**
 * Classifies a server: `clone` when lineage is known (the warden's lineage tags, or a restore in the Activity
 * Log with a source), `probable-clone` when it matches an earlier server of the same engine and subscription on
 * administrator login, version, location, storage size and inherited tags, `not-a-clone` otherwise.
 * A classification recorded in the inventory is never lowered (the warden's own tag writes change the tags).
 */
export function classify(server: Server, context: ClassifyContext): ClassificationResult {
  const fresh = classifyLive(server, context);
  const recorded = context.inventory;
  if (!recorded || RANK[recorded.classification] <= RANK[fresh.classification]) {
    return recorded ? { ...fresh, lineage: { ...recorded.lineage, ...definedOnly(fresh.lineage) } } : fresh;
  }
  const lineage = { ...definedOnly(fresh.lineage), ...definedOnly(recorded.lineage) };
  return {
    classification: recorded.classification,
    evidence: [
      `inventory: classified ${recorded.classification} since ${recorded.firstSeenAt}`,
      ...recorded.classificationEvidence.map((line) => `inventory: ${line}`),
      ...fresh.evidence,
    ],
    lineage,
    source: fresh.source ?? findServer(context.servers, lineage.sourceServerId),
    ...(fresh.restore ? { restore: fresh.restore } : {}),
  };
}

function classifyLive(server: Server, context: ClassifyContext): ClassificationResult {
  const keys = context.tagKeys;
  const restoredFrom = getNonEmptyTag(server.tags, keys.restoredFrom);
  const restorePointUtc = getNonEmptyTag(server.tags, keys.restorePointUtc);
  const restoredBy = getNonEmptyTag(server.tags, keys.restoredBy);
  const restore = latestRestore(server, context.restoreEvidence ?? []);
  const evidence: string[] = [];
  let lineage: Lineage = {};

  if (restoredFrom && restorePointUtc) {
    evidence.push(`tags: ${keys.restoredFrom}=${restoredFrom} and ${keys.restorePointUtc}=${restorePointUtc} (the warden's lineage tags)`);
    lineage = { sourceServerId: restoredFrom, restorePointUtc, ...(restoredBy ? { restoredBy } : {}) };
  }
  if (restore) {
    evidence.push(describeRestore(restore));
    lineage = {
      sourceServerId: lineage.sourceServerId ?? restore.sourceServerId,
      restorePointUtc: lineage.restorePointUtc ?? restore.pointInTimeUtc,
      restoredBy: lineage.restoredBy ?? actorName(restore),
      correlationId: restore.correlationId,
    };
  }
  if (evidence.length > 0) {
    const clean = definedOnly(lineage);
    const source = findServer(context.servers, clean.sourceServerId);
    return { classification: 'clone', evidence, lineage: clean, ...(source ? { source } : {}), ...(restore ? { restore } : {}) };
  }

  const match = earlierTwin(server, context);
  if (match) {
    return {
      classification: 'probable-clone',
      evidence: [
        `matches ${match.id} created earlier (${match.createdAt}): same administratorLogin "${server.administratorLogin}", version ${server.version}, ` +
          `location ${server.location}, storage ${server.storageSizeGb} GB and inherited tags`,
      ],
      lineage: {},
      source: match,
    };
  }
  if (restoredFrom) evidence.push(`tags: ${keys.restoredFrom} present without ${keys.restorePointUtc}: not enough for lineage`);
  evidence.push('no lineage tags, no restore in the activity log, no earlier server with the same login, version, location, storage and tags');
  return { classification: 'not-a-clone', evidence, lineage: {} };
}

/** The newest restore entry of this server that created it from a source, failed attempts excluded. */
function latestRestore(server: Server, entries: readonly RestoreEvidence[]): RestoreEvidence | undefined {
  return entries
    .filter((e) => serverKey(e.serverId) === server.key)
    // Create modes that make a new server out of another server's backups (a read replica is not a restore clone).
    .filter((e) => ENGINE_SPECS[server.engine].cloneCreateModes.some((mode) => mode.toLowerCase() === (e.createMode ?? '').toLowerCase()))
    .filter((e) => Boolean(e.sourceServerId) && e.status.toLowerCase() !== 'failed')
    .sort((a, b) => (a.at === b.at ? a.key.localeCompare(b.key) : a.at < b.at ? -1 : 1))
    .at(-1);
}

function describeRestore(e: RestoreEvidence): string {
  const point = e.pointInTimeUtc ? ` to ${e.pointInTimeUtc}` : '';
  const by = actorName(e) ?? 'an unknown principal';
  const correlation = e.correlationId ? `, correlation ${e.correlationId}` : '';
  return `activity log: ${e.createMode} of ${e.sourceServerId}${point} by ${by} at ${e.at} (${e.operationName} ${e.status}${correlation})`;
}

/** The most useful name of who restored: the UPN, else the display name, else the application or object id. */
export function actorName(e: Pick<RestoreEvidence, 'actor'>): string | undefined {
  return e.actor.upn ?? e.actor.name ?? e.actor.appId ?? e.actor.objectId;
}

function earlierTwin(server: Server, context: ClassifyContext): Server | undefined {
  if (!server.createdAt || server.administratorLogin === undefined) return undefined;
  const mine = inheritedTagSet(server.tags, context);
  return context.servers
    .filter(
      // The login first: it rules out nearly every other server at the cost of one comparison (this runs for every pair).
      (other) =>
        other.administratorLogin === server.administratorLogin &&
        other.key !== server.key &&
        other.engine === server.engine &&
        other.subscriptionId.toLowerCase() === server.subscriptionId.toLowerCase() &&
        other.createdAt !== undefined &&
        Date.parse(other.createdAt) < Date.parse(server.createdAt!) &&
        other.version === server.version &&
        other.location.toLowerCase() === server.location.toLowerCase() &&
        other.storageSizeGb === server.storageSizeGb &&
        inheritedTagSet(other.tags, context) === mine,
    )
    .sort((a, b) => (a.createdAt === b.createdAt ? a.key.localeCompare(b.key) : a.createdAt! < b.createdAt! ? -1 : 1))[0];
}

/**
 * The tags a restore would have copied from its source, as a comparable string: the warden's own keys and
 * the clone labels (incident, purpose, expiry, lineage, hold) left out, and values kept under the source
 * prefix (SourceOwner) put back under their key.
 */
export function inheritedTagSet(tags: Tags, context: Pick<ClassifyContext, 'tagKeys' | 'sourceKeyPrefix'>): string {
  const k = context.tagKeys;
  const own = new Set([k.restoredFrom, k.restorePointUtc, k.restoredBy, k.expiresOn, k.legalHold, k.incident, k.purpose].map((key) => key.toLowerCase()));
  const prefix = (context.sourceKeyPrefix ?? 'Source').toLowerCase();
  const set = new Map<string, string>();
  for (const [key, value] of Object.entries(tags)) {
    const lower = key.toLowerCase();
    if (own.has(lower) || lower.startsWith(prefix)) continue;
    set.set(lower, value);
  }
  for (const [key, value] of Object.entries(tags)) {
    const lower = key.toLowerCase();
    if (lower.startsWith(prefix) && lower.length > prefix.length) set.set(lower.slice(prefix.length), value);
  }
  return JSON.stringify([...set.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function findServer(servers: readonly Server[], id: string | undefined): Server | undefined {
  if (!id) return undefined;
  const key = serverKey(id);
  return servers.find((s) => s.key === key);
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== '')) as T;
}
