import { z } from 'zod';
import type { RestoreEvidence } from './model.js';
import { ENGINE_SPECS } from './engines.js';
import { parseServerId } from './ids.js';
import { activityRecordFields, actorFromCaller, actorFromClaims, claimsObject } from './events/claims.js';
import {
  findServer,
  ignored,
  isServerDeleteOperation,
  isoTime,
  notAServer,
  serverEvent,
  statusProblem,
} from './events/resource.js';
import { EventFormatError, type ParsedEvent } from './events/types.js';
import { expected, validate } from './events/validate.js';

export type { RestoreEvidence } from './model.js';

/** `{ value, localizedValue }` in REST and SDK entries; a plain string is accepted too. */
const localizable = z
  .union([z.string(), z.object({ value: z.string(), localizedValue: z.string().optional() })], {
    error: expected('a string or an object with a string value'),
  })
  .transform((v) => (typeof v === 'string' ? v : v.value));

const entrySchema = z.object({
  operationName: localizable,
  status: localizable,
  eventTimestamp: z.union([z.string(), z.date()], { error: expected('a date-time') }),
  category: localizable.optional(),
  resourceId: z.string().optional(),
  id: z.string().optional(),
  ...activityRecordFields,
});

type Entry = z.output<typeof entrySchema>;

/** The entry's `id` names the resource followed by `/events/{eventDataId}/ticks/{ticks}`. */
function resourceIdFromEntryId(id: string | undefined): string | undefined {
  return id?.replace(/\/events\/[^/]+\/ticks\/[^/]+$/i, '');
}

function actorOf(entry: Entry, where: string) {
  const claims = claimsObject(entry.claims, `${where}.claims`);
  const actor = actorFromClaims(claims);
  return actor.type === 'unknown' && !claims ? actorFromCaller(entry.caller) : actor;
}

function serverOf(entry: Entry) {
  return findServer([entry.resourceId, entry.authorization?.scope, resourceIdFromEntryId(entry.id)]);
}

/**
 * Normalises one Activity Log entry as the REST API or `@azure/arm-monitor` lists it (the reconcile job's
 * feed), with the same rules as an Activity Log alert: only Succeeded Administrative operations on flexible
 * servers give events.
 * @throws EventFormatError naming the field, e.g. `entry.operationName: missing`.
 */
export function resourceEventFromActivityEntry(entry: unknown): ParsedEvent {
  const where = 'entry';
  const parsed = validate(entrySchema, entry, where);
  const eventTime = isoTime(parsed.eventTimestamp, `${where}.eventTimestamp`);
  const actor = actorOf(parsed, where);
  const eventId = parsed.eventDataId;
  if (parsed.category !== undefined && parsed.category !== 'Administrative') {
    return ignored('activity-log', `not an Administrative category entry (category ${parsed.category})`, eventId);
  }
  const found = serverOf(parsed);
  if (!found) {
    const named = parsed.resourceId ?? parsed.authorization?.scope ?? resourceIdFromEntryId(parsed.id);
    if (named === undefined) throw new EventFormatError(`${where}.resourceId: missing (the entry names no resource)`);
    return notAServer('activity-log', named, eventId);
  }
  const problem = statusProblem(parsed.status);
  if (problem) return ignored('activity-log', problem, eventId);
  return serverEvent({
    source: 'activity-log',
    ...found,
    deleteReported: isServerDeleteOperation(parsed.operationName, found.ref.engine),
    operationName: parsed.operationName,
    eventTime,
    correlationId: parsed.correlationId,
    eventId,
    actor,
    status: parsed.status,
  });
}

