import type { ActivityLog, ActivityStatus } from '../activityLog.js';
import { activityEntry } from '../activityLog.js';
import { callerOf, type Caller } from '../caller.js';
import type { EmulatorClock } from '../clock.js';
import type { EventSink, ResourceEventKind } from '../eventGrid.js';
import type { FaultDecision } from '../faults.js';
import type { Reply, RequestContext } from '../http.js';
import { HttpError } from '../http.js';
import type { DataPlanes } from '../dataPlane/index.js';
import type { Operations, StartOperation } from '../operations.js';
import type { ArmStore } from '../store.js';
import type { SqlStore } from '../Sql/store.js';
import type { ArmLock, Tags } from '../types.js';

export {
  ACTIVITY_LOG_API_VERSIONS,
  LOCKS_API_VERSIONS,
  POSTGRES_API_VERSIONS,
  RESOURCES_API_VERSIONS,
} from './apiVersions.js';

/** Everything ARM handlers share. */
export interface ArmServices {
  readonly store: ArmStore;
  readonly operations: Operations;
  readonly activityLog: ActivityLog;
  readonly events: EventSink;
  readonly clock: EmulatorClock;
  readonly pageSize: number;
  readonly audit: Audit;
  /** Real PostgreSQL behind the servers that have one; restores and deletes carry it along. */
  readonly dataPlanes?: DataPlanes;
  /** SQL Database: logical servers, their firewall rules and databases (src/local/emulator/Sql). */
  readonly sql?: SqlStore;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function assertSubscription(subscriptionId: string): string {
  if (!GUID.test(subscriptionId)) {
    throw new HttpError(
      400,
      'InvalidSubscriptionId',
      `The provided subscription identifier '${subscriptionId}' is malformed or invalid.`,
    );
  }
  return subscriptionId.toLowerCase();
}

export function resourceNotFound(type: string, name: string, resourceGroup: string): HttpError {
  return new HttpError(
    404,
    'ResourceNotFound',
    `The Resource '${type}/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

/** The scope a lock sits on, from its id. */
const lockScope = (lock: ArmLock): string =>
  lock.id.replace(/\/providers\/Microsoft\.Authorization\/locks\/[^/]+$/i, '');

/** 409 ScopeLocked when a lock forbids the operation: any lock forbids delete, ReadOnly forbids write and actions. */
export function assertNotLocked(store: ArmStore, target: string, operation: 'delete' | 'write' | 'action'): void {
  const locks = store
    .locksApplyingTo(target)
    .filter((l) => operation === 'delete' || l.properties.level === 'ReadOnly');
  if (locks.length === 0) return;
  const scopes = [...new Set(locks.map(lockScope))].map((s) => `'${s}'`).join(',');
  throw new HttpError(
    409,
    'ScopeLocked',
    `The scope '${target}' cannot perform ${operation === 'action' ? 'write' : operation} operation because following scope(s) are locked: ${scopes}. Please remove the lock and try again.`,
  );
}

/** A page of a list and the nextLink that continues it (`$skiptoken` is the offset). */
export function pageOf<T>(
  items: readonly T[],
  ctx: RequestContext,
  pageSize: number,
): { value: T[]; nextLink?: string } {
  const token = ctx.query.get('$skiptoken');
  const offset = token && /^\d+$/.test(token) ? Number(token) : 0;
  const value = items.slice(offset, offset + pageSize);
  if (offset + pageSize >= items.length) return { value };
  const next = new URLSearchParams(ctx.query);
  next.set('$skiptoken', String(offset + pageSize));
  const pathname = new URL(`${ctx.baseUrl}${ctx.rawUrl}`).pathname;
  return { value, nextLink: `${ctx.baseUrl}${pathname}?${next.toString()}` };
}

const TAG_NAME_FORBIDDEN = /[<>%&\\?/]/;

/** ARM's tag limits: at most 50, names up to 512 characters without <>%&\?/, values up to 256. */
export function validateTags(tags: unknown, where: string): Tags {
  if (tags === undefined || tags === null) return {};
  if (typeof tags !== 'object' || Array.isArray(tags))
    throw new HttpError(400, 'InvalidTagFormat', `The tags of ${where} must be an object of strings.`);
  const entries = Object.entries(tags as Record<string, unknown>);
  if (entries.length > 50)
    throw new HttpError(400, 'InvalidTagCount', `The tags of ${where} are ${entries.length}; at most 50 are allowed.`);
  for (const [name, value] of entries) {
    if (typeof value !== 'string')
      throw new HttpError(400, 'InvalidTagFormat', `The tag '${name}' of ${where} must have a string value.`);
    if (name.length === 0 || name.length > 512 || TAG_NAME_FORBIDDEN.test(name)) {
      throw new HttpError(
        400,
        'InvalidTagNameCharacters',
        `The tag name '${name}' of ${where} has characters that are not allowed (<,>,%,&,\\,?,/) or a bad length.`,
      );
    }
    if (value.length > 256)
      throw new HttpError(
        400,
        'InvalidTagValueLength',
        `The value of tag '${name}' of ${where} is longer than 256 characters.`,
      );
  }
  return Object.fromEntries(entries) as Tags;
}

/** The facts of one ARM request that the Activity Log and Event Grid repeat. */
export interface AuditedRequest {
  readonly caller: Caller;
  readonly correlationId: string;
  readonly operationId: string;
  readonly method: string;
  readonly url: string;
  readonly clientRequestId: string;
  readonly clientIp: string;
  readonly requestBody?: string;
}

export interface AuditedOperation {
  readonly resourceId: string;
  readonly operationName: string;
  readonly kind: ResourceEventKind;
  readonly httpStatus: number;
}

/** Records every write, action and delete in the Activity Log, and emits the Event Grid event on success. */
export class Audit {
  constructor(
    private readonly activityLog: ActivityLog,
    private readonly events: EventSink,
    private readonly clock: EmulatorClock,
  ) {}

  request(ctx: RequestContext, withBody: boolean): AuditedRequest {
    return {
      caller: callerOf(ctx, this.clock.now()),
      correlationId: ctx.correlationId,
      operationId: ctx.correlationId,
      method: ctx.method,
      url: `https://management.azure.com${ctx.rawUrl}`,
      clientRequestId: ctx.clientRequestId,
      clientIp: ctx.clientIp,
      ...(withBody ? { requestBody: ctx.rawBody } : {}),
    };
  }

