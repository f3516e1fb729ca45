/**
 * Restore drills: a governed restore of a production server (born proven, tagged Purpose=restore-drill), measured
 * phase by phase, validated on its data, recorded, mailed to the drill's owner, and deleted by the drill itself.
 * Decisions in src/domain/drills.ts; the sweep stays the backstop for a drill that dies half-way.
 */
import { serverId } from '../domain/ids.js';
import { estimateCost } from '../domain/cost.js';
import {
  DRILL_ID_TAG,
  DRILL_PURPOSE,
  drillCloneName,
  drillDue,
  drillRuleName,
  needsFirewallRule,
  evaluateObjectives,
  judgeCheck,
  minutesPer100Gb,
  phaseAt,
  planCovers,
  type CheckResult,
  type DrillFirewallRule,
  type DrillPhase,
  type DrillPlan,
  type DrillRecord,
} from '../domain/drills.js';
import { renderDrillHtml, renderDrillText, drillSubject } from '../domain/drillReport.js';
import { ENGINE_SPECS } from '../domain/engines.js';
import type { Proof, Server } from '../domain/model.js';
import { parseZonedTime, PreflightError, utcText } from '../domain/operator.js';
import { getTag } from '../domain/tags.js';
import type { PriceSource } from '../adapters/azure/prices/retailPrices.js';
import type { DatabasePort, DatabaseSession } from '../ports/database.js';
import type { DrillsPort } from '../ports/drills.js';
import type { MailerPort } from '../ports/mailer.js';
import { classify } from '../domain/classify.js';
import { rowOfIncarnation } from '../domain/proof.js';
import { modify, UnprovenError } from './gate.js';
import { locateServer, restoreClone, type OperatorDeps } from './operator.js';
import type { Wired } from '../wiring.js';
import { errorMessage } from '../errorMessage.js';

export { DRILL_ID_TAG, DRILL_PURPOSE } from '../domain/drills.js';

/**
 * What drills act through: the operator's ports (restore with evidence) plus the drills table, the data plane,
 * the mailer and prices.
 */
export interface DrillDeps extends OperatorDeps {
  readonly drills: DrillsPort;
  readonly database: DatabasePort;
  readonly mailer: MailerPort;
  readonly prices?: PriceSource;
  /** Real waits between connection attempts and during the keep period (tests pass a fast one). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The app's outbound addresses (DRILL_CLIENT_ADDRESSES): a drill allows them on its own public clone, then removes them. */
  readonly clientAddresses?: readonly { readonly start: string; readonly end: string }[];
}

export interface RunDrillInput {
  readonly plan: DrillPlan;
  /** Server name or id. */
  readonly source: string;
  /** `latest`, an ISO time with zone, or undefined for the plan's restore point. */
  readonly point?: string;
  /** Also wait out the keep period and delete the clone (else the next timer run deletes a kept clone). */
  readonly waitForCleanup?: boolean;
  readonly onPhase?: (phase: DrillPhase, at: string, record: DrillRecord) => void;
}

/** An ad-hoc plan for `drill run --source` when no policy plan covers the server. */
export function adhocPlan(owner: string): DrillPlan {
  return {
    name: 'adhoc',
    sources: { ids: [], tags: {} },
    schedule: '0 0 0 1 1 *',
    restorePoint: 'latest',
    objectives: { readyMinutes: 60, validatedMinutes: 90 },
    database: 'postgres',
    validation: [{ type: 'value', name: 'connects and answers', sql: 'select 1', equals: 1 }],
    queryTimeoutSeconds: 60,
    keepMinutes: 0,
    owner,
  };
}

