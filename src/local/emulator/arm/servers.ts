import type { FaultDecision } from '../faults.js';
import type { Reply, RequestContext } from '../http.js';
import { HttpError, isRecord, ok } from '../http.js';
import type { Route } from '../route.js';
import type { ServerRecord } from '../store.js';
import type { ArmServer, SystemData } from '../types.js';
import { AZURE_DURATIONS_MS, restoreDurationMs } from '../durations.js';
import type { ArmServices } from './common.js';
import {
  acceptOperation,
  assertNotLocked,
  assertSubscription,
  pageOf,
  resourceNotFound,
  validateTags,
} from './common.js';
import { POSTGRES_PROVIDER, type FlexibleProvider } from './providers.js';
import { restoredServer } from './restore.js';
import { completeServer, isVnetServer, serverView, storageTier, tierOfSku } from './serverShape.js';
import { resourceId } from '../ids.js';

const serversPath = (provider: FlexibleProvider): string =>
  `/subscriptions/([^/]+)/resourcegroups/([^/]+)/providers/${provider.pathNamespace}/flexibleservers`;
const NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/** The server as a read finds it: 404 when it does not exist, or while a restore creates it on a provider that hides it (MySQL). */
export function findServer(
  services: ArmServices,
  subscriptionId: string,
  resourceGroup: string,
  name: string,
  provider: FlexibleProvider = POSTGRES_PROVIDER,
): ServerRecord {
  const record = services.store.get(
    resourceId(provider.engine, assertSubscription(subscriptionId), resourceGroup, name),
  );
  if (!record || record.hidden) throw resourceNotFound(provider.serverType, name, resourceGroup);
  return record;
}

/** The phases of a server while an operation runs on it. */
const BUSY_STATES = new Set(['provisioning', 'updating', 'stopping', 'starting', 'restarting', 'dropping']);
/** Server-level operations still running per server (a PATCH of a stopped server runs without changing its phase). */
const running = new WeakMap<ServerRecord, number>();

/**
 * 409 `ServerBusy` while an operation runs on the server: Azure refuses a second change to a flexible server until the
 * first is done ("Server '…' is busy with another operation. Please try again later.", as reported from real deployments
 * in Azure/bicep-registry-modules#4451). Reads, the Tags API and DELETE are not refused.
 */
export function assertNotBusy(record: ServerRecord): void {
  const state = String(record.server.properties.state ?? '').toLowerCase();
  if (!BUSY_STATES.has(state) && (running.get(record) ?? 0) === 0) return;
  throw new HttpError(
    409,
    'ServerBusy',
    `Server '${record.server.name}' is busy with another operation. Please try again later.`,
  );
}

/** Counts an operation as running on the server until it succeeds or fails. */
function tracked<T extends { apply: () => void; onFailed?: (error: { code: string; message: string }) => void }>(
  record: ServerRecord,
  input: T,
): T {
  running.set(record, (running.get(record) ?? 0) + 1);
  const done = () => running.set(record, Math.max(0, (running.get(record) ?? 1) - 1));
  return {
    ...input,
    apply: () => {
      done();
      input.apply();
    },
    onFailed: (error: { code: string; message: string }) => {
      done();
      input.onFailed?.(error);
    },
  };
}

/** The servers a listing shows (not those a restore is still creating on a provider that hides them). */
const visible = (records: readonly ServerRecord[]): readonly ServerRecord[] =>
  records.some((r) => r.hidden) ? records.filter((r) => !r.hidden) : records;

/** ARM's systemData of a resource: `createdAt` only, kept from creation. */
export function systemDataFor(at: Date, created?: SystemData): SystemData {
  return { createdAt: created?.createdAt ?? at.toISOString() };
}

/** What GET on the Location URL of a start, stop or restart answers once it is done. */
const actionResult = (name: string, provider: FlexibleProvider) => () => ({
  properties: {},
  name,
  type: provider.actionResultType,
});

