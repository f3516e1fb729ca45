/** Operator use cases: governed restore with preflight, extend, hold, release, status. Decisions in src/domain/operator.ts. */
import type { TokenCredential } from '@azure/core-auth';
import { DEFAULT_ENGINE, ENGINE_SPECS, type Engine } from '../domain/engines.js';
import { parseServerId, resourceIdOf, serverId } from '../domain/ids.js';
import type { CloneState, EvidenceEntry, InventoryRecord, OperatorDecision, Proof, Server } from '../domain/model.js';
import { ConcurrencyError } from '../ports/inventory.js';
import {
  jobHealth,
  planExtend,
  planHold,
  planRelease,
  planRestore,
  PreflightError,
  SCHEDULED_JOBS,
  serverNameProblem,
  utcText,
  UNHEALTHY_JOB_STATUSES,
  type JobHealth,
  type JobRunFacts,
} from '../domain/operator.js';
import { classify } from '../domain/classify.js';
import { identityOf } from '../domain/record.js';
import { mayModify, rowOfIncarnation } from '../domain/proof.js';
import { drillHealth, type DrillHealth, type DrillRecord } from '../domain/drills.js';
import type { DrillsPort } from '../ports/drills.js';
import { formatUtc, getTag } from '../domain/tags.js';
import type { GovernDeps } from './deps.js';
import { modify, UnprovenError } from './gate.js';
import { digest } from './govern.js';
import { wardenSince } from './since.js';
import { errorMessage } from '../errorMessage.js';
import { decodeJwtClaims } from '../unsignedJwt.js';

/**
 * What the operator commands act through: the governance ports plus who is running the command.
 * @example await restoreClone({ source: 'pg-orders-prod', time: '2026-11-20T08:00:00Z', name: 'pg-orders-0412', owner, incident }, { ...wired, operator: 'alice@contoso.com' })
 */
export interface OperatorDeps extends Pick<
  GovernDeps,
  'clock' | 'servers' | 'inventory' | 'evidence' | 'runs' | 'checkpoints' | 'policy' | 'settings' | 'log'
> {
  /** Who runs the command (UPN from the sign-in, else `--as`, else USER): RestoredBy and the evidence actor. */
  readonly operator: string;
}

export interface RestoreInput {
  /** Server name (inventory, else the governed subscriptions) or resource id. */
  readonly source: string;
  /** ISO 8601 with Z or an offset. */
  readonly time: string;
  readonly name: string;
  readonly resourceGroup?: string;
  readonly owner: string;
  readonly incident?: string;
  readonly purpose?: string;
  /** `7d`, `36h`, `2w`; default the expiry rule's defaultLifetimeDays. */
  readonly ttl?: string;
  /** The source's engine; `sql-database` (or `server`) restores a SQL database on its logical server. */
  readonly engine?: Engine;
  /** The logical server of a SQL database source (`--server`). */
  readonly server?: string;
  /** Wait until the clone is Ready. */
  readonly wait?: boolean;
  readonly onProgress?: (state: string) => void;
  /** More tags for the create request (a drill names itself); the warden's own tags win on a clash. */
  readonly extraTags?: Readonly<Record<string, string>>;
}

/** The evidence of one governed restore: what the runbook's ticket needs. */
export interface RestoreRecord {
  readonly sourceServerId: string;
  /** `--time` as given. */
  readonly requestedRestorePoint: string;
  /** The UTC instant sent to ARM as pointInTimeUTC. */
  readonly effectiveRestorePointUtc: string;
  readonly newServerId: string;
  /** ARM state when the command ended (Ready with --wait). */
  readonly state: string;
  readonly restoredBy: string;
  readonly owner: string;
  readonly incident?: string;
  readonly purpose?: string;
  readonly expiresOn: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationSeconds: number;
}

/**
 * Preflight (only reads; every problem at once, as a PreflightError), then one PointInTimeRestore request carrying the
 * lineage, owner, reason and expiry tags, then one evidence entry on the new server. A failed request is recorded too.
 */