/** One drill, start to finish. Throws PreflightError (nothing created) when it cannot start; otherwise returns the record. */
export async function runDrill(input: RunDrillInput, deps: DrillDeps): Promise<DrillRecord> {
  const { plan } = input;
  const requestedAt = deps.clock.now();
  const located = await locateServer(input.source, deps);
  const source = located.server;
  const problems: string[] = [];
  if (!source) problems.push(`--source: ${located.problem ?? 'not found'}`);
  if (source && isDrillClone(source, deps))
    problems.push(`--source: ${source.name} is itself a drill clone; drill its source instead`);
  if (source && source.engine !== 'postgresql-flexible')
    problems.push(
      `--source: ${source.name} is a ${ENGINE_SPECS[source.engine].label}; drills connect to PostgreSQL flexible servers only`,
    );
  const point = requestedPoint(input.point, plan, requestedAt);
  if (!point.ok) problems.push(`--point: ${point.problem}`);
  if (problems.length > 0 || !source || !point.ok) throw new PreflightError(problems, 'drill');

  const cloneName = drillCloneName(plan.name, source.name, requestedAt);
  const id = cloneName;
  if (!(await deps.drills.claim(source.key, id, requestedAt))) {
    const running = (await deps.drills.list({ sourceId: source.id })).find((r) => r.status === 'running');
    throw new PreflightError(
      [
        `a drill of ${source.name} is already running${running ? ` (${running.id}, started ${running.startedAt})` : ''}; two drills of one server never overlap`,
      ],
      'drill',
    );
  }
  const cloneId = serverId(source.subscriptionId, source.resourceGroup, cloneName);
  let record: DrillRecord = {
    id,
    plan: plan.name,
    sourceId: source.id,
    sourceName: source.name,
    cloneId,
    cloneName,
    owner: plan.owner,
    requestedBy: deps.operator,
    requestedPoint: utcText(point.value),
    status: 'running',
    phases: [],
    objectives: [],
    checks: [],
    failures: [],
    cloneState: 'restoring',
    startedAt: requestedAt.toISOString(),
    ...(source.skuName ? { skuName: source.skuName } : {}),
    region: source.location,
  };
  const phase = async (name: DrillPhase, at = deps.clock.now()): Promise<void> => {
    if (record.phases.some((p) => p.phase === name)) return;
    record = { ...record, phases: [...record.phases, { phase: name, at: at.toISOString() }] };
    await deps.drills.put(record);
    await deps.evidence
      .append([
        {
          serverKey: cloneId.toLowerCase(),
          id: `drill:${id}:${name}`,
          at: at.toISOString(),
          actor: deps.operator,
          kind: 'drill-phase',
          summary: `Drill ${id} of ${source.name}: ${name}`,
          details: { drill: id, phase: name, source: source.id },
        },
      ])
      .catch((error: unknown) =>
        deps.log?.(`drill ${id}: evidence of ${name} not written: ${(error as Error).message}`),
      );
    input.onPhase?.(name, at.toISOString(), record);
  };

  try {
    await phase('requested', requestedAt);
    let created: Server | undefined;
    try {
      await restoreClone(
        {
          source: source.id,
          time: utcText(point.value),
          name: cloneName,
          owner: plan.owner,
          purpose: DRILL_PURPOSE,
          ttl: `${Math.ceil((plan.objectives.validatedMinutes + plan.keepMinutes) / 60) + 24}h`,
          extraTags: { [DRILL_ID_TAG]: id },
          wait: true,
          onProgress: (state) =>
            void phase(state === 'Accepted' ? 'accepted' : state === 'Ready' ? 'ready' : 'visible'),
        },
        deps,
      );
      await phase('accepted');
      await phase('visible');
      await phase('ready');
      created = await deps.servers.get(cloneId);
    } catch (error) {
      const reason = error instanceof PreflightError ? error.problems.join('; ') : errorMessage(error);
      record = { ...record, failures: [`restore failed: ${reason}`] };
      // A restore that failed after ARM accepted it may leave a server behind; the drill removes what it made.
      created = await deps.servers.get(cloneId).catch(() => undefined);
      if (!created) record = { ...record, cloneState: 'not-created' };
    }

    if (created && record.failures.length === 0) {
      // A public clone takes the source's firewall rules: the drill allows the app on it first (its own clone only).
      record = await allowApp(record, created, deps);
      await deps.drills.put(record);
    }
    if (created && record.failures.length === 0) {
      const found = await validate(record, plan, created, deps, phase);
      record = { ...record, ...found, failures: [...record.failures, ...found.failures] };
    }
    record = finish(record, plan);
    if (created) {
      if (plan.keepMinutes > 0 && record.failures.every((f) => !f.startsWith('restore failed'))) {
        const deleteAfter = new Date(
          Date.parse(phaseAt(record, 'validated') ?? deps.clock.now().toISOString()) + plan.keepMinutes * 60_000,
        ).toISOString();
        // The clone stays for the keep period; the app's access to it ends with the validation.
        record = await removeAppRules({ ...record, cloneState: 'kept', deleteAfter }, deps);
        await deps.drills.put(record);
        if (input.waitForCleanup) {
          await (deps.sleep ?? defaultSleep)(Math.max(0, Date.parse(deleteAfter) - deps.clock.now().getTime()));
          const deleted = await deleteDrillClone(record, deps, phase);
          record = afterDelete(record, deleted);
        }
      } else {
        const deleted = await deleteDrillClone(record, deps, phase);
        record = afterDelete(record, deleted);
        // A clone that stays (locked, no longer the drill's) must not stay open to the app.
        if (record.cloneState !== 'deleted') record = await removeAppRules(record, deps);
      }
    }
    record = await withCost(record, created, deps);
    record = { ...record, finishedAt: deps.clock.now().toISOString() };
    await deps.drills.put(record);
  } catch (error) {
    record = {
      ...record,
      status: 'failed',
      failures: [...record.failures, `drill stopped: ${(error as Error).message}`],
      finishedAt: deps.clock.now().toISOString(),
    };
    await deps.drills.put(record).catch(() => undefined);
    throw error;
  } finally {
    await deps.drills.release(source.key, id).catch(() => undefined);
  }
  await mailOwner(record, deps);
  return record;
}

