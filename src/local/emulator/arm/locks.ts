import type { Reply, RequestContext } from '../http.js';
import { HttpError, isRecord, ok } from '../http.js';
import type { Route } from '../route.js';
import type { ArmLock, LockLevel } from '../types.js';
import type { ArmServices } from './common.js';
import { assertSubscription, LOCKS_API_VERSIONS, pageOf, resourceNotFound } from './common.js';
import { parseResourceId, resourceType } from '../ids.js';

const LEVELS: readonly LockLevel[] = ['CanNotDelete', 'ReadOnly'];

export const lockId = (scope: string, name: string): string =>
  `${scope}/providers/Microsoft.Authorization/locks/${name}`;

/** A lock's scope must exist when it is a server; resource groups and subscriptions are taken as given. */
function checkScope(services: ArmServices, scope: string): void {
  const sub = /^\/subscriptions\/([^/]+)/i.exec(scope);
  if (!sub) throw new HttpError(400, 'InvalidScope', `'${scope}' is not a scope a lock can sit on.`);
  assertSubscription(sub[1]!);
  const ref = parseResourceId(scope);
  if (ref && (!services.store.get(ref.key) || services.store.get(ref.key)?.hidden))
    throw resourceNotFound(resourceType(ref.engine), ref.name, ref.resourceGroup);
}

function putLock(services: ArmServices, ctx: RequestContext, scope: string, name: string): Reply {
  checkScope(services, scope);
  const properties = isRecord(ctx.body) && isRecord(ctx.body.properties) ? ctx.body.properties : {};
  const level = properties.level as LockLevel;
  if (!LEVELS.includes(level))
    throw new HttpError(
      400,
      'LockLevelInvalid',
      `The level of lock '${name}' must be CanNotDelete or ReadOnly; got ${JSON.stringify(properties.level)}.`,
    );
  const id = lockId(scope, name);
  const existed = services.store.getLock(id) !== undefined;
  const lock: ArmLock = {
    id,
    name,
    type: 'Microsoft.Authorization/locks',
    properties: {
      level,
      ...(typeof properties.notes === 'string' ? { notes: properties.notes } : {}),
      ...(Array.isArray(properties.owners) ? { owners: properties.owners as { applicationId?: string }[] } : {}),
    },
  };
  const request = services.audit.request(ctx, true);
  services.store.putLock(scope, lock);
  services.audit.succeeded(request, {
    resourceId: id,
    operationName: 'Microsoft.Authorization/locks/write',
    kind: 'write',
    httpStatus: existed ? 200 : 201,
  });
  return { status: existed ? 200 : 201, body: lock };
}

function deleteLock(services: ArmServices, ctx: RequestContext, scope: string, name: string): Reply {
  const id = lockId(scope, name);
  if (!services.store.getLock(id)) return { status: 204 };
  const request = services.audit.request(ctx, false);
  services.store.removeLock(id);
  services.audit.succeeded(request, {
    resourceId: id,
    operationName: 'Microsoft.Authorization/locks/delete',
    kind: 'delete',
    httpStatus: 200,
  });
  return { status: 200 };
}

/**
 * Locks at any scope. Every SDK form (at resource level, resource group, subscription, by scope) is
 * `{scope}/providers/Microsoft.Authorization/locks[/{name}]` once the path is normalised.
 */
export function lockRoutes(services: ArmServices): Route[] {
  const arm = { kind: 'arm' as const, apiVersions: LOCKS_API_VERSIONS };
  const one = /^(\/subscriptions\/.+)\/providers\/microsoft\.authorization\/locks\/([^/]+)$/i;
  return [
    {
      ...arm,
      operation: 'ManagementLocks_List',
      method: 'GET',
      pattern: /^(\/subscriptions\/.+)\/providers\/microsoft\.authorization\/locks$/i,
      handle: (ctx, [scope]) => {
        const atScope = /^\s*atScope\(\)\s*$/i.test(ctx.query.get('$filter') ?? '');
        return ok(pageOf(services.store.locksAround(scope!, atScope), ctx, services.pageSize));
      },
    },
    {
      ...arm,
      operation: 'ManagementLocks_Get',
      method: 'GET',
      pattern: one,
      handle: (_ctx, [scope, name]) => {
        const lock = services.store.getLock(lockId(scope!, name!));
        if (!lock)
          throw new HttpError(404, 'LockNotFound', `The lock '${name}' could not be found at scope '${scope}'.`);
        return ok(lock);
      },
    },
    {
      ...arm,
      operation: 'ManagementLocks_CreateOrUpdate',
      method: 'PUT',
      pattern: one,
      handle: (ctx, [scope, name]) => putLock(services, ctx, scope!, name!),
    },
    {
      ...arm,
      operation: 'ManagementLocks_Delete',
      method: 'DELETE',
      pattern: one,
      handle: (ctx, [scope, name]) => deleteLock(services, ctx, scope!, name!),
    },
  ];
}