function createServer(
  services: ArmServices,
  provider: FlexibleProvider,
  ctx: RequestContext,
  fault: FaultDecision,
  [sub, rg, name]: string[],
): Reply {
  const subscriptionId = assertSubscription(sub!);
  const id = resourceId(provider.engine, subscriptionId, rg!, name!);
  const body = ctx.body;
  if (!isRecord(body)) throw new HttpError(400, 'InvalidRequestContent', `The request of PUT ${id} needs a JSON body.`);
  const properties = isRecord(body.properties) ? body.properties : {};
  const createMode = typeof properties.createMode === 'string' ? properties.createMode : 'Default';
  const existing = services.store.get(id);
  if (existing && (existing.hidden || (createMode !== 'Default' && createMode !== 'Update'))) {
    throw new HttpError(
      409,
      'ServerNameAlreadyExists',
      `The server name '${name}' is already in use; a ${createMode} needs a new server name.`,
    );
  }
  if (existing) return updateServer(services, provider, ctx, fault, [sub!, rg!, name!]);
  // A flexible server name is a DNS name of its engine's zone: unique across Azure, not only in the resource group.
  const elsewhere = services.store.serversNamed(name!, provider.engine)[0];
  if (elsewhere)
    throw new HttpError(
      409,
      'ServerNameAlreadyExists',
      `The server name '${name}' is already in use (server names are unique across Azure); choose another name.`,
    );
  if (!NAME.test(name!)) {
    throw new HttpError(
      400,
      'InvalidServerName',
      `The server name '${name}' must be 3 to 63 lower-case letters, digits or hyphens, not starting or ending with a hyphen.`,
    );
  }
  assertNotLocked(services.store, id, 'write');
  const request = services.audit.request(ctx, true);
  const now = services.clock.now();
  const tags = body.tags === undefined || body.tags === null ? undefined : validateTags(body.tags, `server '${name}'`);
  const systemData = systemDataFor(now);
  let server: ArmServer;
  let rules: ReturnType<typeof restoredServer>['rules'] = [];
  if (createMode === 'PointInTimeRestore') {
    const sourceId = typeof properties.sourceServerResourceId === 'string' ? properties.sourceServerResourceId : '';
    ({ server, rules } = restoredServer({
      provider,
      subscriptionId,
      resourceGroup: rg!,
      name: name!,
      body,
      tags,
      source: sourceId ? services.store.get(sourceId) : undefined,
      now,
      systemData,
    }));
  } else if (provider.createModes.includes(createMode)) {
    server = newServer(provider, id, body, properties, tags, systemData, now);
  } else {
    throw new HttpError(
      400,
      'UnsupportedCreateMode',
      `createMode '${createMode}' is not supported by the emulator (${[...provider.createModes, 'PointInTimeRestore'].join(', ')}).`,
    );
  }
  const record = services.store.put(server);
  for (const rule of rules) record.rules.set(rule.name.toLowerCase(), rule);
  const restore = createMode === 'PointInTimeRestore';
  // MySQL: the target of a restore is no resource yet; reads answer 404 until the restore is done.
  if (restore && provider.notFoundWhileRestoring) record.hidden = true;
  // A source with a data plane gives its clone one: base backup plus WAL replay to the restore point.
  const restoring =
    restore && !fault.failLro
      ? services.dataPlanes?.restore(
          String(properties.sourceServerResourceId),
          id,
          new Date(String(properties[provider.restorePointField])),
        )
      : undefined;
  return acceptOperation(services, ctx, fault, {
    request,
    resourceId: id,
    provider: provider.namespace,
    location: server.location,
    operationName: `${provider.serverType}/write`,
    kind: 'write',
    managementOperation: restore ? 'RestoreSnapshotManagementOperation' : 'UpsertServerManagementOperation',
    durationMs: restore
      ? restoreDurationMs(services.dataPlanes?.bytesOf(String(properties.sourceServerResourceId)))
      : AZURE_DURATIONS_MS.pgCreate,
    apply: () => {
      record.server = { ...record.server, properties: { ...record.server.properties, state: 'Ready' } };
      record.hidden = false;
      record.readyAt = services.clock.mark();
    },
    result: () => serverView(record, services.clock),
    onFailed: () => {
      services.store.remove(id);
      void services.dataPlanes?.remove(id);
    },
    ...(restoring ? { until: restoring } : {}),
  });
}