/** Connects (retrying until the validated objective runs out), runs every check, measures the restored size. */
async function validate(
  record: DrillRecord,
  plan: DrillPlan,
  clone: Server,
  deps: DrillDeps,
  phase: (p: DrillPhase) => Promise<void>,
): Promise<
  Pick<DrillRecord, 'failures'> &
    Partial<Pick<DrillRecord, 'checks' | 'restoredBytes' | 'achievedPoint' | 'recoveryPointLagSeconds'>>
> {
  const deadline = Date.parse(record.startedAt) + plan.objectives.validatedMinutes * 60_000;
  let session: DatabaseSession | undefined;
  let lastError = '';
  for (let attempt = 0; !session; attempt++) {
    try {
      session = await deps.database.connect(clone, plan.database);
    } catch (error) {
      lastError = (error as Error).message;
      if (deps.clock.now().getTime() >= deadline || attempt >= 30)
        return { failures: [`no connection to ${clone.name}: ${lastError}`] };
      await (deps.sleep ?? defaultSleep)(Math.min(10_000, 500 * 2 ** attempt));
    }
  }
  await phase('connected');
  const checks: CheckResult[] = [];
  let achieved: Date | undefined;
  let restoredBytes: number | undefined;
  try {
    for (const check of plan.validation) {
      try {
        const value = await session.firstValue(check.sql, { timeoutMs: plan.queryTimeoutSeconds * 1000 });
        const result = judgeCheck(check, value, new Date(record.requestedPoint));
        if (result.achievedPoint && (!achieved || result.achievedPoint > achieved)) achieved = result.achievedPoint;
        const { achievedPoint: _a, ...rest } = result;
        checks.push(rest);
      } catch (error) {
        checks.push({
          name: check.name,
          type: check.type,
          sql: check.sql,
          passed: false,
          expected: 'the query to succeed',
          error: (error as Error).message,
        });
      }
    }
    restoredBytes = await session.sizeBytes().catch(() => undefined);
  } finally {
    await session.close().catch(() => undefined);
  }
  await phase('validated');
  const failed = checks
    .filter((c) => !c.passed)
    .map((c) => `check "${c.name}" failed: ${c.error ?? `got ${c.value ?? 'nothing'}, expected ${c.expected}`}`);
  return {
    checks,
    failures: failed,
    ...(restoredBytes !== undefined ? { restoredBytes } : {}),
    ...(achieved
      ? {
          achievedPoint: achieved.toISOString(),
          recoveryPointLagSeconds: Math.round((Date.parse(record.requestedPoint) - achieved.getTime()) / 1000),
        }
      : {}),
  };
}

