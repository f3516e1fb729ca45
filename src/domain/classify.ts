import { ENGINE_SPECS } from './engines.js';
import { serverKey } from './ids.js';
import type {
  Classification,
  InventoryRecord,
  Lineage,
  OperatorDecision,
  Proof,
  ProofBasis,
  ProofLevel,
  RestoreEvidence,
  Server,
} from './model.js';
import {
  decisionsFor,
  lineageContradictions,
  proofOfRecord,
  PROOF_RANK,
  promotionOf,
  restoreRecordProblem,
  rowOfIncarnation,
  verdictOf,
} from './proof.js';
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
  /** How well the classification is known: only `proven` clones are ever modified. */
  readonly proof: Proof;
  readonly lineage: Lineage;
  /** The source server when it is in the estate (lineage source, or the matched server of a probable clone). */
  readonly source?: Server;
  /** The restore entry that proved lineage, when one did. */
  readonly restore?: RestoreEvidence;
  /** The operator's promotion of this server: its clone lifecycle ended for good. */
  readonly promoted?: OperatorDecision;
}

const CLASS_OF: Record<ProofLevel, Classification> = {
  proven: 'clone',
  claimed: 'clone',
  suspected: 'probable-clone',
  none: 'not-a-clone',
};

/**
 * Classifies a server and records its proof. Proven: an operator confirmed it, the warden made the restore, or the
 * Activity Log's record of its create carries the restore (a record of another server of the same name does not
 * count). Claimed: the lineage tags alone (a claim that contradicts itself is reported with its contradictions).
 * Suspected: an earlier server of the same engine and subscription with the same administrator login, version,
 * location, storage size and inherited tags. An operator's dismissal makes it not a clone for good. The inventory row
 * of the same server keeps what it recorded: a proof is never lowered by a pass that sees less.
 */
export function classify(server: Server, context: ClassifyContext): ClassificationResult {
  const row = rowOfIncarnation(context.inventory, server);
  const decisions = decisionsFor(server, row?.decisions);
  const promoted = promotionOf(decisions);
  const withPromotion = (r: ClassificationResult): ClassificationResult =>
    promoted && r.proof.level !== 'none' ? { ...r, promoted } : r;
  const verdict = verdictOf(decisions);
  if (verdict?.kind === 'dismissed') {
    const line = `operator: dismissed by ${verdict.by} at ${verdict.at}: ${verdict.reason}`;
    return {
      classification: 'not-a-clone',
      evidence: [line],
      proof: { level: 'none', evidence: [line], contradictions: [] },
      lineage: {},
    };
  }
  const fresh = classifyLive(server, context);
  const recordedLineage = row?.lineage ?? {};
  const merge = (lineage: Lineage) => ({ ...definedOnly(recordedLineage), ...definedOnly(lineage) });
  const provenAt = row && row.proof?.level === 'proven' ? row.proof.provenAt : undefined;
  const proven = (basis: ProofBasis, line: string, lineage: Lineage): ClassificationResult => {
    const clean = merge(lineage);
    const source = fresh.source ?? findServer(context.servers, clean.sourceServerId);
    const evidence = [line, ...fresh.evidence.filter((l) => l !== line)];
    return withPromotion({
      classification: 'clone',
      evidence,
      proof: { level: 'proven', basis, evidence, contradictions: [], ...(provenAt ? { provenAt } : {}) },
      lineage: clean,
      ...(source ? { source } : {}),
      ...(fresh.restore ? { restore: fresh.restore } : {}),
    });
  };
  if (verdict?.kind === 'confirmed-clone') {
    const lineage = {
      ...definedOnly(fresh.lineage),
      ...definedOnly({ sourceServerId: verdict.sourceServerId, restorePointUtc: verdict.restorePointUtc }),
    };
    return proven(
      'operator',
      `operator: confirmed a clone by ${verdict.by} at ${verdict.at}: ${verdict.reason}`,
      lineage,
    );
  }
  const governed = decisions.filter((d) => d.kind === 'governed-restore').at(-1);
  if (governed) {
    const lineage = {
      ...definedOnly(fresh.lineage),
      ...definedOnly({
        sourceServerId: governed.sourceServerId,
        restorePointUtc: governed.restorePointUtc,
        restoredBy: governed.by,
      }),
    };
    return proven(
      'governed-restore',
      `warden: governed restore by ${governed.by} at ${governed.at}: ${governed.reason}`,
      lineage,
    );
  }
  if (fresh.proof.level === 'proven')
    return withPromotion({
      ...fresh,
      lineage: merge(fresh.lineage),
      proof: { ...fresh.proof, ...(provenAt ? { provenAt } : {}) },
    });
  const recorded = row ? proofOfRecord(row) : undefined;
  if (recorded && PROOF_RANK[recorded.level] > PROOF_RANK[fresh.proof.level]) {
    const evidence = [
      ...recorded.evidence.map((line) => (line.startsWith('inventory: ') ? line : `inventory: ${line}`)),
      ...fresh.evidence,
    ];
    const lineage = { ...definedOnly(fresh.lineage), ...definedOnly(recordedLineage) };
    return withPromotion({
      classification: CLASS_OF[recorded.level],
      evidence,
      proof: { ...recorded, evidence },
      lineage,
      ...((fresh.source ?? findServer(context.servers, lineage.sourceServerId))
        ? { source: (fresh.source ?? findServer(context.servers, lineage.sourceServerId))! }
        : {}),
      ...(fresh.restore ? { restore: fresh.restore } : {}),
    });
  }
  return withPromotion({ ...fresh, lineage: fresh.proof.level === 'none' ? fresh.lineage : merge(fresh.lineage) });
}