  /** An LRO was accepted (202). */
  accepted(request: AuditedRequest, op: AuditedOperation): void {
    this.entry(request, op, 'Accepted', op.httpStatus);
  }

  succeeded(request: AuditedRequest, op: AuditedOperation): void {
    this.entry(request, op, 'Succeeded', op.httpStatus);
    const at = this.clock.now();
    this.events.emit({
      kind: op.kind,
      resourceId: op.resourceId,
      operationName: op.operationName,
      caller: request.caller,
      correlationId: request.correlationId,
      at,
      httpRequest: {
        clientRequestId: request.clientRequestId,
        clientIpAddress: request.clientIp,
        method: request.method,
        url: request.url,
      },
    });
  }

  failed(request: AuditedRequest, op: AuditedOperation, error: { code: string; message: string }): void {
    this.entry(request, op, 'Failed', op.httpStatus, error);
  }

  private entry(
    request: AuditedRequest,
    op: AuditedOperation,
    status: ActivityStatus,
    httpStatus: number,
    error?: { code: string; message: string },
  ): void {
    this.activityLog.add(
      activityEntry({
        resourceId: op.resourceId,
        operationName: op.operationName,
        status,
        httpStatus,
        caller: request.caller,
        correlationId: request.correlationId,
        operationId: request.operationId,
        at: this.clock.now(),
        httpRequest: {
          clientRequestId: request.clientRequestId,
          clientIpAddress: request.clientIp,
          method: request.method,
        },
        ...(request.requestBody !== undefined ? { requestBody: request.requestBody } : {}),
        ...(error ? { error } : {}),
      }),
    );
  }
}

/** One long-running ARM operation as a resource provider accepts it: the operation's timing and effect, plus what ARM audits. */
export interface AcceptedOperation extends Omit<StartOperation, 'subscriptionId' | 'name' | 'apiVersion'> {
  readonly request: AuditedRequest;
  readonly resourceId: string;
  /** Activity Log and Event Grid operation, e.g. `Microsoft.DBforPostgreSQL/flexibleServers/write`. */
  readonly operationName: string;
  readonly kind: ResourceEventKind;
  /** What the 202 body names, e.g. `RestoreSnapshotManagementOperation`. */
  readonly managementOperation: string;
}

/**
 * Accepts an LRO: 202 with `{operation, startTime}` and the polling headers, Activity Log "Accepted" now; on completion
 * the effect, "Succeeded" and the Event Grid event (or "Failed").
 */
export function acceptOperation(
  services: ArmServices,
  ctx: RequestContext,
  fault: FaultDecision,
  input: AcceptedOperation,
): Reply {
  const op = { resourceId: input.resourceId, operationName: input.operationName, kind: input.kind, httpStatus: 202 };
  services.audit.accepted(input.request, op);
  const failure = fault.failLro ?? input.failure;
  return services.operations.accept(
    {
      provider: input.provider,
      subscriptionId: assertSubscription(ctx.path.split('/')[2] ?? ''),
      location: input.location,
      name: input.managementOperation,
      apiVersion: ctx.query.get('api-version') ?? '',
      durationMs: input.durationMs,
      apply: () => {
        input.apply();
        services.audit.succeeded(input.request, { ...op, httpStatus: 200 });
      },
      ...(input.result ? { result: input.result } : {}),
      ...(failure ? { failure } : {}),
      ...(input.until ? { until: input.until } : {}),
      ...(input.polling ? { polling: input.polling } : {}),
      onFailed: (error) => {
        input.onFailed?.(error);
        services.audit.failed(input.request, { ...op, httpStatus: 500 }, error);
      },
    },
    ctx.baseUrl,
  );
}