export async function restoreClone(input: RestoreInput, deps: OperatorDeps): Promise<RestoreRecord> {
  const started = deps.clock.now();
  const sql = input.engine === 'sql-database' || input.server !== undefined;
  const found = sql
    ? await locateDatabase(input.source, input.server, deps)
    : await locateServer(input.source, deps, input.engine ? { engine: input.engine } : {});
  const located =
    input.engine && found.server && found.server.engine !== input.engine
      ? {
          problem: `--engine ${input.engine}: ${found.server.name} is a ${ENGINE_SPECS[found.server.engine].label}, not a ${ENGINE_SPECS[input.engine].label}`,
        }
      : found;
  const source = located.server;
  const targetResourceGroup = input.resourceGroup?.trim() || source?.resourceGroup;
  let nameTakenBy: string | undefined;
  let nameUnavailable: string | undefined;
  if (source && sql && targetResourceGroup) {
    // A database name need only be free on its logical server: no Azure-wide name check.
    nameTakenBy = (await deps.servers.get(siblingId(source, targetResourceGroup, input.name)))?.id;
  } else if (source && targetResourceGroup && serverNameProblem(input.name) === undefined) {
    nameTakenBy = (
      await deps.servers.get(serverId(source.subscriptionId, targetResourceGroup, input.name, source.engine))
    )?.id;
    // Names are global: a server of that name in another subscription or tenant blocks the restore just the same.
    if (!nameTakenBy) {
      const check = await deps.servers.checkName(source.subscriptionId, source.location, input.name, source.engine);
      if (!check.available)
        nameUnavailable = `${check.reason ?? 'refused'}${check.message ? `: ${check.message}` : ''}`;
    }
  }
  const ownerDomains = deps.policy.restore.allowedOwnerDomains;
  const check = planRestore({
    now: started,
    policy: deps.policy,
    source,
    ...(located.problem ? { sourceProblem: located.problem } : {}),
    time: input.time,
    name: input.name,
    targetResourceGroup,
    ...(nameTakenBy ? { nameTakenBy } : {}),
    ...(nameUnavailable ? { nameUnavailable } : {}),
    owner: input.owner,
    allowedOwnerDomains: ownerDomains.length > 0 ? ownerDomains : deps.settings.allowedRecipientDomains,
    ...(input.incident !== undefined ? { incident: input.incident } : {}),
    ...(input.purpose !== undefined ? { purpose: input.purpose } : {}),
    ...(input.ttl !== undefined ? { ttl: input.ttl } : {}),
    restoredBy: deps.operator,
  });
  if (!check.ok) throw new PreflightError(check.problems);

  const { plan } = check;
  const targetKey = siblingId(source!, plan.targetResourceGroup, plan.targetName).toLowerCase();
  const parent = parseServerId(source!.id)?.parents?.at(-1)?.name;
  const point = utcText(plan.pointInTime);
  let created: Server;
  try {
    created = await deps.servers.restore(
      {
        sourceServerId: plan.sourceServerId,
        targetResourceGroup: plan.targetResourceGroup,
        targetName: plan.targetName,
        location: plan.location,
        pointInTimeUtc: point,
        tags: { ...input.extraTags, ...plan.tags },
        ...(parent ? { targetParent: parent } : {}),
      },
      { ...(input.wait ? { wait: true } : {}), ...(input.onProgress ? { onProgress: input.onProgress } : {}) },
    );
  } catch (error) {
    const at = deps.clock.now().toISOString();
    const reason = errorMessage(error);
    await deps.evidence
      .append([
        {
          serverKey: targetKey,
          id: `restore-failed:${digest([plan.sourceServerId, point, at])}`,
          at,
          actor: deps.operator,
          kind: 'action-failed',
          summary: `restore of ${source!.name} to ${plan.targetName} at ${point} failed`,
          reason,
          details: { sourceServerId: plan.sourceServerId, pointInTimeUtc: point, tags: plan.tags },
        },
      ])
      .catch(() => undefined);
    throw error;
  }
  const finished = deps.clock.now();
  const reason = input.incident?.trim() ? { incident: input.incident.trim() } : { purpose: input.purpose!.trim() };
  const record: RestoreRecord = {
    sourceServerId: plan.sourceServerId,
    requestedRestorePoint: input.time,
    effectiveRestorePointUtc: point,
    newServerId: created.id,
    state: created.state ?? 'Unknown',
    restoredBy: deps.operator,
    owner: input.owner.trim(),
    ...reason,
    expiresOn: formatUtc(plan.expiresOn),
    tags: plan.tags,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationSeconds: Math.round((finished.getTime() - started.getTime()) / 100) / 10,
  };
  // The warden made this restore: the proof is recorded on the row at birth, before any event of the new server is handled.
  await recordDecision(
    created,
    {
      kind: 'governed-restore',
      by: deps.operator,
      at: record.startedAt,
      reason: 'incident' in reason ? `incident ${reason.incident}` : `purpose: ${reason.purpose}`,
      ...(created.createdAt ? { serverCreatedAt: created.createdAt } : {}),
      sourceServerId: plan.sourceServerId,
      restorePointUtc: point,
    },
    deps,
  );
  await deps.evidence.append([
    {
      serverKey: created.key,
      id: `restore:${digest([record.newServerId.toLowerCase(), record.startedAt])}`,
      at: record.finishedAt,
      actor: deps.operator,
      kind: 'restore',
      summary: `Restored ${source!.name} to ${created.name} at ${point} (governed restore)`,
      reason: 'incident' in reason ? `incident ${reason.incident}` : `purpose: ${reason.purpose}`,
      after: plan.tags,
      details: record,
    },
  ]);
  return record;
}

