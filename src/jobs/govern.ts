import { createHash } from 'node:crypto';
import type { EvidenceEntry, InventoryRecord, RestoreEvidence, Server } from '../domain/model.js';
import { planOneServer, isModifying, type ModifyingAction, type PlanAction, type ServerPlan } from '../domain/plan.js';
import { rowOfIncarnation } from '../domain/proof.js';
import { recordFromPlan } from '../domain/record.js';
import { finishedDeletion } from '../domain/sweep.js';
import { ConcurrencyError, type Versioned } from '../ports/inventory.js';
import type { GovernDeps } from './deps.js';
import { modify } from './gate.js';
import { errorMessage } from '../errorMessage.js';

/** What happened to one server in one pass. */
export interface GovernOutcome {
  readonly key: string;
  readonly classification?: string;
  readonly deleted?: boolean;
  readonly actionsDone: readonly string[];
  readonly failed: ReadonlyArray<{ action: string; reason: string }>;
  readonly evidenceWritten: number;
  /** Whether the inventory row was written (false: the pass changed nothing worth a write). */
  readonly rowWritten?: boolean;
}

export interface GovernInput {
  /** The live server (with firewall rules and locks when it may be governed), or undefined when ARM says it is gone. */
  readonly live: Server | undefined;
  readonly key: string;
  /** Other servers of the subscription, for probable-clone matching. */
  readonly peers: readonly Server[];
  readonly restoreEvidence: readonly RestoreEvidence[];
  /** Identifies what triggered this pass (event id, or the reconcile run), so a replay writes no second evidence. */
  readonly triggerId: string;
  /** When the triggering fact happened; older facts never overwrite newer state. */
  readonly observedAt: string;
  /** A periodic read (reconcile) rather than an event: when it finds nothing changed, the row is left as it is, observedAt included. */
  readonly periodic?: boolean;
  /** Execute remediation actions (false: plan and record only). */
  readonly enforce?: boolean;
  /**
   * The inventory row as the caller already read it (null: there is none), so the first attempt does not read it
   * again; a retry after a conflicting write reads it afresh.
   */
  readonly stored?: Versioned<InventoryRecord> | null;
}

/** What a governing pass executes; deletion is the sweep's alone. */
const REMEDIATIONS = new Set<PlanAction['type']>([
  'tag',
  'remove-tags',
  'delete-firewall-rule',
  'disable-public-access',
  'stop-server',
]);

/**
 * One server, one pass: decide with the pure plan, execute its remediations, then record the evidence and the row.
 * A concurrent writer of the same row makes it decide again from the fresh row and the server as this pass left it
 * (remediations done are not redone).
 */
export async function governServer(input: GovernInput, deps: GovernDeps): Promise<GovernOutcome> {
  const progress: Progress = { live: input.live, done: [] };
  for (let attempt = 0; ; attempt++) {
    try {
      return await governOnce(
        { ...input, live: progress.live, stored: attempt === 0 ? input.stored : undefined },
        deps,
        progress,
      );
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || attempt >= 2) throw error;
    }
  }
}

/** Follows the remediations as they are done, across attempts: a retry starts from the server as it now is. */
interface Progress {
  live: Server | undefined;
  readonly done: string[];
}

