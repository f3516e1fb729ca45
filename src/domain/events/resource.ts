import {
  ENGINE_SPECS,
  ENGINES,
  GOVERNED_LABELS,
  isSystemResource,
  parentResourceTypeOf,
  type Engine,
} from '../engines.js';
import type { Actor } from '../model.js';
import { parseServerId, type ServerRef } from '../ids.js';
import { EventFormatError, type EventSource, type ParsedEvent } from './types.js';

/** Normalises a timestamp to ISO 8601 UTC with milliseconds; throws EventFormatError naming `where` otherwise. */
export function isoTime(value: string | Date, where: string): string {
  const ms = value instanceof Date ? value.getTime() : Date.parse(value.trim());
  if (Number.isNaN(ms)) throw new EventFormatError(`${where}: not a date-time (${JSON.stringify(String(value))})`);
  return new Date(ms).toISOString();
}

/** The first id that names a flexible server (or one of its children), with the id as received. */
export function findServer(
  candidates: ReadonlyArray<string | undefined>,
): { ref: ServerRef; receivedId: string } | undefined {
  for (const candidate of candidates) {
    const ref = candidate === undefined ? undefined : parseServerId(candidate);
    if (ref && candidate !== undefined) return { ref, receivedId: candidate.trim() };
  }
  return undefined;
}

export function notAServer(source: EventSource, receivedId: string, eventId?: string): ParsedEvent {
  const parent = parentNamed(receivedId);
  // A logical server (or its firewall rules, elastic pools, ...) is the parent of governed databases, never governed itself.
  const why = parent
    ? `${parent.what} is never governed or changed, only the ${ENGINE_SPECS[parent.engine].label}s on it: `
    : '';
  return ignored(source, `not a ${GOVERNED_LABELS}: ${why}${receivedId}`, eventId);
}

/** "the logical server sql-shop (Microsoft.Sql/servers)", or "firewallRules/office of" it, when the id is such a parent or a child of it that is not governed. */
function parentNamed(id: string): { engine: Engine; what: string } | undefined {
  for (const engine of ENGINES) {
    const type = parentResourceTypeOf(engine);
    const match = type
      ? new RegExp(`/providers/${type.replace(/\./g, '\\.')}/([^/]+)(/.*)?$`, 'i').exec(id.trim())
      : null;
    if (!match) continue;
    const what = `the ${ENGINE_SPECS[engine].parent!.label} ${match[1]} (${type})`;
    return { engine, what: match[2] ? `${match[2].slice(1)} of ${what}` : what };
  }
  return undefined;
}

export function ignored(source: EventSource, reason: string, eventId?: string): ParsedEvent {
  return { source, kind: 'ignored', reason, ...(eventId ? { eventId } : {}) };
}

export interface ServerNotice {
  readonly source: EventSource;
  readonly ref: ServerRef;
  readonly receivedId: string;
  /** The channel reports the server delete (a Delete event or the `flexibleServers/delete` operation); a child's id still makes it a change. */
  readonly deleteReported: boolean;
  readonly operationName: string;
  readonly eventTime: string;
  readonly correlationId?: string | undefined;
  readonly eventId?: string | undefined;
  readonly actor: Actor;
  readonly status?: string | undefined;
}

/** Builds the normalised event: a delete reported for a child (firewall rule, database, tags, lock) is a change of its server. */
export function serverEvent(notice: ServerNotice): ParsedEvent {
  const { ref } = notice;
  if (isSystemResource(ref.engine, ref.name)) {
    const spec = ENGINE_SPECS[ref.engine];
    return ignored(
      notice.source,
      `the ${ref.name} database of a ${spec.parent?.label ?? 'parent resource'} is a system ${spec.label}, never a copy: ${notice.receivedId}`,
      notice.eventId,
    );
  }
  const serverDeleted = notice.deleteReported && !ref.child;
  return {
    source: notice.source,
    kind: serverDeleted ? 'deleted' : 'changed',
    key: ref.key,
    engine: ref.engine,
    resourceId: ref.id,
    subscriptionId: ref.subscriptionId,
    resourceGroup: ref.resourceGroup,
    serverName: ref.name,
    ...(ref.child ? { childResourceId: notice.receivedId } : {}),
    operationName: notice.operationName,
    eventTime: notice.eventTime,
    ...(notice.correlationId ? { correlationId: notice.correlationId } : {}),
    ...(notice.eventId ? { eventId: notice.eventId } : {}),
    actor: notice.actor,
    ...(notice.status ? { status: notice.status } : {}),
  };
}

/**
 * Whether an operation name (when one is given) is the engine's server delete. Anything less certain stays a change:
 * the handler's ARM read finds a server that is really gone.
 */
export function isServerDeleteOperation(operationName: string | undefined, engine: Engine): boolean {
  return (
    operationName === undefined ||
    operationName.trim().toLowerCase() === ENGINE_SPECS[engine].operations.delete.toLowerCase()
  );
}

/** Activity Log statuses: only Succeeded is a completed change; Started/Accepted are still running. */
export function statusProblem(status: string): string | undefined {
  if (/^succeeded$/i.test(status.trim())) return undefined;
  if (/^(failed|canceled|cancelled)$/i.test(status.trim())) return `operation did not succeed (status ${status})`;
  return `not completed (status ${status || 'empty'})`;
}