function property(object: Record<string, unknown> | null | undefined, name: string): unknown {
  if (!object) return undefined;
  const match = Object.keys(object).find((key) => key.toLowerCase() === name.toLowerCase());
  return match === undefined ? undefined : object[match];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** The request body of the entry, parsed; undefined when absent, empty or not a JSON object. */
function requestBody(entry: Entry): Record<string, unknown> | undefined {
  const raw = property(entry.properties, 'requestbody');
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) return raw as Record<string, unknown>;
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  try {
    const body: unknown = JSON.parse(raw);
    return body !== null && typeof body === 'object' && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Restore facts from an Activity Log entry of a flexible server write whose request body shows a restore:
 * a create mode that copies another server (the engine's `lineageCreateModes`: PointInTimeRestore, GeoRestore,
 * Replica, and ReviveDropped for PostgreSQL) or a `sourceServerResourceId`. The restore point is read from the
 * engine's field (`pointInTimeUTC` for PostgreSQL, `restorePointInTime` for MySQL).
 * Undefined for any other entry, and when the body is empty or unreadable (the Activity Log often omits it).
 * The status is passed on: the caller decides whether a Started or Accepted write is enough.
 * @throws EventFormatError when the entry itself is malformed (as resourceEventFromActivityEntry).
 * @example restoreEvidenceFrom(entry) // { key: '<eventDataId>', serverId: '…/flexibleServers/pg-restore', createMode: 'PointInTimeRestore', sourceServerId: '…/flexibleServers/pg', pointInTimeUtc: '2025-06-01T18:35:22.123Z', … }
 */
export function restoreEvidenceFrom(entry: unknown): RestoreEvidence | undefined {
  const where = 'entry';
  const parsed = validate(entrySchema, entry, where);
  const found = serverOf(parsed);
  if (!found || found.ref.child) return undefined;
  const spec = ENGINE_SPECS[found.ref.engine];
  if (parsed.operationName.trim().toLowerCase() !== spec.operations.write.toLowerCase()) return undefined;
  const properties = property(requestBody(parsed), 'properties');
  const fields =
    properties !== null && typeof properties === 'object' ? (properties as Record<string, unknown>) : undefined;
  const createMode = text(property(fields, spec.restoreBody.createMode));
  const source = text(property(fields, spec.restoreBody.source));
  const restoreMode = spec.lineageCreateModes.find((mode) => mode.toLowerCase() === createMode?.toLowerCase());
  if (!restoreMode && !source) return undefined;
  const pointInTime = text(property(fields, spec.restoreBody.pointInTime));
  const at = isoTime(parsed.eventTimestamp, `${where}.eventTimestamp`);
  return {
    key: parsed.eventDataId ?? parsed.id ?? `${found.ref.key}@${at}`,
    serverId: found.ref.id,
    ...(createMode ? { createMode: restoreMode ?? createMode } : {}),
    ...(source ? { sourceServerId: parseServerId(source)?.id ?? source } : {}),
    ...(pointInTime
      ? { pointInTimeUtc: Number.isNaN(Date.parse(pointInTime)) ? pointInTime : new Date(pointInTime).toISOString() }
      : {}),
    actor: actorOf(parsed, where),
    at,
    ...(parsed.correlationId ? { correlationId: parsed.correlationId } : {}),
    operationName: parsed.operationName,
    status: parsed.status,
  };
}

/**
 * The flexible server an Activity Log entry is about (the server itself or one of its children, such as a firewall
 * rule), whatever its status, with the entry's time (ISO); undefined for entries about anything else or unreadable.
 * Reconcile re-reads such a server's rules and locks instead of trusting its last check.
 * @example serverTouchedBy(firewallRuleWriteEntry) // { key: '/subscriptions/s/resourcegroups/rg/providers/microsoft.dbforpostgresql/flexibleservers/pg', at: '2026-11-20T09:00:00.000Z' }
 */
export function serverTouchedBy(entry: unknown): { key: string; at: string } | undefined {
  const parsed = entrySchema.safeParse(entry);
  if (!parsed.success) return undefined;
  const found = serverOf(parsed.data);
  const at = new Date(parsed.data.eventTimestamp);
  if (!found || Number.isNaN(at.getTime())) return undefined;
  return { key: found.ref.key, at: at.toISOString() };
}
