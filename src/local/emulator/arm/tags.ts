import type { Reply, RequestContext } from '../http.js';
import { HttpError, isRecord, ok } from '../http.js';
import type { Route } from '../route.js';
import type { Tags } from '../types.js';
import type { ArmServices } from './common.js';
import {
  assertNotLocked,
  assertSubscription,
  RESOURCES_API_VERSIONS,
  resourceNotFound,
  validateTags,
} from './common.js';
import { parseResourceId, resourceType, type ResourceRef } from '../ids.js';

const SCOPE_OF_CONTAINER = /^\/subscriptions\/([^/]+)(?:\/resourcegroups\/([^/]+))?$/i;

/** Reads and writes the tags of a scope: a flexible server, a resource group or a subscription. */
interface TagTarget {
  readonly id: string;
  read(): Tags;
  write(tags: Tags, request: ReturnType<ArmServices['audit']['request']>): void;
}

function targetOf(services: ArmServices, scope: string): TagTarget {
  const ref = parseResourceId(scope);
  if (ref?.engine === 'sql-database' && !ref.child) return sqlDatabaseTarget(services, ref);
  if (ref && !ref.child) {
    assertSubscription(ref.subscriptionId);
    const record = services.store.get(ref.key);
    if (!record || record.hidden) throw resourceNotFound(resourceType(ref.engine), ref.name, ref.resourceGroup);
    return {
      id: record.server.id,
      read: () => ({ ...(record.server.tags ?? {}) }),
      write: (tags) => {
        record.server = { ...record.server, tags };
      },
    };
  }
  const container = SCOPE_OF_CONTAINER.exec(scope);
  if (container) {
    assertSubscription(container[1]!);
    return {
      id: scope,
      read: () => services.store.scopeTagsOf(scope),
      write: (tags) => services.store.setScopeTags(scope, tags),
    };
  }
  throw new HttpError(
    404,
    'ResourceNotFound',
    `The emulator keeps tags of flexible servers, resource groups and subscriptions only; '${scope}' is none of them.`,
  );
}

/** A SQL database's tags (its logical server keeps its own: the warden never writes them). */
function sqlDatabaseTarget(services: ArmServices, ref: ResourceRef): TagTarget {
  assertSubscription(ref.subscriptionId);
  const record = services.sql?.getDatabase(ref.id);
  if (!record)
    throw resourceNotFound(
      'Microsoft.Sql/servers/databases',
      `${ref.parents?.[0]?.name ?? ''}/${ref.name}`,
      ref.resourceGroup,
    );
  return {
    id: record.database.id,
    read: () => ({ ...(record.database.tags ?? {}) }),
    write: (tags) => {
      record.database = { ...record.database, tags };
    },
  };
}

const tagsResource = (scope: string, tags: Tags) => ({
  id: `${scope}/providers/Microsoft.Resources/tags/default`,
  name: 'default',
  type: 'Microsoft.Resources/tags',
  properties: { tags },
});

function writeTags(
  services: ArmServices,
  ctx: RequestContext,
  scope: string,
  next: (current: Tags, body: Record<string, unknown>) => Tags,
  operationName: string,
): Reply {
  const target = targetOf(services, scope);
  const body = isRecord(ctx.body) ? ctx.body : {};
  const tags = validateTags(next(target.read(), body), `scope '${target.id}'`);
  assertNotLocked(services.store, target.id, 'write');
  const request = services.audit.request(ctx, ctx.method !== 'DELETE');
  target.write(tags, request);
  services.audit.succeeded(request, { resourceId: target.id, operationName, kind: 'write', httpStatus: 200 });
  return ok(tagsResource(target.id, tags));
}

const requestedTags = (body: Record<string, unknown>): Tags => {
  const properties = isRecord(body.properties) ? body.properties : {};
  return validateTags(properties.tags, 'the request');
};

/** PATCH semantics of the Tags API: Merge adds/overwrites, Replace replaces, Delete removes names (or name/value pairs). */
function patchTags(current: Tags, body: Record<string, unknown>): Tags {
  const requested = requestedTags(body);
  switch (body.operation) {
    case 'Merge':
      return { ...current, ...requested };
    case 'Replace':
      return requested;
    case 'Delete':
      return Object.fromEntries(
        Object.entries(current).filter(
          ([name, value]) => !(name in requested) || (requested[name] !== '' && requested[name] !== value),
        ),
      );
    default:
      throw new HttpError(
        400,
        'InvalidTagOperation',
        `The tags operation must be Merge, Replace or Delete; got ${JSON.stringify(body.operation)}.`,
      );
  }
}

export function tagRoutes(services: ArmServices): Route[] {
  const pattern = /^(.*)\/providers\/microsoft\.resources\/tags\/default$/i;
  const arm = { kind: 'arm' as const, apiVersions: RESOURCES_API_VERSIONS, pattern };
  return [
    {
      ...arm,
      operation: 'Tags_GetAtScope',
      method: 'GET',
      handle: (_ctx, [scope]) => ok(tagsResource(targetOf(services, scope!).id, targetOf(services, scope!).read())),
    },
    {
      ...arm,
      operation: 'Tags_CreateOrUpdateAtScope',
      method: 'PUT',
      handle: (ctx, [scope]) =>
        writeTags(services, ctx, scope!, (_current, body) => requestedTags(body), 'Microsoft.Resources/tags/write'),
    },
    {
      ...arm,
      operation: 'Tags_UpdateAtScope',
      method: 'PATCH',
      handle: (ctx, [scope]) => writeTags(services, ctx, scope!, patchTags, 'Microsoft.Resources/tags/write'),
    },
    {
      ...arm,
      operation: 'Tags_DeleteAtScope',
      method: 'DELETE',
      handle: (ctx, [scope]) => writeTags(services, ctx, scope!, () => ({}), 'Microsoft.Resources/tags/delete'),
    },
  ];
}
