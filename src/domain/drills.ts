/**
 * Restore drills: plans (policy data), the phases a drill is measured by, objectives, validation checks, cost and
 * the health of each source's last drill. Pure, given `now`.
 */
import { Cron } from 'croner';
import { z } from 'zod';
import { parseServerId } from './ids.js';
import type { FirewallRule, Server } from './model.js';
import { parseIpRange, rangeWithin } from './network.js';
import { getTag } from './tags.js';

const NAME = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

/** Undefined when `expression` is an NCRONTAB schedule with seconds (six fields), as the Functions timer takes it. */
export function ncrontabProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6)
    return `"${expression}" is not an NCRONTAB schedule: six fields {second} {minute} {hour} {day} {month} {day-of-week}, such as "0 0 2 * * *"`;
  try {
    new Cron(expression, { paused: true });
    return undefined;
  } catch (error) {
    return `"${expression}" is not an NCRONTAB schedule: ${(error as Error).message}`;
  }
}

const minutes = (what: string) =>
  z
    .number()
    .positive(`must be a positive number of minutes`)
    .max(7 * 24 * 60, `${what} must be at most a week (10080 minutes)`);

const valueCheck = z.strictObject({
  type: z.literal('value'),
  name: z.string().min(1, 'must not be empty'),
  /** One statement; the first column of the first row is compared. */
  sql: z.string().min(1, 'must not be empty'),
  atLeast: z.number().optional(),
  atMost: z.number().optional(),
  equals: z.union([z.string(), z.number(), z.boolean()]).optional(),
});

const recoveryPointCheck = z.strictObject({
  type: z.literal('recovery-point'),
  name: z.string().min(1, 'must not be empty'),
  /** One statement whose first column is the newest timestamp the clone holds (e.g. `select max(at) from heartbeat`). */
  sql: z.string().min(1, 'must not be empty'),
  /** The achieved recovery point may lag the requested one by at most this. */
  maxLagMinutes: minutes('maxLagMinutes'),
});

const checkSchema = z.discriminatedUnion('type', [valueCheck, recoveryPointCheck]);
export const DRILL_CHECK_TYPES = ['value', 'recovery-point'] as const;