function newServer(
  provider: FlexibleProvider,
  id: string,
  body: Record<string, unknown>,
  properties: Record<string, unknown>,
  tags: Record<string, string> | undefined,
  systemData: SystemData,
  now: Date,
): ArmServer {
  const sku = isRecord(body.sku) && typeof body.sku.name === 'string' ? body.sku.name : undefined;
  if (!sku) throw new HttpError(400, 'InvalidParameterValue', `Creating server '${id}' needs sku.name.`);
  if (typeof body.location !== 'string' || body.location === '')
    throw new HttpError(400, 'LocationRequired', `Creating server '${id}' needs a location.`);
  if (typeof properties.administratorLogin !== 'string')
    throw new HttpError(400, 'InvalidParameterValue', `Creating server '${id}' needs properties.administratorLogin.`);
  const { administratorLoginPassword: _password, createMode: _mode, ...rest } = properties;
  return completeServer(
    {
      id,
      name: id.split('/').pop()!,
      type: provider.serverType,
      location: body.location,
      ...(tags ? { tags } : {}),
      sku: {
        name: sku,
        tier: isRecord(body.sku) && typeof body.sku.tier === 'string' ? body.sku.tier : tierOfSku(sku),
      },
      systemData,
      properties: { ...rest, state: 'Provisioning' },
    },
    now,
  );
}

/** The request's `network`, without `publicNetworkAccess` where the api-version has it read-only (ignored, as ARM does). */
function requestedNetwork(
  provider: FlexibleProvider,
  properties: Record<string, unknown>,
  apiVersion: string,
): Record<string, unknown> | undefined {
  if (!isRecord(properties.network)) return undefined;
  if (!provider.publicAccessWritableFrom || apiVersion.slice(0, 10) >= provider.publicAccessWritableFrom)
    return properties.network;
  const { publicNetworkAccess: _readOnly, ...rest } = properties.network;
  return rest;
}

function updateServer(
  services: ArmServices,
  provider: FlexibleProvider,
  ctx: RequestContext,
  fault: FaultDecision,
  [sub, rg, name]: string[],
): Reply {
  const record = findServer(services, sub!, rg!, name!, provider);
  const id = record.server.id;
  const body = isRecord(ctx.body) ? ctx.body : {};
  const properties = isRecord(body.properties) ? body.properties : {};
  const network = requestedNetwork(provider, properties, ctx.query.get('api-version') ?? '');
  if (network && 'publicNetworkAccess' in network && isVnetServer(record.server)) {
    throw new HttpError(
      400,
      'PublicNetworkAccessNotAllowedForVnetServer',
      `Server '${name}' is integrated with a virtual network: network.publicNetworkAccess cannot be changed.`,
    );
  }
  if (
    network &&
    typeof network.publicNetworkAccess === 'string' &&
    !['Enabled', 'Disabled'].includes(network.publicNetworkAccess)
  ) {
    throw new HttpError(
      400,
      'InvalidParameterValue',
      `network.publicNetworkAccess of server '${name}' must be Enabled or Disabled.`,
    );
  }
  const tags = 'tags' in body ? validateTags(body.tags, `server '${name}'`) : undefined;
  assertNotBusy(record);
  assertNotLocked(services.store, id, 'write');
  const request = services.audit.request(ctx, true);
  const state = record.server.properties.state ?? 'Ready';
  // Azure accepts a PATCH of a stopped server and fails it in the operation (the Tags API still works).
  const stopped = state === 'Stopped';
  // Only a Ready server shows Updating; whatever else runs on it (a create, a start) keeps its own phase.
  const updating = state === 'Ready';
  if (updating) record.server = { ...record.server, properties: { ...record.server.properties, state: 'Updating' } };
  /** Back from Updating to the state before, unless another operation has moved the server on meanwhile. */
  const settledState = (): string | undefined =>
    record.server.properties.state === 'Updating' && updating ? state : record.server.properties.state;
  return acceptOperation(
    services,
    ctx,
    fault,
    tracked(record, {
      request,
      resourceId: id,
      provider: provider.namespace,
      location: record.server.location,
      operationName: `${provider.serverType}/write`,
      kind: 'write',
      managementOperation: 'UpsertServerManagementOperation',
      durationMs: AZURE_DURATIONS_MS.pgUpdate,
      ...(stopped
        ? {
            failure: {
              code: 'UpsertServerManagementOperationUnsupportedForStoppedServer',
              message: `Operation UpsertServerManagementOperation is not supported for the server '${name}' because it is stopped. Start the server and try again.`,
              status: 400,
            },
          }
        : {}),
      result: () => serverView(record, services.clock),
      onFailed: () => {
        record.server = { ...record.server, properties: { ...record.server.properties, state: settledState() } };
      },
      apply: () => {
        const current = record.server;
        const p = current.properties;
        const skuName = isRecord(body.sku) && typeof body.sku.name === 'string' ? body.sku.name : undefined;
        const requestedStorage = isRecord(properties.storage) ? properties.storage : undefined;
        // PostgreSQL storage has a performance tier by size; MySQL's IOPS are set on their own.
        const resized =
          typeof requestedStorage?.storageSizeGB === 'number' && provider.engine === 'postgresql-flexible'
            ? storageTier(requestedStorage.storageSizeGB)
            : {};
        record.server = {
          ...current,
          ...(tags ? { tags } : {}),
          ...(skuName
            ? {
                sku: {
                  name: skuName,
                  tier: isRecord(body.sku) && typeof body.sku.tier === 'string' ? body.sku.tier : tierOfSku(skuName),
                },
              }
            : {}),
          properties: {
            ...p,
            state: settledState(),
            ...(typeof properties.version === 'string' ? { version: properties.version } : {}),
            storage: requestedStorage ? { ...p.storage, ...resized, ...requestedStorage } : p.storage,
            backup: isRecord(properties.backup) ? { ...p.backup, ...(properties.backup as object) } : p.backup,
            network: network ? { ...p.network, ...network } : p.network,
            ...(isRecord(properties.highAvailability)
              ? { highAvailability: { ...p.highAvailability, ...properties.highAvailability } }
              : {}),
            ...(isRecord(properties.maintenanceWindow) ? { maintenanceWindow: properties.maintenanceWindow } : {}),
            ...(isRecord(properties.authConfig)
              ? { authConfig: { ...(p.authConfig as object), ...properties.authConfig } }
              : {}),
          },
        };
      },
    }),
  );
}