/** Objectives and the verdict; the record's phases so far decide. */
function finish(record: DrillRecord, plan: DrillPlan): DrillRecord {
  const objectives = evaluateObjectives(plan, record.phases);
  const missed = objectives
    .filter((o) => !o.met)
    .map(
      (o) =>
        `missed the ${o.objective} objective: ${o.actualMinutes === undefined ? 'never reached' : `${o.actualMinutes} min`} (at most ${o.limitMinutes} min)`,
    );
  const readyMinutes = objectives.find((o) => o.objective === 'ready')?.actualMinutes;
  const per100 = minutesPer100Gb(readyMinutes, record.restoredBytes);
  const failures = [...record.failures, ...missed];
  return {
    ...record,
    objectives,
    failures,
    status: failures.length === 0 ? 'passed' : 'failed',
    ...(per100 !== undefined ? { restoreMinutesPer100Gb: per100 } : {}),
  };
}

/**
 * Deletes the drill's clone after a live re-read: only a server that still carries this drill's tag and purpose
 * (the warden's own restore: proven), never the source. Anything else is left alone and reported.
 */
export async function deleteDrillClone(
  record: DrillRecord,
  deps: DrillDeps,
  phase?: (p: DrillPhase) => Promise<void>,
): Promise<DrillRecord> {
  const mark =
    phase ??
    ((name: DrillPhase) => {
      record = { ...record, phases: [...record.phases, { phase: name, at: deps.clock.now().toISOString() }] };
      return Promise.resolve();
    });
  const found = await drillClone(record, deps);
  if (found.kind === 'gone') {
    await mark('gone');
    return { ...withRulesGone(record, deps.clock.now().toISOString()), cloneState: 'deleted' };
  }
  if (found.kind === 'not-the-drills')
    return {
      ...record,
      cloneState: 'delete-failed',
      failures: [...record.failures, `${found.problem}: not deleted, left for review`],
    };
  const { live, proof } = found;
  await mark('delete-requested');
  let outcome: string;
  try {
    outcome = await modify(
      deps.servers,
      { server: live, proof },
      // A drill clone is not swept: it expires when its drill ends, and its owner is told by the drill's report.
      {
        type: 'delete-server',
        reason: `restore drill ${record.id} finished (${record.status})`,
        expiresOn: record.deleteAfter ?? deps.clock.now().toISOString(),
        finalNoticeSentAt: '',
      },
    );
  } catch (error) {
    if (error instanceof UnprovenError)
      return {
        ...record,
        cloneState: 'delete-failed',
        failures: [...record.failures, `${error.message}; the drill's clone was not deleted`],
      };
    return {
      ...record,
      cloneState: 'delete-failed',
      failures: [
        ...record.failures,
        `delete of ${live.name} failed: ${(error as Error).message} (the sweep deletes it at expiry)`,
      ],
    };
  }
  if (outcome === 'locked')
    return {
      ...record,
      cloneState: 'delete-failed',
      failures: [...record.failures, `${live.name} is locked: not deleted`],
    };
  await mark('gone');
  record = withRulesGone(record, deps.clock.now().toISOString());
  await deps.evidence
    .append([
      {
        serverKey: live.key,
        id: `drill:${record.id}:deleted`,
        at: deps.clock.now().toISOString(),
        actor: deps.operator,
        kind: 'delete',
        summary: `Deleted drill clone ${live.name} (drill ${record.id})`,
        reason: `restore drill ${record.id} finished (${record.status})`,
        details: { drill: record.id },
      },
    ])
    .catch(() => undefined);
  const { deleteAfter: _d, ...rest } = record;
  return { ...rest, cloneState: 'deleted' };
}

/** The outcome of a delete on the drill's record (the phases were added as they happened). */
function afterDelete(record: DrillRecord, deleted: DrillRecord): DrillRecord {
  const { deleteAfter: _d, ...rest } = record;
  return {
    ...(deleted.cloneState === 'deleted' ? rest : record),
    cloneState: deleted.cloneState,
    failures: deleted.failures,
    ...(deleted.firewallRules ? { firewallRules: deleted.firewallRules } : {}),
  };
}