/** What one tag command changed. */
export interface TagChangeOutcome {
  readonly serverId: string;
  readonly name: string;
  /** `changed`, or `unchanged` when there was nothing to do (no write, no evidence). */
  readonly outcome: 'changed' | 'unchanged';
  readonly before: Record<string, string | null>;
  readonly after: Record<string, string | null>;
  readonly note?: string;
}

/** `extend`: moves ExpiresOn later, within creation + maxLifetimeDays (PreflightError otherwise). */
export async function extendClone(
  input: { server: string; until: string; reason?: string },
  deps: OperatorDeps,
): Promise<TagChangeOutcome> {
  const { live, proof } = await governedServer(input.server, 'extend', deps);
  const now = deps.clock.now();
  const decision = planExtend({ server: live, until: input.until, now, policy: deps.policy });
  if (!decision.ok) throw new PreflightError(decision.problems, `extension of ${live.name}`);
  return writeTags(deps, live, proof, {
    kind: 'extend',
    before: { [Object.keys(decision.set)[0]!]: decision.before ?? null },
    set: decision.set,
    ...(decision.before === decision.expiresOn ? { unchanged: `already expires ${decision.expiresOn}` } : {}),
    reason: `extend to ${decision.expiresOn}`,
    summary: `Extended ${live.name} to ${decision.expiresOn}`,
    recordReason: input.reason,
  });
}

/** `hold`: sets the legal-hold tag to the reason; a held clone is never deleted. */
export async function holdClone(
  input: { server: string; reason: string },
  deps: OperatorDeps,
): Promise<TagChangeOutcome> {
  const { live, proof } = await governedServer(input.server, 'hold', deps);
  const decision = planHold({ server: live, reason: input.reason, policy: deps.policy });
  if (!decision.ok) throw new PreflightError(decision.problems, `hold of ${live.name}`);
  const key = Object.keys(decision.set)[0]!;
  const before = getTag(live.tags, key) ?? null;
  return writeTags(deps, live, proof, {
    kind: 'hold',
    before: { [key]: before },
    set: decision.set,
    ...(before === decision.set[key] ? { unchanged: 'already held for this reason' } : {}),
    reason: `legal hold: ${decision.set[key]}`,
    summary: `Legal hold on ${live.name}`,
    recordReason: decision.set[key],
  });
}

/**
 * The tag write of an operator command: `unchanged` (with why) when the tags already say it; else through the gate,
 * then recorded in the evidence with the tags before and after.
 */
async function writeTags(
  deps: OperatorDeps,
  live: Server,
  proof: Proof,
  change: {
    readonly kind: string;
    readonly before: Record<string, string | null>;
    readonly set: Record<string, string>;
    /** Why nothing is written, when the tags already say it. */
    readonly unchanged?: string;
    /** The Tags API write's reason, and the evidence's summary and reason. */
    readonly reason: string;
    readonly summary: string;
    readonly recordReason: string | undefined;
  },
): Promise<TagChangeOutcome> {
  const { before, set } = change;
  if (change.unchanged !== undefined)
    return { serverId: live.id, name: live.name, outcome: 'unchanged', before, after: set, note: change.unchanged };
  await modify(deps.servers, { server: live, proof }, { type: 'tag', set, reason: change.reason });
  await record(deps, live, change.kind, change.summary, { before, after: set, reason: change.recordReason });
  return { serverId: live.id, name: live.name, outcome: 'changed', before, after: set };
}

