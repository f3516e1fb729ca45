import type { Engine } from '../engines.js';
import type { Actor } from '../model.js';

/** Where a change notice came from. */
export type EventSource = 'event-grid' | 'cloud-events' | 'activity-log';

/**
 * One change notice about one flexible server (of any engine), whatever channel brought it. It is a hint: the handler
 * reads the live server from ARM before deciding anything.
 * @example
 *   { source: 'event-grid', kind: 'changed', key: '/subscriptions/0000…/resourcegroups/rg/providers/microsoft.dbforpostgresql/flexibleservers/pg-restore',
 *     resourceId: '/subscriptions/0000…/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-restore',
 *     subscriptionId: '0000…', resourceGroup: 'rg', serverName: 'pg-restore',
 *     operationName: 'Microsoft.DBforPostgreSQL/flexibleServers/write', eventTime: '2026-11-20T09:00:00.000Z',
 *     correlationId: '…', eventId: '…', actor: { type: 'user', upn: 'alice@contoso.com' }, status: 'Succeeded' }
 */
export interface ResourceEvent {
  readonly source: EventSource;
  /** `deleted` only when the server itself was deleted; anything done to a child is a change of the server. */
  readonly kind: 'changed' | 'deleted';
  /** Lower-case server id (ids.ts `serverKey`): one identity across every channel. */
  readonly key: string;
  /** The server's engine, from its id. */
  readonly engine: Engine;
  /** The server's id (never the child's), fixed segments in canonical casing. */
  readonly resourceId: string;
  /** Lower case. */
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly serverName: string;
  /** The id as received when the notice was about a child (firewall rule, database, configuration, tags, lock). */
  readonly childResourceId?: string;
  readonly operationName: string;
  /** ISO 8601 UTC with milliseconds, so times from every channel compare as strings. */
  readonly eventTime: string;
  readonly correlationId?: string;
  /** Event Grid / CloudEvents `id`, or the Activity Log `eventDataId`. */
  readonly eventId?: string;
  readonly actor: Actor;
  readonly status?: string;
}

/** A delivery (or part of one) that is valid but says nothing the warden acts on; counted, not handled. */
export interface IgnoredEvent {
  readonly source: EventSource;
  readonly kind: 'ignored';
  /** Plain words, e.g. "not a PostgreSQL flexible server, MySQL flexible server or SQL database: /subscriptions/…/storageAccounts/x". */
  readonly reason: string;
  readonly eventId?: string;
}

export type ParsedEvent = ResourceEvent | IgnoredEvent;

/**
 * The delivery is not JSON, not an event, or an event with a missing or wrongly typed field.
 * The message names where and what, e.g. `event[2].data.resourceUri: missing`.
 */
export class EventFormatError extends Error {
  override name = 'EventFormatError';
}

/** Largest delivery accepted, in bytes of JSON text (Event Grid itself caps an event at 1 MB). */
export const MAX_DELIVERY_BYTES = 1024 * 1024;
/** Most events accepted in one array (Event Grid batches hold at most 5,000). */
export const MAX_EVENTS_PER_DELIVERY = 5000;