const email = z.string().regex(/^[^\s@<>"]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+$/i, 'must be an e-mail address');

/**
 * A drill plan, as written in the policy file's `drills` array.
 * @example
 *   { "name": "orders-nightly", "sources": { "ids": ["/subscriptions/…/flexibleServers/pg-orders-prod"] },
 *     "schedule": "0 0 2 * * *", "restorePoint": { "minutesAgo": 15 }, "owner": "dba-team@contoso.com",
 *     "objectives": { "readyMinutes": 30, "validatedMinutes": 45 }, "database": "orders",
 *     "validation": [{ "type": "value", "name": "orders exist", "sql": "select count(*) from orders", "atLeast": 1 },
 *                    { "type": "recovery-point", "name": "heartbeat", "sql": "select max(at) from heartbeat", "maxLagMinutes": 5 }],
 *     "keepMinutes": 0 }
 */
export const drillPlanSchema = z
  .strictObject({
    name: z
      .string()
      .regex(NAME, 'must be 1-32 lower-case letters, digits or hyphens (it becomes part of the clone name)'),
    description: z.string().optional(),
    /** Servers by resource id, and/or every server carrying all of these tags. */
    sources: z
      .strictObject({
        ids: z
          .array(
            z.string().refine((s) => parseServerId(s) !== undefined && !parseServerId(s)!.child, {
              error: (i) => `${JSON.stringify(i.input)} is not a flexible server resource id`,
            }),
          )
          .default([]),
        tags: z.record(z.string().min(1), z.string()).default({}),
      })
      .refine((s) => s.ids.length > 0 || Object.keys(s.tags).length > 0, {
        message: 'give ids or tags: which servers to drill',
      }),
    schedule: z.string().refine((s) => ncrontabProblem(s) === undefined, {
      error: (i) => ncrontabProblem(String(i.input)) ?? 'invalid schedule',
    }),
    /** `latest` (now), or a point so many minutes ago. */
    restorePoint: z
      .union([
        z.literal('latest'),
        z.strictObject({
          minutesAgo: z
            .number()
            .int('must be whole minutes')
            .min(0, 'must be at least 0')
            .max(35 * 24 * 60, 'must be within 35 days (the longest backup retention)'),
        }),
      ])
      .default('latest'),
    objectives: z
      .strictObject({
        readyMinutes: minutes('readyMinutes').default(60),
        validatedMinutes: minutes('validatedMinutes').default(90),
      })
      .default({ readyMinutes: 60, validatedMinutes: 90 }),
    /** Database the checks run in. */
    database: z.string().min(1).default('postgres'),
    validation: z.array(checkSchema).default([]),
    /** Each check gives up after this long (the drill fails with the database's message). */
    queryTimeoutSeconds: z.number().int().min(1).max(3600).default(60),
    /** How long the clone is kept after validation before the drill deletes it (0: at once). */
    keepMinutes: z
      .number()
      .int('must be whole minutes')
      .min(0)
      .max(7 * 24 * 60)
      .default(0),
    /** Who hears the outcome (and answers for the clone while it lives). */
    owner: email,
  })
  .refine((p) => p.objectives.validatedMinutes >= p.objectives.readyMinutes, {
    message: 'must not be shorter than readyMinutes',
    path: ['objectives', 'validatedMinutes'],
  })
  .refine((p) => new Set(p.validation.map((c) => c.name)).size === p.validation.length, {
    message: 'check names must be unique',
    path: ['validation'],
  });

export type DrillPlan = z.output<typeof drillPlanSchema>;
export type DrillCheck = DrillPlan['validation'][number];

/** Problems across plans (run on the raw document, reported with every field problem). */
export function drillPlanCrossChecks(drills: unknown): string[] {
  if (!Array.isArray(drills)) return [];
  const seen = new Map<string, number>();
  const problems: string[] = [];
  drills.forEach((d: unknown, i) => {
    const name = typeof d === 'object' && d !== null ? (d as { name?: unknown }).name : undefined;
    if (typeof name !== 'string') return;
    const first = seen.get(name);
    if (first !== undefined)
      problems.push(`drills[${i}] (${name}).name: duplicate drill name; already given at drills[${first}]`);
    else seen.set(name, i);
  });
  return problems;
}

/** Does the plan cover this server (by id, or by carrying every selector tag)? */
export function planCovers(plan: DrillPlan, server: Server): boolean {
  if (plan.sources.ids.some((id) => id.toLowerCase() === server.key)) return true;
  const tags = Object.entries(plan.sources.tags);
  return tags.length > 0 && tags.every(([k, v]) => getTag(server.tags, k)?.toLowerCase() === v.toLowerCase());
}

/** Was an occurrence of the plan's schedule due in (lastRun, now]? The first run counts from `since` (e.g. one period ago). */
export function drillDue(plan: DrillPlan, lastRequested: Date | undefined, now: Date): boolean {
  const cron = new Cron(plan.schedule, { paused: true, timezone: 'UTC' });
  const from = lastRequested ?? new Date(now.getTime() - 24 * 60 * 60 * 1000);
  const next = cron.nextRun(from);
  return next !== null && next.getTime() <= now.getTime();
}

/** The phases of a drill, in order. */
export const DRILL_PHASES = [
  'requested',
  'accepted',
  'visible',
  'ready',
  'connected',
  'validated',
  'delete-requested',
  'gone',
] as const;
export type DrillPhase = (typeof DRILL_PHASES)[number];

export const DRILL_PHASE_LABELS: Record<DrillPhase, string> = {
  requested: 'restore requested',
  accepted: 'accepted by ARM',
  visible: 'visible (provisioning)',
  ready: 'Ready',
  connected: 'first successful connection',
  validated: 'validation done',
  'delete-requested': 'delete requested',
  gone: 'gone',
};

export interface CheckResult {
  readonly name: string;
  readonly type: DrillCheck['type'];
  readonly sql: string;
  readonly passed: boolean;
  /** The first column of the first row, as text. */
  readonly value?: string;
  /** What was expected, in words. */
  readonly expected: string;
  /** The database's message when the query failed or timed out. */
  readonly error?: string;
}

export interface ObjectiveResult {
  readonly objective: 'ready' | 'validated';
  readonly limitMinutes: number;
  /** Minutes from requested to the phase; undefined when it was never reached. */
  readonly actualMinutes?: number;
  readonly met: boolean;
}

export type DrillStatus = 'running' | 'passed' | 'failed';

/**
 * A temporary firewall rule a drill put on its own public clone for the app's outbound addresses (DRILL_CLIENT_ADDRESSES),
 * and how it went away: deleted after validation when the clone is kept, or with the clone.
 */
export interface DrillFirewallRule {
  readonly name: string;
  readonly startIpAddress: string;
  readonly endIpAddress: string;
  readonly addedAt: string;
  readonly removedAt?: string;
  /** `deleted` (the rule alone, the clone kept) or `with-clone` (the clone's delete took it). */
  readonly removed?: 'deleted' | 'with-clone';
}

/** The purpose a drill clone is born with (the policy's purpose tag) and the tag naming its drill. */
export const DRILL_PURPOSE = 'restore-drill';
export const DRILL_ID_TAG = 'WardenDrill';

/** Name of the drill's n-th rule (from 1): ARM rule names allow letters, digits, `-`, `_` and `.`. */
export function drillRuleName(n: number): string {
  return `pitr-warden-drill-${n}`;
}

/**
 * Is this a restore drill's own temporary rule for the app, which the network policy leaves to the drill? Only when all
 * hold: the server is tagged as a drill clone (its drill and purpose), the rule has a drill rule's name, and its range
 * lies inside the app's outbound addresses (DRILL_CLIENT_ADDRESSES). A rule anyone else opens stays a violation.
 * @example isDrillAppRule(clone, { name: 'pitr-warden-drill-1', startIpAddress: '20.50.1.8', endIpAddress: '20.50.1.8' }, 'Purpose', [{ start: '20.50.1.8', end: '20.50.1.9' }]) // true
 */
export function isDrillAppRule(
  server: Pick<Server, 'tags'>,
  rule: FirewallRule,
  purposeTagKey: string,
  clientAddresses: readonly { readonly start: string; readonly end: string }[],
): boolean {
  if (getTag(server.tags, DRILL_ID_TAG) === undefined || getTag(server.tags, purposeTagKey) !== DRILL_PURPOSE)
    return false;
  if (!/^pitr-warden-drill-\d+$/.test(rule.name)) return false;
  const range = parseIpRange(rule.startIpAddress, rule.endIpAddress);
  if (!range) return false;
  return clientAddresses.some((a) => {
    const allowed = parseIpRange(a.start, a.end);
    return allowed !== undefined && rangeWithin(range, allowed);
  });
}

/**
 * Does a drill need a firewall rule to reach this clone? Only a public one: a VNet clone has no firewall rules (the app
 * reaches it through VNet integration), and a clone without public access is reached through a private endpoint.
 */
export function needsFirewallRule(clone: Pick<Server, 'publicNetworkAccess' | 'delegatedSubnetId'>): boolean {
  return clone.publicNetworkAccess === 'Enabled' && !clone.delegatedSubnetId;
}

/** The rule as a fact line: range, when added, how it went. */
export function drillRuleText(rule: DrillFirewallRule): string {
  const how =
    rule.removed === 'with-clone'
      ? `removed with the clone ${rule.removedAt}`
      : rule.removed === 'deleted'
        ? `deleted ${rule.removedAt}`
        : 'still on the clone';
  return `${rule.name} ${rule.startIpAddress}-${rule.endIpAddress}, added ${rule.addedAt}, ${how}`;
}

/**
 * One drill, as the drills table keeps it and `drill report` shows it.
 * @example const record = await drills.get(id); record.phases.find((p) => p.phase === 'ready')?.at
 */
export interface DrillRecord {
  readonly id: string;
  /** The plan's name; `adhoc` for `drill run --source` without a plan. */
  readonly plan: string;
  readonly sourceId: string;
  readonly sourceName: string;
  readonly cloneId: string;
  readonly cloneName: string;
  readonly owner: string;
  readonly requestedBy: string;
  /** The restore point asked for (UTC). */
  readonly requestedPoint: string;
  /** The newest data the clone holds, from a recovery-point check. */
  readonly achievedPoint?: string;
  /** requestedPoint - achievedPoint, in seconds. */
  readonly recoveryPointLagSeconds?: number;
  readonly status: DrillStatus;
  readonly phases: readonly { readonly phase: DrillPhase; readonly at: string }[];
  readonly objectives: readonly ObjectiveResult[];
  readonly checks: readonly CheckResult[];
  /** Bytes of the clone's databases (the source's data at the restore point). */
  readonly restoredBytes?: number;
  /** Minutes from requested to Ready per 100 GB restored. */
  readonly restoreMinutesPer100Gb?: number;
  readonly skuName?: string;
  readonly region?: string;
  readonly cost?:
    | { readonly amount: number; readonly currency: string; readonly computeHours: number; readonly perHour: number }
    | { readonly unknown: string };
  /** Why the drill failed (Azure's error, the database's message, a missed objective). */
  readonly failures: readonly string[];
  /** Temporary firewall rules for the app on the public clone (none for VNet clones or without DRILL_CLIENT_ADDRESSES). */
  readonly firewallRules?: readonly DrillFirewallRule[];
  /** When the kept clone is due for deletion; undefined once it is gone or when it was deleted at once. */
  readonly deleteAfter?: string;
  /** `deleted`, `kept` (until deleteAfter), `not-created`, or `delete-failed` (the sweep is the backstop). */
  readonly cloneState: 'deleted' | 'kept' | 'not-created' | 'delete-failed' | 'restoring';
  readonly startedAt: string;
  readonly finishedAt?: string;
}

export const GB = 1024 ** 3;

/** Minutes between two ISO instants, to a tenth. */
export function minutesBetween(from: string, to: string): number {
  return Math.round((Date.parse(to) - Date.parse(from)) / 6_000) / 10;
}

export function phaseAt(record: Pick<DrillRecord, 'phases'>, phase: DrillPhase): string | undefined {
  return record.phases.find((p) => p.phase === phase)?.at;
}

/** Each objective against the phases reached. */
export function evaluateObjectives(
  plan: Pick<DrillPlan, 'objectives'>,
  phases: DrillRecord['phases'],
): ObjectiveResult[] {
  const requested = phases.find((p) => p.phase === 'requested')?.at;
  return (
    [
      ['ready', plan.objectives.readyMinutes],
      ['validated', plan.objectives.validatedMinutes],
    ] as const
  ).map(([objective, limitMinutes]) => {
    const at = phases.find((p) => p.phase === objective)?.at;
    const actualMinutes = requested && at ? minutesBetween(requested, at) : undefined;
    return {
      objective,
      limitMinutes,
      ...(actualMinutes !== undefined ? { actualMinutes } : {}),
      met: actualMinutes !== undefined && actualMinutes <= limitMinutes,
    };
  });
}

/** Judges one check's first value; `requestedPoint` for recovery-point checks. */
export function judgeCheck(
  check: DrillCheck,
  value: unknown,
  requestedPoint: Date,
): CheckResult & { achievedPoint?: Date } {
  const text =
    value instanceof Date
      ? value.toISOString()
      : value === null || value === undefined
        ? 'null'
        : typeof value === 'string'
          ? value
          : typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint'
            ? value.toString()
            : JSON.stringify(value);
  const base = { name: check.name, type: check.type, sql: check.sql, value: text };
  if (check.type === 'recovery-point') {
    const expected = `a timestamp at most ${check.maxLagMinutes} min before the requested point ${requestedPoint.toISOString()}`;
    const at = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
    if (!at || Number.isNaN(at.getTime()))
      return { ...base, expected, passed: false, error: `expected a timestamp, got ${text}` };
    const lagMinutes = (requestedPoint.getTime() - at.getTime()) / 60_000;
    return { ...base, expected, passed: lagMinutes <= check.maxLagMinutes, achievedPoint: at };
  }
  const parts: string[] = [];
  let passed = true;
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'bigint'
        ? Number(value)
        : typeof value === 'string' && value.trim() !== ''
          ? Number(value)
          : NaN;
  if (check.atLeast !== undefined) {
    parts.push(`at least ${check.atLeast}`);
    passed &&= n >= check.atLeast;
  }
  if (check.atMost !== undefined) {
    parts.push(`at most ${check.atMost}`);
    passed &&= n <= check.atMost;
  }
  if (check.equals !== undefined) {
    parts.push(`equal to ${JSON.stringify(check.equals)}`);
    passed &&= text === String(check.equals);
  }
  if (parts.length === 0) parts.push('a row');
  if (value === undefined) passed = false;
  return { ...base, expected: parts.join(' and '), passed };
}

/** Restore minutes per 100 GB restored; undefined without both numbers. */
export function minutesPer100Gb(restoreMinutes: number | undefined, bytes: number | undefined): number | undefined {
  if (restoreMinutes === undefined || !bytes) return undefined;
  return Math.round((restoreMinutes / (bytes / GB)) * 100 * 10) / 10;
}

/** The drill's clone name: `drill-<plan>-<yyyymmddhhmm>`, within Azure's 63 characters. */
export function drillCloneName(plan: string, sourceName: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:T]/g, '').slice(0, 12);
  const base = `drill-${plan === 'adhoc' ? sourceName : plan}`.slice(0, 63 - stamp.length - 1).replace(/-+$/, '');
  return `${base}-${stamp}`;
}