/**
 * `release`: deletes the legal-hold tag (Tags API Delete with the name/value as read: a Merge cannot remove a tag), then
 * re-reads to confirm it is gone. Locks are not touched; a remaining CanNotDelete lock is reported in `note`.
 */
export async function releaseClone(
  input: { server: string; reason?: string },
  deps: OperatorDeps,
): Promise<TagChangeOutcome> {
  const { live, proof } = await governedServer(input.server, 'release', deps, { withLocks: true });
  const lockNote =
    (live.locks ?? []).length > 0
      ? `still locked by ${live.locks!.map((l) => `${l.level} lock "${l.name}"`).join(', ')}: the warden will not delete it`
      : undefined;
  const held = planRelease(live, deps.policy);
  if (!held) {
    const key = deps.policy.tagKeys.legalHold;
    return {
      serverId: live.id,
      name: live.name,
      outcome: 'unchanged',
      before: { [key]: getTag(live.tags, key) ?? null },
      after: { [key]: getTag(live.tags, key) ?? null },
      note: ['not under legal hold by tag', lockNote].filter(Boolean).join('; '),
    };
  }
  await modify(
    deps.servers,
    { server: live, proof },
    { type: 'remove-tags', tags: held, reason: 'legal hold released' },
  );
  const key = Object.keys(held)[0]!;
  const after = await deps.servers.get(live.id);
  if (after && getTag(after.tags, key) !== undefined) {
    throw new Error(
      `Released ${live.name}, but its ${key} tag is still "${getTag(after.tags, key)}" (changed by someone else meanwhile?); run release again`,
    );
  }
  await record(deps, live, 'release', `Legal hold released on ${live.name}`, {
    before: held,
    after: { [key]: null },
    reason: input.reason,
  });
  return {
    serverId: live.id,
    name: live.name,
    outcome: 'changed',
    before: held,
    after: { [key]: null },
    ...(lockNote ? { note: lockNote } : {}),
  };
}

/**
 * Adds an operator decision to the server's inventory row (a fresh row when there is none, or when the row describes
 * an earlier server of the same name), over the version read; a concurrent writer makes it read and add again.
 * The next governing pass (event or reconcile) decides with it.
 */
export async function recordDecision(
  server: Server,
  decision: OperatorDecision,
  deps: Pick<OperatorDeps, 'inventory' | 'clock' | 'policy' | 'settings'>,
  change: (row: InventoryRecord) => InventoryRecord = (r) => r,
): Promise<InventoryRecord> {
  for (let attempt = 0; ; attempt++) {
    const stored = await deps.inventory.get(server.key);
    const now = deps.clock.now().toISOString();
    const current = rowOfIncarnation(stored?.value, server) ?? freshRow(server, now);
    const row = change({ ...current, decisions: [...(current.decisions ?? []), decision], updatedAt: now });
    try {
      await deps.inventory.upsert(row, { ifMatch: stored ? stored.etag : null });
      return row;
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || attempt >= 4) throw error;
    }
  }
}

/** The row of a server the warden has not recorded yet: what ARM shows, classified by the next governing pass. */
function freshRow(server: Server, now: string): InventoryRecord {
  return {
    ...identityOf(server),
    classification: 'not-a-clone',
    classificationEvidence: ['not classified yet: an operator decision was recorded before the warden governed it'],
    lineage: {},
    violations: [],
    compliant: true,
    ...(server.skuName ? { skuName: server.skuName } : {}),
    ...(server.skuTier ? { skuTier: server.skuTier } : {}),
    ...(server.storageSizeGb !== undefined ? { storageSizeGb: server.storageSizeGb } : {}),
    ...(server.createdAt ? { createdAt: server.createdAt } : {}),
    noticesSent: [],
    state: 'detected',
    ...(server.state ? { serverState: server.state } : {}),
    tags: server.tags,
    firstSeenAt: now,
    observedAt: now,
    updatedAt: now,
  };
}