function deleteServer(
  services: ArmServices,
  provider: FlexibleProvider,
  ctx: RequestContext,
  fault: FaultDecision,
  [sub, rg, name]: string[],
): Reply {
  const id = resourceId(provider.engine, assertSubscription(sub!), rg!, name!);
  const record = services.store.get(id);
  if (!record || record.hidden) return { status: 204 };
  assertNotLocked(services.store, record.server.id, 'delete');
  const request = services.audit.request(ctx, false);
  const previousState = record.server.properties.state;
  record.server = { ...record.server, properties: { ...record.server.properties, state: 'Dropping' } };
  return acceptOperation(services, ctx, fault, {
    request,
    resourceId: record.server.id,
    provider: provider.namespace,
    location: record.server.location,
    operationName: `${provider.serverType}/delete`,
    kind: 'delete',
    managementOperation: 'DropServerManagementOperation',
    durationMs: AZURE_DURATIONS_MS.pgDelete,
    apply: () => {
      services.store.remove(id);
      void services.dataPlanes?.remove(id);
    },
    onFailed: () => {
      record.server = { ...record.server, properties: { ...record.server.properties, state: previousState } };
    },
  });
}

const ACTIONS: Record<string, { from: string[]; during: string; to: string; operation: string; durationMs: number }> = {
  start: {
    from: ['Stopped'],
    during: 'Starting',
    to: 'Ready',
    operation: 'StartServerManagementOperation',
    durationMs: AZURE_DURATIONS_MS.pgStart,
  },
  stop: {
    from: ['Ready'],
    during: 'Stopping',
    to: 'Stopped',
    operation: 'StopServerManagementOperation',
    durationMs: AZURE_DURATIONS_MS.pgStop,
  },
  restart: {
    from: ['Ready'],
    during: 'Restarting',
    to: 'Ready',
    operation: 'RestartServerManagementOperation',
    durationMs: AZURE_DURATIONS_MS.pgRestart,
  },
};

function serverAction(
  services: ArmServices,
  provider: FlexibleProvider,
  ctx: RequestContext,
  fault: FaultDecision,
  [sub, rg, name, action]: string[],
): Reply {
  const record = findServer(services, sub!, rg!, name!, provider);
  const verb = action!.toLowerCase();
  const rule = ACTIONS[verb]!;
  const state = record.server.properties.state ?? 'Ready';
  assertNotBusy(record);
  if (!rule.from.includes(state)) {
    throw new HttpError(
      400,
      'InvalidServerState',
      `Server '${name}' is '${state}'; ${verb} needs it to be ${rule.from.join(' or ')}.`,
    );
  }
  assertNotLocked(services.store, record.server.id, 'action');
  const request = services.audit.request(ctx, false);
  record.server = { ...record.server, properties: { ...record.server.properties, state: rule.during } };
  return acceptOperation(services, ctx, fault, {
    request,
    resourceId: record.server.id,
    location: record.server.location,
    provider: provider.namespace,
    operationName: `${provider.serverType}/${verb}/action`,
    kind: 'action',
    managementOperation: rule.operation,
    durationMs: rule.durationMs,
    result: actionResult(record.server.name, provider),
    apply: () => {
      record.server = { ...record.server, properties: { ...record.server.properties, state: rule.to } };
    },
    onFailed: () => {
      record.server = { ...record.server, properties: { ...record.server.properties, state } };
    },
  });
}

