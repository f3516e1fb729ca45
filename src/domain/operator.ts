/** Decisions of the operator CLI: restore preflight and birth tags, extend, hold, release, job health. Pure, given `now`. */
import { Cron } from 'croner';
import { ENGINE_SPECS, type Engine } from './engines.js';
import type { Server } from './model.js';
import { ruleOf, type Policy } from './policy.js';
import {
  addDays,
  calendarUtc,
  AZURE_MAX_TAGS,
  DAY_MS,
  findTagKey,
  formatUtc,
  getNonEmptyTag,
  getTag,
  isLegalHold,
  mergeTags,
  parseExpiresOn,
} from './tags.js';

/** Thrown when a request cannot go ahead; `problems` lists every reason at once, each naming the option. */
export class PreflightError extends Error {
  override name = 'PreflightError';
  constructor(
    readonly problems: readonly string[],
    what = 'restore',
  ) {
    super(
      `The ${what} was refused before anything was changed (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
}

/** Azure's limit on a tag value. */
export const TAG_VALUE_MAX_CHARS = 256;

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

const ZONED = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * An instant written with its zone: ISO 8601 ending in `Z` or an offset. A bare local time is refused: the
 * operator's laptop time zone must never decide which data a clone holds.
 * @example parseZonedTime('2026-11-20T10:00:00+01:00') // { ok: true, value: 2026-11-20T09:00:00.000Z }
 */
export function parseZonedTime(text: string): Parsed<Date> {
  const t = text.trim();
  const m = ZONED.exec(t);
  if (!m) {
    const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(t);
    return {
      ok: false,
      problem: `"${text}" is not an ISO 8601 date-time${dateOnly ? ' (a date alone has no time of day)' : ''}; write it in UTC such as 2026-11-20T10:00:00Z or with an offset such as 2026-11-20T11:00:00+01:00`,
    };
  }
  if (!m[8])
    return { ok: false, problem: `"${text}" has no time zone: add Z for UTC (${t}Z) or an offset (${t}+01:00)` };
  const zone = m[8].toUpperCase();
  const offsetMinutes =
    zone === 'Z' ? 0 : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2)));
  // The wall-clock time as if it were UTC; the offset moves it below.
  const local = calendarUtc(m);
  if (!local || Math.abs(offsetMinutes) > 14 * 60)
    return { ok: false, problem: `"${text}" is not a real date, time and offset` };
  return { ok: true, value: new Date(local.getTime() - offsetMinutes * 60_000) };
}

/** UTC text of an instant: seconds precision unless it has milliseconds. */
export function utcText(at: Date): string {
  return at.getUTCMilliseconds() === 0 ? formatUtc(at) : at.toISOString();
}

const TTL = /^(\d{1,5})\s*(h|d|w)$/i;
const TTL_UNIT_MS: Record<string, number> = { h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS };

/**
 * A lifetime such as `36h`, `7d` or `2w`.
 * @example parseTtl('7d') // { ok: true, value: 604800000 }
 */
export function parseTtl(text: string): Parsed<number> {
  const m = TTL.exec(text.trim());
  const ms = m ? Number(m[1]) * TTL_UNIT_MS[m[2]!.toLowerCase()]! : NaN;
  if (!m || !(ms > 0)) return { ok: false, problem: `"${text}" is not a lifetime such as 36h, 7d or 2w` };
  return { ok: true, value: ms };
}

const SERVER_NAME = /^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$/;

/** Undefined when `name` is a valid flexible server name (3-63 lower-case letters, digits, hyphens; no hyphen at either end). */
/** Undefined when `name` is a valid SQL database name: 1 to 128 characters, none of <>*%&:\\/?, not ending with a period or space. */
export function databaseNameProblem(name: string): string | undefined {
  return /^[^<>*%&:\\/?]{1,128}$/.test(name) && !/[. ]$/.test(name)
    ? undefined
    : `"${name}" is not a valid database name: 1 to 128 characters, none of <>*%&:\\/? and not ending with a period or a space`;
}

export function serverNameProblem(name: string): string | undefined {
  return SERVER_NAME.test(name)
    ? undefined
    : `"${name}" is not a valid server name: 3 to 63 lower-case letters, digits or hyphens, not starting or ending with a hyphen`;
}

const EMAIL = /^[^\s@<>"]+@([a-z0-9-]+(?:\.[a-z0-9-]+)+)$/i;

/** Undefined when `owner` is an e-mail address in one of the allowed domains (exact domain, case-insensitive). */
export function ownerProblem(owner: string, allowedDomains: readonly string[]): string | undefined {
  const domain = EMAIL.exec(owner.trim())?.[1]?.toLowerCase();
  if (domain === undefined) {
    const objectId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(owner.trim());
    return objectId
      ? `"${owner}" is an object id, which cannot be mailed: the owner gets the clone's notices, give their e-mail address`
      : `"${owner}" is not an e-mail address`;
  }
  if (allowedDomains.length === 0)
    return `no owner domain is allowed (set policy restore.allowedOwnerDomains or ALLOWED_RECIPIENT_DOMAINS)`;
  if (!allowedDomains.some((d) => d.toLowerCase() === domain))
    return `"${owner}" is not in an allowed domain (${allowedDomains.join(', ')})`;
  return undefined;
}

/** The lifetimes a restore may ask for: the engine's expiry rule's default and maximum (no maximum when the rule is off). */
export function lifetimeLimits(policy: Policy, engine?: Engine): { defaultDays: number; maxDays?: number } {
  const rule = ruleOf(policy, 'expiry', engine);
  return rule ? { defaultDays: rule.defaultLifetimeDays, maxDays: rule.maxLifetimeDays } : { defaultDays: 7 };
}

/**
 * Everything the restore preflight decides on, as read before any write.
 * @example planRestore({ now, policy, source, time: '2026-11-20T08:00:00Z', name: 'pg-orders-0412', targetResourceGroup: 'rg-prod',
 *   nameTaken: false, owner: 'alice@contoso.com', allowedOwnerDomains: ['contoso.com'], incident: 'INC-4242', restoredBy: 'alice@contoso.com' })
 */
export interface RestoreFacts {
  readonly now: Date;
  readonly policy: Policy;
  /** The source as read live; undefined when it was not found (`sourceProblem` says why). */
  readonly source: Server | undefined;
  readonly sourceProblem?: string;
  readonly time: string;
  readonly name: string;
  /** Resolved target: `--resource-group`, else the source's. */
  readonly targetResourceGroup: string | undefined;
  /** The id of the server of that name when one exists; undefined when it is free or was not checked. */
  readonly nameTakenBy?: string;
  /** Why Azure's name availability check refused the name (flexible server names are unique across Azure). */
  readonly nameUnavailable?: string;
  readonly owner: string;
  readonly allowedOwnerDomains: readonly string[];
  readonly incident?: string;
  readonly purpose?: string;
  readonly ttl?: string;
  /** Who runs the restore (RestoredBy). */
  readonly restoredBy: string;
}

/** What to send: the restore request with the birth tags, and the expiry it sets. */
export interface RestorePlan {
  readonly sourceServerId: string;
  readonly targetResourceGroup: string;
  readonly targetName: string;
  readonly location: string;
  readonly pointInTime: Date;
  readonly expiresOn: Date;
  readonly tags: Record<string, string>;
}

export type RestoreCheck =
  { readonly ok: true; readonly plan: RestorePlan } | { readonly ok: false; readonly problems: string[] };

/** The preflight: every problem with the request at once, or the request to send. */
export function planRestore(f: RestoreFacts): RestoreCheck {
  const problems: string[] = [];
  const k = f.policy.tagKeys;
  if (f.sourceProblem || !f.source) problems.push(`--source: ${f.sourceProblem ?? 'not found'}`);

  const time = parseZonedTime(f.time);
  if (!time.ok) problems.push(`--time: ${time.problem}`);
  else if (f.source) {
    const earliest = f.source.earliestRestoreDate ? new Date(f.source.earliestRestoreDate) : undefined;
    const window = `${earliest ? formatUtc(earliest) : '(earliest unknown)'} to now (${formatUtc(f.now)})`;
    if (time.value.getTime() > f.now.getTime())
      problems.push(
        `--time ${f.time} (${utcText(time.value)}) is in the future: the restore window of ${f.source.name} is ${window}`,
      );
    else if (earliest && time.value.getTime() < earliest.getTime()) {
      problems.push(
        `--time ${f.time} (${utcText(time.value)}) is before the earliest restore point of ${f.source.name}: the restore window is ${window}`,
      );
    } else {
      // Without an earliest restore point from ARM, the engine's longest retention still bounds the window.
      const spec = ENGINE_SPECS[f.source.engine];
      const oldest = f.now.getTime() - spec.retentionDays.max * DAY_MS;
      if (time.value.getTime() < oldest) {
        problems.push(
          `--time ${f.time} (${utcText(time.value)}) is older than any ${spec.label} keeps backups (retention ${spec.retentionDays.min} to ${spec.retentionDays.max} days): the restore window of ${f.source.name} is ${window}`,
        );
      }
    }
  }

  // A SQL database's name follows the database rules and need only be free on its logical server.
  const nameProblem = f.source?.engine === 'sql-database' ? databaseNameProblem(f.name) : serverNameProblem(f.name);
  if (nameProblem) problems.push(`--name: ${nameProblem}`);
  else if (f.nameTakenBy)
    problems.push(`--name: a server named ${f.name} already exists (${f.nameTakenBy}); a restore needs a new name`);
  else if (f.nameUnavailable)
    problems.push(
      `--name: ${f.name} is not available: ${f.nameUnavailable} (a flexible server name is unique across all of Azure, not only your subscriptions); choose another`,
    );

  if (f.source && f.targetResourceGroup) {
    const allowed = f.policy.restore.allowedTargetResourceGroups;
    const ok =
      allowed.length === 0
        ? sameText(f.targetResourceGroup, f.source.resourceGroup)
        : allowed.some((rg) => sameText(rg, f.targetResourceGroup!));
    if (!ok) {
      problems.push(
        allowed.length === 0
          ? `--resource-group ${f.targetResourceGroup}: only the source's own resource group ${f.source.resourceGroup} is allowed (policy restore.allowedTargetResourceGroups is empty)`
          : `--resource-group ${f.targetResourceGroup} is not an allowed restore target (policy restore.allowedTargetResourceGroups: ${allowed.join(', ')})`,
      );
    }
  }

  const owner = ownerProblem(f.owner, f.allowedOwnerDomains);
  if (owner) problems.push(`--owner: ${owner}`);
  const sourceOwner = f.source ? getNonEmptyTag(f.source.tags, k.owner) : undefined;
  if (!owner && sourceOwner && sameText(sourceOwner, f.owner)) {
    problems.push(
      `--owner ${f.owner} is the source's ${k.owner}: a clone needs the person answerable for this copy (an inherited owner is never taken as the clone's)`,
    );
  }

  const incident = f.incident?.trim();
  const purpose = f.purpose?.trim();
  if (!incident && !purpose) problems.push(`give --incident <id> or --purpose <text>: why the clone exists`);
  if (incident && purpose) problems.push(`give --incident or --purpose, not both`);
  for (const [option, value] of [
    ['--incident', incident],
    ['--purpose', purpose],
    ['--owner', f.owner.trim()],
  ] as const) {
    if (value && value.length > TAG_VALUE_MAX_CHARS)
      problems.push(`${option}: at most ${TAG_VALUE_MAX_CHARS} characters (an Azure tag value); got ${value.length}`);
  }

  const limits = lifetimeLimits(f.policy, f.source?.engine);
  const ttl = f.ttl === undefined ? { ok: true as const, value: limits.defaultDays * DAY_MS } : parseTtl(f.ttl);
  if (!ttl.ok) problems.push(`--ttl: ${ttl.problem}`);
  else if (limits.maxDays !== undefined && ttl.value > limits.maxDays * DAY_MS) {
    problems.push(
      `--ttl ${f.ttl}: over the maximum lifetime of ${limits.maxDays} days (policy rule expiry.maxLifetimeDays)`,
    );
  }

  if (problems.length > 0 || !f.source || !time.ok || !ttl.ok || !f.targetResourceGroup) return { ok: false, problems };
  const expiresOn = new Date(Math.floor((f.now.getTime() + ttl.value) / 1000) * 1000);
  const tags = restoreTags({
    source: f.source,
    policy: f.policy,
    pointInTime: time.value,
    restoredBy: f.restoredBy,
    owner: f.owner.trim(),
    incident,
    purpose,
    expiresOn,
  });
  if (Object.keys(tags).length > AZURE_MAX_TAGS) {
    return {
      ok: false,
      problems: [
        `the clone would carry ${Object.keys(tags).length} tags (the source's plus the warden's), over Azure's limit of ${AZURE_MAX_TAGS}`,
      ],
    };
  }
  return {
    ok: true,
    plan: {
      sourceServerId: f.source.id,
      targetResourceGroup: f.targetResourceGroup,
      targetName: f.name,
      location: f.source.location,
      pointInTime: time.value,
      expiresOn,
      tags,
    },
  };
}

/**
 * The tags a clone is born with: what the restore would copy from the source, without the labels that describe the
 * source as a clone, with inherited ownership moved aside as the `replace-inherited-ownership` rule does (SourceOwner,
 * and `alsoReplace` keys), and the lineage, owner, reason and expiry tags. The plan finds nothing to write on it.
 * An engine whose restore copies no tags (a SQL database) gets only the lineage, owner, reason and expiry tags: the
 * warden does not label a copy as production (Environment, CostCenter, the production owner) when Azure would not.
 */
export function restoreTags(input: {
  source: Server;
  policy: Policy;
  pointInTime: Date;
  restoredBy: string;
  owner: string;
  incident?: string;
  purpose?: string;
  expiresOn: Date;
}): Record<string, string> {
  const k = input.policy.tagKeys;
  const replace = ruleOf(input.policy, 'replace-inherited-ownership');
  const prefix = replace?.sourceKeyPrefix ?? 'Source';
  const labels = new Set(
    [k.restoredFrom, k.restorePointUtc, k.restoredBy, k.expiresOn, k.legalHold, k.incident, k.purpose].map((key) =>
      key.toLowerCase(),
    ),
  );
  const copied = ENGINE_SPECS[input.source.engine].restoreCopiesTags ? input.source.tags : {};
  const inherited: Record<string, string> = Object.fromEntries(
    Object.entries(copied).filter(([key]) => !labels.has(key.toLowerCase())),
  );
  const set: Record<string, string> = {};
  const sourceOwner = getNonEmptyTag(copied, k.owner);
  if (replace && sourceOwner) set[`${prefix}${k.owner}`] = sourceOwner;
  for (const key of Object.keys(replace?.alsoReplace ?? {}).sort()) {
    const cloneValue = replace!.alsoReplace[key]!;
    const value = getNonEmptyTag(copied, key);
    if (value === undefined || value === cloneValue) continue;
    set[`${prefix}${key}`] = value;
    set[key] = cloneValue;
  }
  set[k.owner] = input.owner;
  set[k.restoredFrom] = input.source.id;
  set[k.restorePointUtc] = utcText(input.pointInTime);
  set[k.restoredBy] = input.restoredBy;
  if (input.incident) set[k.incident] = input.incident;
  if (input.purpose) set[k.purpose] = input.purpose;
  set[k.expiresOn] = formatUtc(input.expiresOn);
  return mergeTags(inherited, set);
}

/**
 * `extend --until`: the new ExpiresOn, or why not. Accepted: a UTC date (midnight UTC), a date-time with Z or an
 * offset; refused: unparseable, not later than now or than the current expiry, beyond creation + maxLifetimeDays.
 * @example planExtend({ server, until: '2026-12-10', now, policy }) // { ok: true, set: { ExpiresOn: '2026-12-10T00:00:00Z' }, ... }
 */
export function planExtend(input: {
  server: Server;
  until: string;
  now: Date;
  policy: Policy;
}): { ok: true; set: Record<string, string>; before?: string; expiresOn: string } | { ok: false; problems: string[] } {
  const { server, policy, now } = input;
  const k = policy.tagKeys;
  const dateOnly = parseExpiresOn(input.until.trim());
  const zoned = parseZonedTime(input.until);
  const until =
    /^\d{4}-\d{2}-\d{2}$/.test(input.until.trim()) && dateOnly.ok ? dateOnly.at : zoned.ok ? zoned.value : undefined;
  if (!until)
    return {
      ok: false,
      problems: [
        `--until: "${input.until}" is not a date (2026-12-10, meaning 00:00 UTC) or a date-time with Z or an offset`,
      ],
    };
  const problems: string[] = [];
  if (until.getTime() <= now.getTime())
    problems.push(`--until ${input.until} is not in the future (now is ${formatUtc(now)})`);
  const current = parseExpiresOn(getTag(server.tags, k.expiresOn));
  if (current.ok && until.getTime() < current.at.getTime())
    problems.push(
      `--until ${input.until} is earlier than the current ${k.expiresOn} ${formatUtc(current.at)}: extend only moves the expiry later`,
    );
  const max = lifetimeLimits(policy, server.engine).maxDays;
  if (max !== undefined) {
    const created = server.createdAt ? new Date(server.createdAt) : undefined;
    if (!created || Number.isNaN(created.getTime()))
      problems.push(
        `${server.name} has no creation time in ARM: the maximum lifetime of ${max} days cannot be checked`,
      );
    else if (until.getTime() > addDays(created, max).getTime()) {
      problems.push(
        `--until ${input.until} is beyond the maximum lifetime of ${max} days (policy rule expiry.maxLifetimeDays): ${server.name} was created ${formatUtc(created)}, so the latest allowed is ${formatUtc(addDays(created, max))}`,
      );
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  const key = findTagKey(server.tags, k.expiresOn) ?? k.expiresOn;
  const before = getTag(server.tags, k.expiresOn);
  return {
    ok: true,
    set: { [key]: formatUtc(until) },
    ...(before !== undefined ? { before } : {}),
    expiresOn: formatUtc(until),
  };
}

/**
 * `hold --reason`: the legal-hold tag carries the reason itself (one tag; any value but empty or "false" holds).
 * @example planHold({ server, reason: 'litigation INC-9', policy }) // { ok: true, set: { LegalHold: 'litigation INC-9' } }
 */
export function planHold(input: {
  server: Server;
  reason: string;
  policy: Policy;
}): { ok: true; set: Record<string, string> } | { ok: false; problems: string[] } {
  const reason = input.reason.trim().replace(/\s+/g, ' ');
  const problems: string[] = [];
  if (!isLegalHold(reason)) problems.push(`--reason: say why the clone is held ("${input.reason}" would not hold it)`);
  if (reason.length > TAG_VALUE_MAX_CHARS)
    problems.push(`--reason: at most ${TAG_VALUE_MAX_CHARS} characters (an Azure tag value); got ${reason.length}`);
  if (problems.length > 0) return { ok: false, problems };
  const key = findTagKey(input.server.tags, input.policy.tagKeys.legalHold) ?? input.policy.tagKeys.legalHold;
  return { ok: true, set: { [key]: reason } };
}

/** `release`: the legal-hold tag to delete, exactly as it is on the server (Delete removes a name/value pair); undefined when not held by tag. */
export function planRelease(server: Server, policy: Policy): Record<string, string> | undefined {
  const key = findTagKey(server.tags, policy.tagKeys.legalHold);
  if (key === undefined) return undefined;
  const value = server.tags[key] ?? '';
  return isLegalHold(value) ? { [key]: value } : undefined;
}

/**
 * The jobs `pitr-warden status` judges, by the name they record in the runs table (their function names, as in
 * src/jobs/reconcile.ts, notices.ts and sweep.ts), with the Config.schedules entry of their timer.
 */
export const SCHEDULED_JOBS = [
  { job: 'reconcile', schedule: 'reconcile' },
  { job: 'sendOwnerNotices', schedule: 'notices' },
  { job: 'sendFinopsSummary', schedule: 'finopsSummary' },
  { job: 'sendReviewDigest', schedule: 'notices' },
  { job: 'deleteExpiredClones', schedule: 'sweep' },
  { job: 'runRestoreDrills', schedule: 'drills' },
] as const;

/** What the health check reads of a job's run row. */
export interface JobRunFacts {
  readonly job: string;
  readonly lastStartedAt?: string;
  readonly lastFinishedAt?: string;
  readonly lastSucceededAt?: string;
  readonly lastOutcome?: 'succeeded' | 'failed';
  readonly lastError?: string;
}

export interface JobHealth extends JobRunFacts {
  readonly schedule?: string;
  /** Gap between the next two scheduled runs (minutes). */
  readonly intervalMinutes?: number;
  /** When the job is stale unless it succeeds before (ISO). */
  readonly dueBy?: string;
  /**
   * ok; failing (its last run failed); stale (no success within twice its schedule); never-succeeded (its first runs
   * were due and none succeeded); pending (never ran, its first scheduled run is not due yet: a fresh deployment);
   * disabled; unscheduled (a run row without a schedule).
   */
  readonly status: 'ok' | 'failing' | 'stale' | 'never-succeeded' | 'pending' | 'disabled' | 'unscheduled';
  readonly detail: string;
}

/** The statuses that make the warden unhealthy (`status` exits 1, /api/health answers 503). */
export const UNHEALTHY_JOB_STATUSES: ReadonlySet<JobHealth['status']> = new Set([
  'failing',
  'stale',
  'never-succeeded',
]);

/** Grace after the second missed run for the run itself: one interval, at most this. */
const MAX_GRACE_MS = 15 * 60_000;

/**
 * Whether a job is doing its work. Failing when its last run failed (a job that fails on every run is reported at once,
 * not only once it is stale); stale once the second scheduled run after its last success is past (plus a grace of one
 * interval, at most 15 minutes, for that run to finish); never-succeeded when it has no success and its first two
 * scheduled runs after `since` (when the warden started: a fresh deployment) are past; pending before that. Counting
 * scheduled runs rather than a fixed period keeps a weekly job from looking broken in its first week and a
 * business-hours job from looking stale over a weekend. Schedules are NCRONTAB in UTC.
 * @example jobHealth({ job: 'reconcile', schedule: '0 *\/5 * * * *', run, now, since }) // { status: 'ok', dueBy: '...' }
 */
export function jobHealth(input: {
  job: string;
  schedule?: string;
  enabled?: boolean;
  run?: JobRunFacts;
  now: Date;
  since?: Date;
}): JobHealth {
  const base = { ...input.run, job: input.job, ...(input.schedule ? { schedule: input.schedule } : {}) };
  if (input.enabled === false) return { ...base, status: 'disabled', detail: 'switched off by configuration' };
  if (!input.schedule) return { ...base, status: 'unscheduled', detail: 'no schedule known for this job' };
  const cron = new Cron(input.schedule, { paused: true, timezone: 'Etc/UTC' });
  const upcoming = cron.nextRuns(2, input.now);
  const intervalMinutes =
    upcoming.length === 2 ? (upcoming[1]!.getTime() - upcoming[0]!.getTime()) / 60_000 : undefined;
  const withInterval = { ...base, ...(intervalMinutes !== undefined ? { intervalMinutes } : {}) };
  const run = input.run;
  const lastFailure =
    run?.lastOutcome === 'failed'
      ? `last run ${run.lastFinishedAt ? `(${run.lastFinishedAt}) ` : ''}failed${run.lastError ? `: ${run.lastError}` : ''}`
      : undefined;
  /** When the second scheduled run after `from` is past, plus grace. */
  const secondRunDue = (from: Date): { dueBy: Date; missed: [Date, Date] } | undefined => {
    const next = cron.nextRuns(2, from);
    if (next.length < 2) return undefined;
    return {
      dueBy: new Date(next[1]!.getTime() + Math.min(next[1]!.getTime() - next[0]!.getTime(), MAX_GRACE_MS)),
      missed: [next[0]!, next[1]!],
    };
  };
  const success = run?.lastSucceededAt ? new Date(run.lastSucceededAt) : undefined;
  if (!success || Number.isNaN(success.getTime())) {
    if (lastFailure) return { ...withInterval, status: 'failing', detail: `never succeeded; ${lastFailure}` };
    if (!run?.lastStartedAt) {
      const first = input.since ? secondRunDue(input.since) : undefined;
      if (first && input.since && input.now.getTime() <= first.dueBy.getTime()) {
        return {
          ...withInterval,
          dueBy: formatUtc(first.dueBy),
          status: 'pending',
          detail: `not run yet: its first scheduled run is ${formatUtc(first.missed[0])} (the warden started ${formatUtc(input.since)})`,
        };
      }
    }
    return {
      ...withInterval,
      status: 'never-succeeded',
      detail: run?.lastStartedAt
        ? `never succeeded (last started ${run.lastStartedAt}${run.lastError ? `: ${run.lastError}` : ', still running or cut off'})`
        : `never ran${input.since ? ` since the warden started ${formatUtc(input.since)}` : ''}`,
    };
  }
  const missed = secondRunDue(success);
  if (!missed)
    return {
      ...withInterval,
      status: lastFailure ? 'failing' : 'ok',
      detail: lastFailure ?? 'the schedule has no further runs',
    };
  const stale = input.now.getTime() > missed.dueBy.getTime();
  const dueBy = formatUtc(missed.dueBy);
  if (stale) {
    return {
      ...withInterval,
      dueBy,
      status: 'stale',
      detail: `no success since ${run!.lastSucceededAt}: missed the runs of ${formatUtc(missed.missed[0])} and ${formatUtc(missed.missed[1])}${lastFailure ? `; ${lastFailure}` : ''}`,
    };
  }
  if (lastFailure)
    return {
      ...withInterval,
      dueBy,
      status: 'failing',
      detail: `${lastFailure} (last success ${run!.lastSucceededAt})`,
    };
  return { ...withInterval, dueBy, status: 'ok', detail: `last success ${run!.lastSucceededAt}` };
}

function sameText(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}