function classifyLive(server: Server, context: ClassifyContext): ClassificationResult {
  const keys = context.tagKeys;
  const restoredFrom = getNonEmptyTag(server.tags, keys.restoredFrom);
  const restorePointUtc = getNonEmptyTag(server.tags, keys.restorePointUtc);
  const restoredBy = getNonEmptyTag(server.tags, keys.restoredBy);
  const records = restoresOf(server, context.restoreEvidence ?? []);
  const evidence: string[] = [];
  const rejected = records.map((r) => restoreRecordProblem(server, r)).filter((p): p is string => p !== undefined);
  const restore = records.filter((r) => restoreRecordProblem(server, r) === undefined).at(-1);
  const tagLineage: Lineage =
    restoredFrom && restorePointUtc
      ? { sourceServerId: restoredFrom, restorePointUtc, ...(restoredBy ? { restoredBy } : {}) }
      : {};

  if (restore) {
    evidence.push(describeRestore(restore));
    if (restoredFrom && serverKey(restoredFrom) !== serverKey(restore.sourceServerId ?? '')) {
      evidence.push(
        `tags: ${keys.restoredFrom}=${restoredFrom} differs from the Activity Log's source; the Activity Log is taken`,
      );
    }
    const lineage = definedOnly({
      sourceServerId: restore.sourceServerId ?? tagLineage.sourceServerId,
      restorePointUtc: restore.pointInTimeUtc ?? tagLineage.restorePointUtc,
      restoredBy: tagLineage.restoredBy ?? actorName(restore),
      correlationId: restore.correlationId,
    });
    const source = findServer(context.servers, lineage.sourceServerId);
    return {
      classification: 'clone',
      evidence,
      proof: { level: 'proven', basis: 'activity-log', evidence: [...evidence], contradictions: [] },
      lineage,
      ...(source ? { source } : {}),
      restore,
    };
  }
  evidence.push(...rejected.map((p) => `activity log: ${p}`));
  if (tagLineage.sourceServerId) {
    const source = findServer(context.servers, tagLineage.sourceServerId);
    const contradictions = lineageContradictions(server, tagLineage, source);
    evidence.push(
      `tags: ${keys.restoredFrom}=${restoredFrom} and ${keys.restorePointUtc}=${restorePointUtc} claim a restore; no Activity Log record, governed restore or operator confirmation proves it`,
    );
    evidence.push(...contradictions.map((c) => `contradiction: ${c}`));
    return {
      classification: 'clone',
      evidence,
      proof: { level: 'claimed', evidence: [...evidence], contradictions },
      lineage: tagLineage,
      ...(source && contradictions.length === 0 ? { source } : {}),
    };
  }

  const match = earlierTwin(server, context);
  if (match) {
    evidence.push(
      `matches ${match.id} created earlier (${match.createdAt}): same administratorLogin "${server.administratorLogin}", version ${server.version}, ` +
        `location ${server.location}, storage ${server.storageSizeGb} GB and inherited tags (servers from one template look alike too)`,
    );
    return {
      classification: 'probable-clone',
      evidence,
      proof: { level: 'suspected', evidence: [...evidence], contradictions: [] },
      lineage: {},
      source: match,
    };
  }
  if (restoredFrom)
    evidence.push(`tags: ${keys.restoredFrom} present without ${keys.restorePointUtc}: not enough for lineage`);
  evidence.push(
    'no restore in the Activity Log, no lineage tags, no earlier server with the same login, version, location, storage and tags',
  );
  return {
    classification: 'not-a-clone',
    evidence,
    proof: { level: 'none', evidence: [...evidence], contradictions: [] },
    lineage: {},
  };
}