/** The routes of one flexible-server provider (PostgreSQL, MySQL): servers, their actions and the operation status URLs. */
export function serverRoutes(services: ArmServices, provider: FlexibleProvider = POSTGRES_PROVIDER): Route[] {
  const arm = { kind: 'arm' as const, apiVersions: provider.apiVersions };
  const SERVERS = serversPath(provider);
  const locations = `^/subscriptions/[^/]+/providers/${provider.pathNamespace}/locations/[^/]+`;
  return [
    {
      ...arm,
      operation: 'Servers_ListBySubscription',
      method: 'GET',
      pattern: new RegExp(`^/subscriptions/([^/]+)/providers/${provider.pathNamespace}/flexibleservers$`, 'i'),
      handle: (ctx, [sub]) => {
        const page = pageOf(
          visible(services.store.listBySubscription(assertSubscription(sub!), provider.engine)),
          ctx,
          services.pageSize,
        );
        return ok({ ...page, value: page.value.map((r) => serverView(r, services.clock)) });
      },
    },
    {
      ...arm,
      operation: 'Servers_ListByResourceGroup',
      method: 'GET',
      pattern: new RegExp(`^${SERVERS}$`, 'i'),
      handle: (ctx, [sub, rg]) => {
        const page = pageOf(
          visible(services.store.listByGroup(assertSubscription(sub!), rg!, provider.engine)),
          ctx,
          services.pageSize,
        );
        return ok({ ...page, value: page.value.map((r) => serverView(r, services.clock)) });
      },
    },
    {
      ...arm,
      operation: 'Servers_Get',
      method: 'GET',
      pattern: new RegExp(`^${SERVERS}/([^/]+)$`, 'i'),
      handle: (_ctx, [sub, rg, name]) =>
        ok(serverView(findServer(services, sub!, rg!, name!, provider), services.clock)),
    },
    {
      ...arm,
      operation: 'Servers_Create',
      method: 'PUT',
      pattern: new RegExp(`^${SERVERS}/([^/]+)$`, 'i'),
      handle: (ctx, params, fault) => createServer(services, provider, ctx, fault, params),
    },
    {
      ...arm,
      operation: 'Servers_Update',
      method: 'PATCH',
      pattern: new RegExp(`^${SERVERS}/([^/]+)$`, 'i'),
      handle: (ctx, params, fault) => updateServer(services, provider, ctx, fault, params),
    },
    {
      ...arm,
      operation: 'Servers_Delete',
      method: 'DELETE',
      pattern: new RegExp(`^${SERVERS}/([^/]+)$`, 'i'),
      handle: (ctx, params, fault) => deleteServer(services, provider, ctx, fault, params),
    },
    ...(['Start', 'Stop', 'Restart'] as const).map((verb) => ({
      ...arm,
      operation: `Servers_${verb}`,
      method: 'POST',
      pattern: new RegExp(`^${SERVERS}/([^/]+)/(${verb.toLowerCase()})$`, 'i'),
      handle: (ctx: RequestContext, params: string[], fault: FaultDecision) =>
        serverAction(services, provider, ctx, fault, params),
    })),
    {
      kind: 'arm',
      operation: 'AzureAsyncOperation_Get',
      method: 'GET',
      pattern: new RegExp(`${locations}/azureasyncoperation/([^/]+)$`, 'i'),
      handle: (_ctx, [id]) => services.operations.statusReply(id!),
    },
    {
      kind: 'arm',
      operation: 'OperationResults_Get',
      method: 'GET',
      pattern: new RegExp(`${locations}/operationresults/([^/]+)$`, 'i'),
      handle: (ctx, [id]) => services.operations.resultReply(id!, ctx.baseUrl),
    },
  ];
}