/**
 * The drill's clone, re-read live, when it is still the drill's own: not the source, still tagged with this drill and
 * its purpose, with the proof its governed restore recorded at birth (the gate checks that proof before any change).
 */
async function drillClone(
  record: DrillRecord,
  deps: DrillDeps,
): Promise<
  | { kind: 'gone' }
  | { kind: 'not-the-drills'; problem: string }
  | { kind: 'own'; live: Server; proof: Proof | undefined }
> {
  const live = await deps.servers.get(record.cloneId);
  if (!live) return { kind: 'gone' };
  const purpose = getTag(live.tags, deps.policy.tagKeys.purpose);
  if (
    live.key === record.sourceId.toLowerCase() ||
    getTag(live.tags, DRILL_ID_TAG) !== record.id ||
    purpose !== DRILL_PURPOSE
  ) {
    return {
      kind: 'not-the-drills',
      problem: `${live.name} no longer carries ${DRILL_ID_TAG}=${record.id} and ${deps.policy.tagKeys.purpose}=${DRILL_PURPOSE}`,
    };
  }
  const row = rowOfIncarnation((await deps.inventory.get(live.key))?.value, live);
  const { proof } = classify(live, {
    servers: [live],
    ...(row ? { inventory: row } : {}),
    tagKeys: deps.policy.tagKeys,
  });
  return { kind: 'own', live, proof };
}

/** Rules still open when the clone went: its delete took them. */
function withRulesGone(record: DrillRecord, at: string): DrillRecord {
  if (!record.firewallRules?.some((r) => !r.removed)) return record;
  return {
    ...record,
    firewallRules: record.firewallRules.map((r) => (r.removed ? r : { ...r, removed: 'with-clone', removedAt: at })),
  };
}

/**
 * Before connecting to a public clone: a firewall rule per range of DRILL_CLIENT_ADDRESSES, through the gate, on the
 * drill's own clone (never the source). Nothing without addresses or for a VNet or private clone. A refusal or an ARM
 * error becomes the drill's failure (it then does not connect, and still deletes its clone).
 */
async function allowApp(record: DrillRecord, clone: Server, deps: DrillDeps): Promise<DrillRecord> {
  const ranges = deps.clientAddresses ?? [];
  if (ranges.length === 0 || !needsFirewallRule(clone)) return record;
  const found = await drillClone(record, deps);
  if (found.kind === 'gone')
    return {
      ...record,
      failures: [...record.failures, `${record.cloneName} was gone before the drill could allow the app on it`],
    };
  if (found.kind === 'not-the-drills')
    return { ...record, failures: [...record.failures, `${found.problem}: no firewall rule added, not connected`] };
  const rules: DrillFirewallRule[] = [...(record.firewallRules ?? [])];
  for (const [i, range] of ranges.entries()) {
    const name = drillRuleName(i + 1);
    const reason = `restore drill ${record.id}: the app connects to its own clone from ${range.start}-${range.end} (DRILL_CLIENT_ADDRESSES)`;
    try {
      await modify(
        deps.servers,
        { server: found.live, proof: found.proof },
        { type: 'allow-firewall-rule', rule: name, startIpAddress: range.start, endIpAddress: range.end, reason },
      );
    } catch (error) {
      const why =
        error instanceof UnprovenError
          ? `${error.message}; no firewall rule added, not connected`
          : `firewall rule ${name} (${range.start}-${range.end}) on ${clone.name} failed: ${errorMessage(error)}; not connected`;
      return { ...record, firewallRules: rules, failures: [...record.failures, why] };
    }
    const at = deps.clock.now().toISOString();
    rules.push({ name, startIpAddress: range.start, endIpAddress: range.end, addedAt: at });
    await deps.evidence
      .append([
        {
          serverKey: found.live.key,
          id: `drill:${record.id}:rule-added:${name}`,
          at,
          actor: deps.operator,
          kind: 'firewall-rule-added',
          summary: `Drill ${record.id}: firewall rule ${name} (${range.start}-${range.end}) on ${clone.name} for the app`,
          reason,
          after: { rule: name, startIpAddress: range.start, endIpAddress: range.end },
          details: { drill: record.id },
        },
      ])
      .catch((error: unknown) =>
        deps.log?.(`drill ${record.id}: evidence of rule ${name} not written: ${(error as Error).message}`),
      );
  }
  return { ...record, firewallRules: rules };
}

