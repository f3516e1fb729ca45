import { z } from 'zod';
import { actorFromClaims, claimsObject, claimsSchema } from './claims.js';
import { findServer, ignored, isServerDeleteOperation, isoTime, notAServer, serverEvent } from './resource.js';
import { EventFormatError, type EventSource, type ParsedEvent } from './types.js';
import { validate } from './validate.js';

const RESOURCE_EVENT = /^Microsoft\.Resources\.Resource(Write|Delete|Action)(Success|Failure|Cancel)$/i;
const VALIDATION_EVENT = /^Microsoft\.EventGrid\.SubscriptionValidationEvent$/i;

const eventGridSchema = z.object({
  id: z.string().min(1),
  eventType: z.string().min(1),
  subject: z.string(),
  eventTime: z.string(),
  data: z.unknown(),
  dataVersion: z.string().optional(),
  metadataVersion: z.string().optional(),
  topic: z.string().optional(),
});

const cloudEventSchema = z.object({
  specversion: z.literal('1.0'),
  id: z.string().min(1),
  source: z.string().min(1),
  type: z.string().min(1),
  subject: z.string().optional(),
  time: z.string().optional(),
  data: z.unknown().optional(),
  data_base64: z.string().optional(),
  datacontenttype: z.string().optional(),
});

/** The `data` of Microsoft.Resources.* events (the same in both schemas). */
const resourceDataSchema = z.object({
  resourceUri: z.string().min(1),
  operationName: z.string().optional(),
  status: z.string().optional(),
  correlationId: z.string().optional(),
  subscriptionId: z.string().optional(),
  resourceProvider: z.string().optional(),
  claims: claimsSchema.optional(),
  authorization: z.object({ scope: z.string().optional(), action: z.string().optional() }).optional(),
});

const objectData = z.record(z.string(), z.unknown());

interface Notice {
  readonly source: EventSource;
  readonly where: string;
  readonly eventType: string;
  readonly eventId: string;
  readonly eventTime: () => string;
  readonly data: unknown;
  readonly dataPath: string;
}

/** One Event Grid schema event; `where` names it in errors (`event[2]`). */
export function parseEventGridEvent(value: unknown, where: string): ParsedEvent {
  const event = validate(eventGridSchema, value, where);
  return fromNotice({
    source: 'event-grid',
    where,
    eventType: event.eventType,
    eventId: event.id,
    eventTime: () => isoTime(event.eventTime, `${where}.eventTime`),
    data: event.data,
    dataPath: `${where}.data`,
  });
}

/** One CloudEvents 1.0 event (structured JSON mode; `data` or `data_base64`). */
export function parseCloudEvent(value: unknown, where: string): ParsedEvent {
  const event = validate(cloudEventSchema, value, where);
  const fromBase64 = event.data === undefined && event.data_base64 !== undefined;
  return fromNotice({
    source: 'cloud-events',
    where,
    eventType: event.type,
    eventId: event.id,
    eventTime: () => {
      if (event.time === undefined) throw new EventFormatError(`${where}.time: missing`);
      return isoTime(event.time, `${where}.time`);
    },
    data: fromBase64 ? decodeBase64Json(event.data_base64 ?? '', `${where}.data_base64`) : event.data,
    dataPath: fromBase64 ? `${where}.data_base64` : `${where}.data`,
  });
}

function decodeBase64Json(text: string, where: string): unknown {
  try {
    return JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
  } catch (error) {
    throw new EventFormatError(`${where}: not base64-encoded JSON (${(error as Error).message})`);
  }
}

function fromNotice(notice: Notice): ParsedEvent {
  const { source, eventType, eventId } = notice;
  if (VALIDATION_EVENT.test(eventType)) {
    validate(objectData, notice.data, notice.dataPath);
    return ignored(source, 'Event Grid subscription validation: not needed for Storage Queue delivery', eventId);
  }
  const resourceEvent = RESOURCE_EVENT.exec(eventType);
  if (!resourceEvent) return ignored(source, `event type ${eventType} is not an ARM resource event`, eventId);
  const data = validate(resourceDataSchema, notice.data, notice.dataPath);
  const eventTime = notice.eventTime();
  if (resourceEvent[2]?.toLowerCase() !== 'success')
    return ignored(source, `operation did not succeed (${eventType})`, eventId);
  const found = findServer([data.resourceUri]);
  if (!found) return notAServer(source, data.resourceUri, eventId);
  return serverEvent({
    source,
    ...found,
    deleteReported:
      resourceEvent[1]?.toLowerCase() === 'delete' && isServerDeleteOperation(data.operationName, found.ref.engine),
    operationName: data.operationName ?? eventType,
    eventTime,
    correlationId: data.correlationId,
    eventId,
    actor: actorFromClaims(claimsObject(data.claims, `${notice.dataPath}.claims`)),
    status: data.status,
  });
}