async function record(
  deps: OperatorDeps,
  live: Server,
  kind: string,
  summary: string,
  change: { before: unknown; after: unknown; reason?: string | undefined },
): Promise<void> {
  const at = deps.clock.now().toISOString();
  const entry: EvidenceEntry = {
    serverKey: live.key,
    id: `${kind}:${digest(change.after)}:${at}`,
    at,
    actor: deps.operator,
    kind,
    summary,
    ...(change.reason ? { reason: change.reason } : {}),
    before: change.before,
    after: change.after,
  };
  await deps.evidence.append([entry]);
}

/**
 * The live server for a tag command with its proof (from its inventory row, else from the server alone); refused for
 * what is not a clone. The gate refuses a write on a clone that is not proven.
 */
async function governedServer(
  nameOrId: string,
  command: string,
  deps: OperatorDeps,
  options: { withLocks?: boolean } = {},
): Promise<{ live: Server; proof: Proof }> {
  const located = await locateServer(nameOrId, deps, options);
  if (!located.server) throw new Error(`Cannot ${command} ${nameOrId}: ${located.problem ?? 'not found'}`);
  const live = located.server;
  const classified = classify(live, {
    servers: [live],
    ...(located.row ? { inventory: located.row } : {}),
    tagKeys: deps.policy.tagKeys,
  });
  if (classified.classification === 'not-a-clone') {
    throw new Error(
      `Cannot ${command} ${live.name}: it is not a clone (${classified.evidence[0] ?? 'no lineage'}); the warden changes only clones`,
    );
  }
  if (!mayModify(classified.proof))
    throw new UnprovenError(live.name, command === 'release' ? 'remove-tags' : 'tag', classified.proof.level, command);
  return { live, proof: classified.proof };
}

/**
 * A server by resource id, or by name: the inventory first (deleted rows left out), else every governed subscription.
 * Never throws for "not found" or "ambiguous": the problem is returned so a preflight reports it with the others.
 */
/** The id of a new resource next to `source`: the same parents (a SQL database's logical server), another name. */
function siblingId(source: Server, resourceGroup: string, name: string): string {
  const parents = parseServerId(source.id)?.parents?.map((p) => p.name) ?? [];
  return resourceIdOf(source.engine, source.subscriptionId, resourceGroup, [...parents, name]);
}

/**
 * A SQL database by id, or by name on a logical server (`--server`) in the governed subscriptions; a problem names what
 * was not found or what was ambiguous.
 */
export async function locateDatabase(
  nameOrId: string,
  serverName: string | undefined,
  deps: Pick<OperatorDeps, 'servers' | 'settings'>,
): Promise<{ server?: Server; problem?: string }> {
  const wanted = nameOrId.trim();
  const ref = parseServerId(wanted);
  if (ref?.engine === 'sql-database' && !ref.child) {
    const server = await deps.servers.get(ref.id);
    return server ? { server } : { problem: `no database ${ref.id} in ARM` };
  }
  if (!serverName)
    return {
      problem: `--server: give the logical server of database ${wanted} (or the database's resource id as --source)`,
    };
  const found: Server[] = [];
  for (const subscriptionId of deps.settings.subscriptionIds) {
    for (const s of await deps.servers.list(subscriptionId)) {
      const parent = parseServerId(s.id)?.parents?.[0]?.name ?? '';
      if (
        s.engine === 'sql-database' &&
        s.name.toLowerCase() === wanted.toLowerCase() &&
        parent.toLowerCase() === serverName.trim().toLowerCase()
      )
        found.push(s);
    }
  }
  if (found.length === 0)
    return {
      problem: `no database named ${wanted} on logical server ${serverName} in the governed subscriptions (${deps.settings.subscriptionIds.join(', ')})`,
    };
  if (found.length > 1)
    return {
      problem: `${found.length} databases are named ${wanted} on logical servers named ${serverName}; give the resource id: ${found.map((s) => s.id).join(', ')}`,
    };
  const server = await deps.servers.get(found[0]!.id);
  return server ? { server } : { problem: `${wanted} vanished while it was read` };
}