/** Deletes the drill's rules that are still open (a kept clone after validation, or a clone that was not deleted). */
async function removeAppRules(record: DrillRecord, deps: DrillDeps): Promise<DrillRecord> {
  const open = (record.firewallRules ?? []).filter((r) => !r.removed);
  if (open.length === 0) return record;
  const found = await drillClone(record, deps);
  if (found.kind === 'gone') return withRulesGone(record, deps.clock.now().toISOString());
  if (found.kind === 'not-the-drills')
    return {
      ...record,
      failures: [
        ...record.failures,
        `${found.problem}: firewall rules ${open.map((r) => r.name).join(', ')} not removed, left for review`,
      ],
    };
  let rules = record.firewallRules ?? [];
  const failures: string[] = [];
  for (const rule of open) {
    const reason = `restore drill ${record.id}: validation done, the app no longer connects to its clone`;
    try {
      await modify(
        deps.servers,
        { server: found.live, proof: found.proof },
        {
          type: 'delete-firewall-rule',
          rule: rule.name,
          startIpAddress: rule.startIpAddress,
          endIpAddress: rule.endIpAddress,
          reason,
        },
      );
    } catch (error) {
      failures.push(
        `removing firewall rule ${rule.name} of ${found.live.name} failed: ${errorMessage(error)} (it goes with the clone)`,
      );
      continue;
    }
    const at = deps.clock.now().toISOString();
    rules = rules.map((r) => (r.name === rule.name ? { ...r, removed: 'deleted' as const, removedAt: at } : r));
    await deps.evidence
      .append([
        {
          serverKey: found.live.key,
          id: `drill:${record.id}:rule-removed:${rule.name}`,
          at,
          actor: deps.operator,
          kind: 'delete-firewall-rule',
          summary: `Drill ${record.id}: deleted firewall rule ${rule.name} (${rule.startIpAddress}-${rule.endIpAddress}) of ${found.live.name}`,
          reason,
          before: { rule: rule.name, startIpAddress: rule.startIpAddress, endIpAddress: rule.endIpAddress },
          details: { drill: record.id },
        },
      ])
      .catch((error: unknown) =>
        deps.log?.(
          `drill ${record.id}: evidence of removing rule ${rule.name} not written: ${(error as Error).message}`,
        ),
      );
  }
  return { ...record, firewallRules: rules, failures: [...record.failures, ...failures] };
}

/** Compute and storage hours of the clone at list prices, from requested to gone (or now). */
async function withCost(record: DrillRecord, clone: Server | undefined, deps: DrillDeps): Promise<DrillRecord> {
  if (!clone || !deps.prices || !clone.skuName) return record;
  try {
    const { items, source } = await deps.prices.itemsFor(clone.location);
    const until = phaseAt(record, 'gone') ?? deps.clock.now().toISOString();
    const cost = estimateCost(
      {
        skuName: clone.skuName,
        ...(clone.skuTier ? { tier: clone.skuTier } : {}),
        storageSizeGb: clone.storageSizeGb ?? 32,
        region: clone.location,
        createdAt: record.startedAt,
        until,
      },
      { items, source },
      deps.clock.now(),
    );
    if (!cost.known) return { ...record, cost: { unknown: cost.reason } };
    return {
      ...record,
      cost: {
        amount: Math.round((cost.toDate ?? 0) * 100) / 100,
        currency: cost.currency,
        computeHours: Math.round((cost.hoursToDate ?? 0) * 100) / 100,
        perHour: Math.round(cost.perHour * 1000) / 1000,
      },
    };
  } catch (error) {
    return { ...record, cost: { unknown: (error as Error).message } };
  }
}

async function mailOwner(record: DrillRecord, deps: DrillDeps): Promise<void> {
  try {
    const result = await deps.mailer.send({
      to: record.owner,
      subject: drillSubject(record),
      plainText: renderDrillText(record),
      html: renderDrillHtml(record),
      headers: { 'X-PITR-Warden-Drill': record.id },
    });
    if (result.status !== 'Succeeded')
      deps.log?.(`drill ${record.id}: mail to ${record.owner} failed: ${result.error ?? 'unknown'}`);
  } catch (error) {
    deps.log?.(`drill ${record.id}: mail to ${record.owner} failed: ${(error as Error).message}`);
  }
}