async function governOnce(input: GovernInput, deps: GovernDeps, progress: Progress): Promise<GovernOutcome> {
  const now = deps.clock.now();
  const at = now.toISOString();
  const stored = input.stored !== undefined ? (input.stored ?? undefined) : await deps.inventory.get(input.key);
  if (!input.live) return recordGone(input, stored?.value, stored?.etag, deps, at);
  // A live server under the id of a row recorded deleted, or with another creation time, is a new server that reuses
  // the name: nothing carries over (classification, proof, notices, expiry).
  const previous = rowOfIncarnation(stored?.value, input.live);

  const planOf = (server: Server): ServerPlan =>
    planOneServer(server, {
      now,
      policy: deps.policy,
      peers: input.peers,
      inventory: previous ? [previous] : [],
      restoreEvidence: [...input.restoreEvidence],
      settings: {
        fallbackMailbox: deps.settings.fallbackMailbox,
        allowedRecipientDomains: [...deps.settings.allowedRecipientDomains],
      },
      drillClientAddresses: deps.settings.drillClientAddresses ?? [],
    });
  const serverPlan = planOf(input.live);

  const { done } = progress;
  const failed: Array<{ action: string; reason: string }> = [];
  const evidence: EvidenceEntry[] = [];
  const note = (kind: string, summary: string, extra: Partial<EvidenceEntry> = {}) =>
    evidence.push({
      serverKey: input.key,
      id: `${kind}:${digest(extra.after ?? extra.details ?? summary)}:${input.triggerId}`,
      at,
      actor: deps.actor,
      kind,
      summary,
      ...extra,
    });

  if (
    !previous ||
    previous.classification !== serverPlan.classification ||
    previous.proof?.level !== serverPlan.proof.level
  ) {
    evidence.push({
      serverKey: input.key,
      id: `classified:${serverPlan.classification}:${serverPlan.proof.level}:${digest([serverPlan.classificationEvidence, input.live.createdAt ?? ''])}`,
      at,
      actor: deps.actor,
      kind: 'classified',
      summary: `${input.live.name} classified ${serverPlan.classification} (${serverPlan.proof.level}${serverPlan.proof.basis ? ` by ${serverPlan.proof.basis}` : ''})`,
      reason: serverPlan.classificationEvidence.join('; '),
      before: previous ? { classification: previous.classification, proof: previous.proof?.level } : undefined,
      after: {
        classification: serverPlan.classification,
        proof: serverPlan.proof.level,
        proofBasis: serverPlan.proof.basis,
        owner: serverPlan.owner,
        ownerSource: serverPlan.ownerSource,
      },
    });
  }
  const newViolations = serverPlan.violations.filter(
    (v) => !previous?.violations.some((p) => p.rule === v.rule && p.detail === v.detail),
  );
  for (const v of newViolations) note('violation', `${v.rule}: ${v.detail}`, { details: v });

  let live = input.live;
  for (const action of serverPlan.actions) {
    if (!isModifying(action) || !REMEDIATIONS.has(action.type)) continue;
    if (input.enforce === false) continue;
    try {
      live = await execute(action, live, serverPlan, deps);
      progress.live = live;
      done.push(action.type);
      const proof = {
        level: serverPlan.proof.level,
        basis: serverPlan.proof.basis,
        evidence: serverPlan.proof.evidence[0],
      };
      note(action.type, describe(action, input.live), {
        reason: action.reason,
        before: beforeOf(action, input.live),
        after: afterOf(action),
        details: { proof },
      });
    } catch (error) {
      const reason = errorMessage(error);
      failed.push({ action: action.type, reason });
      evidence.push({
        serverKey: input.key,
        id: `failed:${action.type}:${at}`,
        at,
        actor: deps.actor,
        kind: 'action-failed',
        summary: `${action.type} failed on ${input.live.name}`,
        reason,
        details: action,
      });
    }
  }

  // The row tells what is left after remediation (the next delivery sees exactly that), so one pass or many record the same.
  const after = done.length > 0 ? planOf(live) : serverPlan;
  const settled: ServerPlan = {
    ...serverPlan,
    violations: after.violations,
    ...(after.expiresOnTag !== undefined ? { expiresOnTag: after.expiresOnTag } : {}),
  };
  // Checked once the remediations are done: the Activity Log entries of this pass's own writes are then older.
  const record = recordFromPlan({
    server: live,
    plan: settled,
    previous,
    now: at,
    observedAt: input.observedAt,
    checkedAt: deps.clock.now().toISOString(),
  });
  // A redelivery that changes nothing writes nothing (not even the row's write time). The check time counts once this
  // pass wrote to ARM, so the Activity Log entries of those writes are known to be reflected in the row.
  const ignored: Array<'updatedAt' | 'observedAt' | 'checkedAt'> = [
    'updatedAt',
    ...(input.periodic ? (['observedAt'] as const) : []),
    ...(done.length === 0 ? (['checkedAt'] as const) : []),
  ];
  const rowWritten = !stored || !sameRecord(record, stored.value, ignored);
  // Evidence first: when the row write loses a race (ConcurrencyError, decided again) the actions done stay recorded.
  const written = evidence.length > 0 ? (await deps.evidence.append(evidence)).written : 0;
  if (rowWritten) await deps.inventory.upsert(record, { ifMatch: stored ? stored.etag : null });
  return {
    key: input.key,
    classification: serverPlan.classification,
    actionsDone: done,
    failed,
    evidenceWritten: written,
    rowWritten,
  };
}

async function recordGone(
  input: GovernInput,
  previous: InventoryRecord | undefined,
  etag: string | undefined,
  deps: GovernDeps,
  at: string,
): Promise<GovernOutcome> {
  if (!previous || previous.state === 'deleted')
    return { key: input.key, deleted: true, actionsDone: [], failed: [], evidenceWritten: 0 };
  const observedAt = maxIso(previous.observedAt, input.observedAt);
  const { entry, record } =
    previous.state === 'deleting'
      ? // The sweep asked ARM to delete it and did not wait: this records the deletion it asked for, under its entry id.
        finishedDeletion(previous, deps.actor, at)
      : goneRecorded(previous, input, deps.actor, at);
  // Evidence first: a retry after a failed row write finds the same entry there and writes the row.
  const { written } = await deps.evidence.append([entry]);
  await deps.inventory.upsert({ ...record, observedAt }, { ifMatch: etag ?? null });
  return {
    key: input.key,
    classification: previous.classification,
    deleted: true,
    actionsDone: [],
    failed: [],
    evidenceWritten: written,
  };
}

