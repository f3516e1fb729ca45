import { z } from 'zod';
import { activityRecordFields, actorFromCaller, actorFromClaims, claimsObject } from './claims.js';
import {
  findServer,
  ignored,
  isServerDeleteOperation,
  isoTime,
  notAServer,
  serverEvent,
  statusProblem,
} from './resource.js';
import { EventFormatError, type ParsedEvent } from './types.js';
import { validate } from './validate.js';

const COMMON_ALERT_SCHEMA = 'azureMonitorCommonAlertSchema';
const ADMINISTRATIVE = 'Activity Log - Administrative';

const envelopeSchema = z.object({
  schemaId: z.string(),
  data: z.object({
    essentials: z.object({
      monitoringService: z.string(),
      alertId: z.string().optional(),
      alertTargetIDs: z.array(z.string()).optional(),
    }),
    alertContext: z.record(z.string(), z.unknown()),
  }),
});

const alertContextSchema = z.object({
  operationName: z.string().min(1),
  status: z.string(),
  eventTimestamp: z.string(),
  eventSource: z.string().optional(),
  ...activityRecordFields,
});

/**
 * An Activity Log alert as an action group posts it, in the common alert schema. Only completed (Succeeded)
 * Administrative operations on flexible servers or their children give events; everything else is ignored.
 * @example parseActivityLogAlert(JSON.parse(body)) // [{ source: 'activity-log', kind: 'changed', key: '/subscriptions/…/flexibleservers/pg', … }]
 */
export function parseActivityLogAlert(body: unknown, where = 'alert'): ParsedEvent[] {
  const alert = validate(envelopeSchema, body, where);
  if (alert.schemaId !== COMMON_ALERT_SCHEMA) {
    throw new EventFormatError(
      `${where}.schemaId: expected ${JSON.stringify(COMMON_ALERT_SCHEMA)}, got ${JSON.stringify(alert.schemaId)}`,
    );
  }
  const { essentials } = alert.data;
  if (essentials.monitoringService !== ADMINISTRATIVE) {
    return [
      ignored(
        'activity-log',
        `not an Activity Log Administrative alert (monitoringService ${essentials.monitoringService})`,
        essentials.alertId,
      ),
    ];
  }
  const contextPath = `${where}.data.alertContext`;
  const context = validate(alertContextSchema, alert.data.alertContext, contextPath);
  const eventId = context.eventDataId ?? essentials.alertId;
  const eventTime = isoTime(context.eventTimestamp, `${contextPath}.eventTimestamp`);
  const claims = claimsObject(context.claims, `${contextPath}.claims`);
  if (context.eventSource !== undefined && context.eventSource !== 'Administrative') {
    return [
      ignored('activity-log', `not an Administrative category event (eventSource ${context.eventSource})`, eventId),
    ];
  }
  const entity = context.properties?.entity;
  const candidates = [
    context.authorization?.scope,
    typeof entity === 'string' ? entity : undefined,
    ...(essentials.alertTargetIDs ?? []),
  ];
  const named = candidates.find((id) => id !== undefined && id.trim() !== '');
  if (named === undefined)
    throw new EventFormatError(`${where}.data.essentials.alertTargetIDs: missing (the alert names no resource)`);
  const found = findServer(candidates);
  if (!found) return [notAServer('activity-log', named, eventId)];
  const problem = statusProblem(context.status);
  if (problem) return [ignored('activity-log', problem, eventId)];
  const actor = actorFromClaims(claims);
  return [
    serverEvent({
      source: 'activity-log',
      ...found,
      deleteReported: isServerDeleteOperation(context.operationName, found.ref.engine),
      operationName: context.operationName,
      eventTime,
      correlationId: context.correlationId,
      eventId,
      actor: actor.type === 'unknown' && !claims ? actorFromCaller(context.caller) : actor,
      status: context.status,
    }),
  ];
}