/** What one timer run did. */
export interface DrillsRunOutcome {
  readonly started: DrillRecord[];
  readonly cleaned: string[];
  readonly skipped: { readonly plan: string; readonly source: string; readonly reason: string }[];
  readonly failed: { readonly plan: string; readonly source: string; readonly reason: string }[];
}

/**
 * The `runRestoreDrills` timer: deletes kept drill clones whose keep period ended, then runs every plan whose
 * schedule came due since its last drill, on every source it covers (never on clones), one at a time.
 */
export async function runDueDrills(deps: DrillDeps): Promise<DrillsRunOutcome> {
  const now = deps.clock.now();
  const outcome: DrillsRunOutcome = { started: [], cleaned: [], skipped: [], failed: [] };
  const records = await deps.drills.list();
  for (const kept of records.filter(
    (r) => r.cloneState === 'kept' && r.deleteAfter && Date.parse(r.deleteAfter) <= now.getTime(),
  )) {
    const done = await deleteDrillClone(kept, deps);
    await deps.drills.put({ ...done, finishedAt: deps.clock.now().toISOString() });
    outcome.cleaned.push(kept.cloneName);
  }
  if (deps.policy.drills.length === 0) return outcome;
  const servers: Server[] = [];
  for (const subscriptionId of deps.settings.subscriptionIds)
    servers.push(...(await deps.servers.list(subscriptionId)));
  for (const plan of deps.policy.drills) {
    for (const source of servers.filter((s) => planCovers(plan, s))) {
      if (isDrillClone(source, deps) || getTag(source.tags, deps.policy.tagKeys.restoredFrom)) {
        outcome.skipped.push({
          plan: plan.name,
          source: source.name,
          reason: 'a clone (restored server), not a source',
        });
        continue;
      }
      if (source.engine !== 'postgresql-flexible') {
        outcome.skipped.push({
          plan: plan.name,
          source: source.name,
          reason: `a ${ENGINE_SPECS[source.engine].label}: drills connect to PostgreSQL flexible servers only`,
        });
        continue;
      }
      const last = records.find((r) => r.plan === plan.name && r.sourceId.toLowerCase() === source.key);
      if (!drillDue(plan, last ? new Date(last.startedAt) : undefined, now)) continue;
      try {
        outcome.started.push(await runDrill({ plan, source: source.id }, deps));
      } catch (error) {
        outcome.failed.push({
          plan: plan.name,
          source: source.name,
          reason: error instanceof PreflightError ? error.problems.join('; ') : (error as Error).message,
        });
      }
    }
  }
  return outcome;
}

function isDrillClone(server: Server, deps: Pick<DrillDeps, 'policy'>): boolean {
  return (
    getTag(server.tags, DRILL_ID_TAG) !== undefined ||
    getTag(server.tags, deps.policy.tagKeys.purpose) === DRILL_PURPOSE
  );
}

function requestedPoint(
  point: string | undefined,
  plan: DrillPlan,
  now: Date,
): { ok: true; value: Date } | { ok: false; problem: string } {
  if (point === undefined)
    return {
      ok: true,
      value: plan.restorePoint === 'latest' ? now : new Date(now.getTime() - plan.restorePoint.minutesAgo * 60_000),
    };
  if (point.trim().toLowerCase() === 'latest') return { ok: true, value: now };
  const parsed = parseZonedTime(point);
  return parsed.ok ? parsed : { ok: false, problem: `${parsed.problem}, or "latest"` };
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Drill deps from the composition root. */
export function drillDeps(wired: Wired, operator: string, log?: (line: string) => void): DrillDeps {
  return {
    ...wired,
    operator,
    drills: wired.stores.drills,
    database: wired.database,
    mailer: wired.mailer,
    prices: wired.prices,
    clientAddresses: wired.config.drills.clientAddresses,
    ...(log ? { log } : {}),
  };
}