/** A server that vanished without the warden asking: the row deleted and a `gone` entry. */
function goneRecorded(
  previous: InventoryRecord,
  input: GovernInput,
  actor: string,
  at: string,
): { entry: EvidenceEntry; record: InventoryRecord } {
  return {
    entry: {
      serverKey: input.key,
      id: 'gone',
      at,
      actor,
      kind: 'gone',
      summary: `${previous.name} no longer exists in ARM`,
      before: { state: previous.state },
      after: { state: 'deleted' },
    },
    record: { ...previous, state: 'deleted', deletedAt: previous.deletedAt ?? input.observedAt, updatedAt: at },
  };
}

/** Through the gate, which refuses anything on a server the plan did not find proven. */
async function execute(action: ModifyingAction, live: Server, plan: ServerPlan, deps: GovernDeps): Promise<Server> {
  await modify(deps.servers, { server: live, proof: plan.proof }, action);
  switch (action.type) {
    case 'tag':
      return { ...live, tags: { ...live.tags, ...action.set } };
    case 'remove-tags':
      return { ...live, tags: Object.fromEntries(Object.entries(live.tags).filter(([k]) => !(k in action.tags))) };
    case 'delete-firewall-rule':
      return { ...live, firewallRules: live.firewallRules?.filter((r) => r.name !== action.rule) };
    case 'disable-public-access':
      return { ...live, publicNetworkAccess: 'Disabled' };
    case 'stop-server':
      return { ...live, state: 'Stopped' };
    case 'delete-server':
      return live;
  }
}

function describe(action: PlanAction, server: Server): string {
  switch (action.type) {
    case 'tag':
      return `Tagged ${server.name}: ${Object.entries(action.set)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`;
    case 'delete-firewall-rule':
      return `Deleted firewall rule ${action.rule} (${action.startIpAddress}-${action.endIpAddress}) of ${server.name}`;
    case 'disable-public-access':
      return `Disabled public network access of ${server.name}`;
    case 'stop-server':
      return `Stopped ${server.name} (quarantine)`;
    case 'remove-tags':
      return `Removed tags ${Object.keys(action.tags).join(', ')} of ${server.name}`;
    default:
      return `${action.type} on ${server.name}`;
  }
}

function beforeOf(action: PlanAction, server: Server): unknown {
  switch (action.type) {
    case 'tag':
      return Object.fromEntries(Object.keys(action.set).map((k) => [k, server.tags[k] ?? null]));
    case 'delete-firewall-rule':
      return server.firewallRules?.find((r) => r.name === action.rule);
    case 'disable-public-access':
      return { publicNetworkAccess: server.publicNetworkAccess };
    case 'stop-server':
      return { state: server.state };
    case 'remove-tags':
      return action.tags;
    default:
      return undefined;
  }
}

function afterOf(action: PlanAction): unknown {
  switch (action.type) {
    case 'tag':
      return action.set;
    case 'delete-firewall-rule':
      return { rule: action.rule, deleted: true };
    case 'disable-public-access':
      return { publicNetworkAccess: 'Disabled' };
    case 'stop-server':
      return { state: 'Stopped' };
    case 'remove-tags':
      return Object.fromEntries(Object.keys(action.tags).map((k) => [k, null]));
    default:
      return undefined;
  }
}

/** Equal but for the bookkeeping times named: key order and absent-versus-undefined fields do not count. */
function sameRecord(
  a: InventoryRecord,
  b: InventoryRecord,
  ignore: ReadonlyArray<'updatedAt' | 'observedAt' | 'checkedAt'>,
): boolean {
  const without = (r: InventoryRecord) => canonical({ ...r, ...Object.fromEntries(ignore.map((k) => [k, undefined])) });
  return without(a) === without(b);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v)
            .filter(([, x]) => x !== undefined)
            .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
        )
      : v,
  );
}

export function digest(value: unknown): string {
  return createHash('sha1')
    .update(JSON.stringify(value ?? null))
    .digest('hex')
    .slice(0, 12);
}

const maxIso = (a: string, b: string) => (a >= b ? a : b);

export type { ServerPlan };
