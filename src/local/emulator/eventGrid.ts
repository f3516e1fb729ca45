import { randomUUID } from 'node:crypto';
import { QueueClient } from '@azure/storage-queue';
import type { Caller } from './caller.js';
import { resourceFacts } from './resourceIds.js';

export type EventSchema = 'EventGridSchema' | 'CloudEventSchemaV1_0';
export type ResourceEventKind = 'write' | 'delete' | 'action';

/** Where events go: an Azurite (or Azure) queue, as an Event Grid subscription with a Storage Queue destination. */
export interface EventDestination {
  readonly connectionString: string;
  readonly queueName: string;
  readonly schema?: EventSchema;
}

export interface ResourceEventInput {
  readonly kind: ResourceEventKind;
  readonly resourceId: string;
  readonly operationName: string;
  readonly caller: Caller;
  readonly correlationId: string;
  readonly at: Date;
  readonly httpRequest: { clientRequestId: string; clientIpAddress: string; method: string; url: string };
}

const EVENT_TYPES: Record<ResourceEventKind, string> = {
  write: 'Microsoft.Resources.ResourceWriteSuccess',
  delete: 'Microsoft.Resources.ResourceDeleteSuccess',
  action: 'Microsoft.Resources.ResourceActionSuccess',
};
const OWNER_ROLE_DEFINITION_ID = '8e3af657a8ff443ca75c2fe8c4bcb635';

/** The `data` of a Microsoft.Resources event: the field set of the published samples. */
function eventData(input: ResourceEventInput): Record<string, unknown> {
  const facts = resourceFacts(input.resourceId);
  const identity = input.caller.identity;
  return {
    authorization: {
      scope: input.resourceId,
      action: input.operationName,
      evidence: {
        role: 'Owner',
        roleAssignmentScope: `/subscriptions/${facts.subscriptionId}`,
        roleAssignmentId: randomUUID().replace(/-/g, ''),
        roleDefinitionId: OWNER_ROLE_DEFINITION_ID,
        principalId: identity.objectId.replace(/-/g, ''),
        principalType: identity.type === 'user' ? 'User' : 'ServicePrincipal',
      },
    },
    claims: input.caller.claims,
    correlationId: input.correlationId,
    httpRequest: input.httpRequest,
    resourceProvider: facts.provider ?? 'Microsoft.Resources',
    resourceUri: input.resourceId,
    operationName: input.operationName,
    status: 'Succeeded',
    subscriptionId: facts.subscriptionId,
    tenantId: identity.tenantId,
  };
}

/** One event in the chosen schema, as the subscription-scoped system topic publishes it. */
export function resourceEvent(input: ResourceEventInput, schema: EventSchema): Record<string, unknown> {
  const facts = resourceFacts(input.resourceId);
  const topic = `/subscriptions/${facts.subscriptionId}`;
  const id = randomUUID();
  if (schema === 'CloudEventSchemaV1_0') {
    return {
      id,
      source: topic,
      specversion: '1.0',
      type: EVENT_TYPES[input.kind],
      subject: input.resourceId,
      time: input.at.toISOString(),
      data: eventData(input),
    };
  }
  return {
    subject: input.resourceId,
    eventType: EVENT_TYPES[input.kind],
    eventTime: input.at.toISOString(),
    id,
    data: eventData(input),
    dataVersion: '2',
    metadataVersion: '1',
    topic,
  };
}

/**
 * Delivers events one per queue message, Base64-encoded JSON as Event Grid writes to a Storage Queue
 * (and as the Functions queue trigger decodes by default). Keeps every emitted event in memory too.
 */
export class EventSink {
  readonly schema: EventSchema;
  private readonly queue: QueueClient | undefined;
  private ready: Promise<unknown> | undefined;
  private pending: Promise<void> = Promise.resolve();
  private readonly events: Record<string, unknown>[] = [];
  readonly deliveryErrors: Error[] = [];
  private deliveredCount = 0;
  /** Called once an event is on the queue (benchmarks time the pipeline from there). */
  onDelivered: ((event: Readonly<Record<string, unknown>>) => void) | undefined;

  constructor(destination?: EventDestination) {
    this.schema = destination?.schema ?? 'EventGridSchema';
    this.queue = destination ? new QueueClient(destination.connectionString, destination.queueName) : undefined;
  }

  /** Creates the queue if it is missing; the emulator calls this at start so a bad destination fails fast. */
  async open(): Promise<void> {
    if (!this.queue) return;
    try {
      this.ready ??= this.queue.createIfNotExists();
      await this.ready;
    } catch (cause) {
      this.ready = undefined;
      throw new Error(`Cannot create the Event Grid destination queue '${this.queue.name}' at ${this.queue.url}`, {
        cause,
      });
    }
  }

  emit(input: ResourceEventInput): void {
    const event = resourceEvent(input, this.schema);
    this.events.push(event);
    const queue = this.queue;
    if (!queue) return;
    const text = Buffer.from(JSON.stringify(event), 'utf8').toString('base64');
    this.pending = this.pending.then(async () => {
      try {
        this.ready ??= queue.createIfNotExists();
        await this.ready;
        await queue.sendMessage(text);
        this.deliveredCount += 1;
        this.onDelivered?.(event);
      } catch (cause) {
        this.ready = undefined;
        this.deliveryErrors.push(
          new Error(`Event Grid delivery of ${String(event.id)} to queue ${queue.name} failed`, { cause }),
        );
      }
    });
  }

  /** Resolves once every event emitted so far reached the queue (or failed to). */
  flushed(): Promise<void> {
    return this.pending;
  }

  /** Events emitted so far, in order (the in-memory copy of what went to the queue). */
  emitted(): readonly Record<string, unknown>[] {
    return this.events;
  }

  get delivered(): number {
    return this.deliveredCount;
  }

  clear(): void {
    this.events.length = 0;
  }

  /** Forgets that the queue exists (its storage was emptied): the next delivery, or `open()`, creates it again. */
  reopen(): void {
    this.ready = undefined;
    this.deliveredCount = 0;
    this.deliveryErrors.length = 0;
  }
}