/** The restore entries of this server that created it from a source, oldest first, failed attempts excluded. */
function restoresOf(server: Server, entries: readonly RestoreEvidence[]): RestoreEvidence[] {
  return (
    (entries.length === 0 ? entries : (evidenceIndex(entries).get(server.key) ?? []))
      // Create modes that make a new server out of another server's backups (a read replica is not a restore clone).
      .filter((e) =>
        ENGINE_SPECS[server.engine].cloneCreateModes.some(
          (mode) => mode.toLowerCase() === (e.createMode ?? '').toLowerCase(),
        ),
      )
      .filter((e) => Boolean(e.sourceServerId) && e.status.toLowerCase() !== 'failed')
      .sort((a, b) => (a.at === b.at ? a.key.localeCompare(b.key) : a.at < b.at ? -1 : 1))
  );
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
  // Only the other servers with the same login (the estate's index): the rest can never be this server's twin.
  const sameLogin = (estateIndex(context.servers).byLogin.get(server.administratorLogin) ?? []).filter(
    (other) => other.key !== server.key,
  );
  if (sameLogin.length === 0) return undefined;
  const mine = inheritedTagSet(server.tags, context);
  return sameLogin
    .filter(
      (other) =>
        other.engine === server.engine &&
        other.subscriptionId.toLowerCase() === server.subscriptionId.toLowerCase() &&
        other.createdAt !== undefined &&
        Date.parse(other.createdAt) < Date.parse(server.createdAt!) &&
        other.version === server.version &&
        other.location.toLowerCase() === server.location.toLowerCase() &&
        other.storageSizeGb === server.storageSizeGb &&
        inheritedTagSet(other.tags, context) === mine,
    )
    .sort((a, b) =>
      a.createdAt === b.createdAt ? a.key.localeCompare(b.key) : a.createdAt! < b.createdAt! ? -1 : 1,
    )[0];
}

/**
 * The tags a restore would have copied from its source, as a comparable string: the warden's own keys and
 * the clone labels (incident, purpose, expiry, lineage, hold) left out, and values kept under the source
 * prefix (SourceOwner) put back under their key.
 */
export function inheritedTagSet(tags: Tags, context: Pick<ClassifyContext, 'tagKeys' | 'sourceKeyPrefix'>): string {
  const k = context.tagKeys;
  const own = new Set(
    [k.restoredFrom, k.restorePointUtc, k.restoredBy, k.expiresOn, k.legalHold, k.incident, k.purpose].map((key) =>
      key.toLowerCase(),
    ),
  );
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
  return estateIndex(servers).byKey.get(serverKey(id));
}

/** An estate's servers by key (the first of a key, as a search in order finds) and by administrator login. */
interface EstateIndex {
  readonly size: number;
  readonly byKey: ReadonlyMap<string, Server>;
  readonly byLogin: ReadonlyMap<string, readonly Server[]>;
}

const estateIndexes = new WeakMap<readonly Server[], EstateIndex>();

/**
 * The index of an estate, built once per array and kept while the array lives: a plan classifies every server of a
 * subscription against the same array, and a search of the whole array for each server would make that quadratic.
 */
function estateIndex(servers: readonly Server[]): EstateIndex {
  const known = estateIndexes.get(servers);
  if (known && known.size === servers.length) return known;
  const byKey = new Map<string, Server>();
  const byLogin = new Map<string, Server[]>();
  for (const s of servers) {
    if (!byKey.has(s.key)) byKey.set(s.key, s);
    if (s.administratorLogin === undefined) continue;
    const same = byLogin.get(s.administratorLogin);
    if (same) same.push(s);
    else byLogin.set(s.administratorLogin, [s]);
  }
  const index = { size: servers.length, byKey, byLogin };
  estateIndexes.set(servers, index);
  return index;
}

const evidenceIndexes = new WeakMap<
  readonly RestoreEvidence[],
  { readonly size: number; readonly byServer: ReadonlyMap<string, readonly RestoreEvidence[]> }
>();

/** Restore evidence by the key of the server it created, built once per array (in the array's order). */
function evidenceIndex(entries: readonly RestoreEvidence[]): ReadonlyMap<string, readonly RestoreEvidence[]> {
  const known = evidenceIndexes.get(entries);
  if (known && known.size === entries.length) return known.byServer;
  const byServer = new Map<string, RestoreEvidence[]>();
  for (const e of entries) {
    const key = serverKey(e.serverId);
    const same = byServer.get(key);
    if (same) same.push(e);
    else byServer.set(key, [e]);
  }
  evidenceIndexes.set(entries, { size: entries.length, byServer });
  return byServer;
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== '')) as T;
}