export async function locateServer(
  nameOrId: string,
  deps: Pick<OperatorDeps, 'servers' | 'inventory' | 'settings'>,
  options: { withLocks?: boolean; engine?: Engine } = {},
): Promise<{ server?: Server; row?: InventoryRecord; problem?: string }> {
  const wanted = nameOrId.trim();
  const ref = parseServerId(wanted);
  const read = options.withLocks ? { withLocks: true } : {};
  if (ref && !ref.child) {
    const server = await deps.servers.get(ref.id, read);
    const row = (await deps.inventory.get(ref.key))?.value;
    return server ? { server, ...(row ? { row } : {}) } : { problem: `no server ${ref.id} in ARM` };
  }
  if (ref || wanted.includes('/'))
    return { problem: `"${wanted}" is neither a server name nor a flexible server resource id` };
  const name = wanted.toLowerCase();
  const ofEngine = (engine: Engine | undefined) => !options.engine || (engine ?? DEFAULT_ENGINE) === options.engine;
  const rows = (await deps.inventory.list()).filter(
    (r) => r.state !== 'deleted' && r.name.toLowerCase() === name && ofEngine(r.engine),
  );
  if (rows.length > 1)
    return {
      problem: `${rows.length} servers are named ${wanted}; give the resource id: ${rows.map((r) => r.id).join(', ')}`,
    };
  if (rows.length === 1) {
    const server = await deps.servers.get(rows[0]!.id, read);
    return server
      ? { server, row: rows[0]! }
      : { problem: `${wanted} is in the inventory (${rows[0]!.id}) but no longer in ARM` };
  }
  const found: Server[] = [];
  for (const subscriptionId of deps.settings.subscriptionIds)
    found.push(
      ...(await deps.servers.list(subscriptionId)).filter((s) => s.name.toLowerCase() === name && ofEngine(s.engine)),
    );
  if (found.length > 1)
    return {
      problem: `${found.length} servers are named ${wanted}; give the resource id: ${found.map((s) => s.id).join(', ')}`,
    };
  if (found.length === 0)
    return {
      problem: `no server named ${wanted} in the inventory or in the governed subscriptions (${deps.settings.subscriptionIds.join(', ')})`,
    };
  const server = await deps.servers.get(found[0]!.id, read);
  return server ? { server } : { problem: `${wanted} vanished while it was read` };
}

/** Queue depths for `status`; null when the queue does not exist. */
export interface QueueDepths {
  readonly events: { readonly name: string; readonly depth: number | null };
  readonly poison: { readonly name: string; readonly depth: number | null };
}

export interface WardenStatus {
  readonly now: string;
  readonly healthy: boolean;
  readonly jobs: readonly JobHealth[];
  readonly queues: QueueDepths;
  /** Clones (and probable clones) by state, deleted ones counted too. */
  readonly clones: Readonly<Partial<Record<CloneState, number>>> & { readonly total: number };
  /** Each source's last drill; unhealthy when it failed or missed an objective. */
  readonly drills: readonly DrillHealth[];
  /** Why `healthy` is false: stale or never-succeeded jobs, failed drills. */
  readonly problems: readonly string[];
  /** Worth a look, not a failure: messages in the poison queue. */
  readonly warnings: readonly string[];
}

/**
 * The warden's health: last run and success of every scheduled job, queue depths, clones by state. Unhealthy when a
 * job has not succeeded within twice its schedule or never succeeded; poison messages are a warning.
 */
export async function wardenStatus(
  input: {
    schedules: Readonly<Record<(typeof SCHEDULED_JOBS)[number]['schedule'], string>>;
    disabled?: readonly string[];
    queues: () => Promise<QueueDepths>;
  },
  deps: Pick<OperatorDeps, 'clock' | 'runs' | 'inventory' | 'checkpoints'> & { drills?: Pick<DrillsPort, 'list'> },
): Promise<WardenStatus> {
  const now = deps.clock.now();
  const [runs, since, rows, queues, drills] = await Promise.all([
    deps.runs.list(),
    wardenSince(deps.checkpoints),
    deps.inventory.list(),
    input.queues(),
    deps.drills?.list() ?? Promise.resolve([]),
  ]);
  return statusFrom({ ...input, runs, rows, queues, now, drills, ...(since ? { since } : {}) });
}