/** Health of each source's last finished drill, for `status`: unhealthy when it failed or missed an objective. */
export interface DrillHealth {
  readonly sourceId: string;
  readonly sourceName: string;
  readonly drillId: string;
  readonly plan: string;
  readonly status: DrillStatus;
  readonly at: string;
  readonly healthy: boolean;
  readonly detail: string;
}

export function drillHealth(records: readonly DrillRecord[]): DrillHealth[] {
  const last = new Map<string, DrillRecord>();
  for (const r of records) {
    if (r.status === 'running') continue;
    const key = r.sourceId.toLowerCase();
    const seen = last.get(key);
    if (!seen || seen.startedAt < r.startedAt) last.set(key, r);
  }
  return [...last.values()]
    .sort((a, b) => a.sourceName.localeCompare(b.sourceName))
    .map((r) => {
      const missed = r.objectives.filter((o) => !o.met);
      const healthy = r.status === 'passed' && missed.length === 0;
      const detail = healthy
        ? `passed; Ready in ${r.objectives.find((o) => o.objective === 'ready')?.actualMinutes ?? '?'} min`
        : [
            r.status === 'failed' ? `failed: ${r.failures[0] ?? 'see the report'}` : '',
            ...missed.map(
              (o) => `missed ${o.objective} objective (${o.actualMinutes ?? 'never'} of ${o.limitMinutes} min)`,
            ),
          ]
            .filter(Boolean)
            .join('; ');
      return {
        sourceId: r.sourceId,
        sourceName: r.sourceName,
        drillId: r.id,
        plan: r.plan,
        status: r.status,
        at: r.finishedAt ?? r.startedAt,
        healthy,
        detail,
      };
    });
}

/** Per source, oldest first: minutes to Ready and to validated, and pass or fail, across drills. */
export function drillTrend(
  records: readonly DrillRecord[],
  sourceId: string,
): {
  id: string;
  at: string;
  status: DrillStatus;
  readyMinutes?: number;
  validatedMinutes?: number;
  restoreMinutesPer100Gb?: number;
}[] {
  return records
    .filter((r) => r.sourceId.toLowerCase() === sourceId.toLowerCase() && r.status !== 'running')
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt))
    .map((r) => {
      const ready = r.objectives.find((o) => o.objective === 'ready')?.actualMinutes;
      const validated = r.objectives.find((o) => o.objective === 'validated')?.actualMinutes;
      return {
        id: r.id,
        at: r.startedAt,
        status: r.status,
        ...(ready !== undefined ? { readyMinutes: ready } : {}),
        ...(validated !== undefined ? { validatedMinutes: validated } : {}),
        ...(r.restoreMinutesPer100Gb !== undefined ? { restoreMinutesPer100Gb: r.restoreMinutesPer100Gb } : {}),
      };
    });
}