/** The status from what was read: run rows, inventory rows, queue depths and drills (the dashboard reads them once for all its views). */
export function statusFrom(input: {
  schedules: Readonly<Record<(typeof SCHEDULED_JOBS)[number]['schedule'], string>>;
  disabled?: readonly string[];
  runs: readonly JobRunFacts[];
  rows: readonly InventoryRecord[];
  queues: QueueDepths;
  now: Date;
  /** When the warden first ran here: jobs not yet due since then are pending. */
  since?: Date;
  /** Restore drills: each source's last drill is judged (a missed objective or a failure is a problem). */
  drills?: readonly DrillRecord[];
}): WardenStatus {
  const { rows, queues, now } = input;
  const jobs = jobsFrom(input);
  const drills = drillHealth(input.drills ?? []);
  const clones: Partial<Record<CloneState, number>> & { total: number } = { total: 0 };
  for (const row of rows) {
    if (row.classification === 'not-a-clone') continue;
    clones[row.state] = (clones[row.state] ?? 0) + 1;
    clones.total++;
  }
  const problems = [
    ...jobs.filter((j) => UNHEALTHY_JOB_STATUSES.has(j.status)).map((j) => `${j.job}: ${j.detail}`),
    ...drills.filter((d) => !d.healthy).map((d) => `last drill of ${d.sourceName} (${d.drillId}): ${d.detail}`),
  ];
  const warnings = queues.poison.depth
    ? [`${queues.poison.name}: ${queues.poison.depth} message(s) the intake gave up on`]
    : [];
  return { now: now.toISOString(), healthy: problems.length === 0, jobs, queues, clones, drills, problems, warnings };
}

/**
 * Every scheduled job's health from the runs table (and any other job that records runs), judged against the
 * schedules and the warden's start (a fresh deployment's jobs are pending until their first runs are due).
 * Reads only Table Storage: the health endpoint answers from it.
 */
export async function jobsHealth(
  input: {
    schedules: Readonly<Record<(typeof SCHEDULED_JOBS)[number]['schedule'], string>>;
    disabled?: readonly string[];
  },
  deps: Pick<OperatorDeps, 'clock' | 'runs' | 'checkpoints'>,
): Promise<JobHealth[]> {
  const [runs, since] = await Promise.all([deps.runs.list(), wardenSince(deps.checkpoints)]);
  return jobsFrom({ ...input, runs, now: deps.clock.now(), ...(since ? { since } : {}) });
}

function jobsFrom(input: {
  schedules: Readonly<Record<(typeof SCHEDULED_JOBS)[number]['schedule'], string>>;
  disabled?: readonly string[];
  runs: readonly JobRunFacts[];
  now: Date;
  since?: Date;
}): JobHealth[] {
  const { runs, now, since } = input;
  const byJob = new Map(runs.map((r) => [r.job, r]));
  const common = { now, ...(since ? { since } : {}) };
  const jobs: JobHealth[] = SCHEDULED_JOBS.map(({ job, schedule }) => {
    const run = byJob.get(job);
    return jobHealth({
      job,
      schedule: input.schedules[schedule],
      enabled: !(input.disabled ?? []).includes(job),
      ...(run ? { run } : {}),
      ...common,
    });
  });
  for (const run of runs)
    if (!SCHEDULED_JOBS.some((j) => j.job === run.job)) jobs.push(jobHealth({ job: run.job, run, ...common }));
  return jobs;
}

/**
 * Who runs the command, for RestoredBy and evidence: the `upn` (or unique_name, preferred_username) claim of the ARM
 * token when it is a JWT of a user, else `fallback` (`--as`, else USER). Throws with a sign-in hint when there is no login.
 */
export async function operatorName(credential: TokenCredential, fallback: string | undefined): Promise<string> {
  let token: string | undefined;
  try {
    token = (await credential.getToken('https://management.azure.com/.default'))?.token;
  } catch (error) {
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new Error(
      `No Azure sign-in found (${firstLine(detail)}): run \`az login\` (add --tenant <id> if needed), or pass --local to use the stack \`npm start\` runs`,
      { cause: error },
    );
  }
  const claims = token ? decodeJwtClaims(token) : undefined;
  const upn = [claims?.upn, claims?.unique_name, claims?.preferred_username].find(
    (v): v is string => typeof v === 'string' && v.includes('@'),
  );
  const name = upn ?? fallback?.trim();
  if (!name)
    throw new Error('Cannot tell who is running the command: the sign-in has no user name; pass --as <your e-mail>');
  return name;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.slice(0, 300);
}
