import { randomUUID } from 'node:crypto';
import type { FaultDecision } from '../faults.js';
import type { Reply, RequestContext } from '../http.js';
import { HttpError, isRecord, ok } from '../http.js';
import type { Route } from '../route.js';
import type { ArmServices } from '../arm/common.js';
import {
  acceptOperation,
  assertNotLocked,
  assertSubscription,
  pageOf,
  resourceNotFound,
  validateTags,
} from '../arm/common.js';
import { SQL_API_VERSIONS } from '../arm/apiVersions.js';
import { regionName } from '../arm/regions.js';
import { SQL_DURATIONS_MS } from '../durations.js';
import type { DatabaseOperation, DatabaseRecord, LogicalServerRecord, SqlStore } from './store.js';
import {
  completeDatabase,
  databaseView,
  DATABASE_TYPE,
  earliestRestoreDate,
  operationView,
  serverView,
  SQL_SERVER_TYPE,
} from './shapes.js';
import type { ArmDatabase } from './types.js';

const PROVIDER = 'Microsoft.Sql';
const GROUP = '/subscriptions/([^/]+)/resourcegroups/([^/]+)/providers/microsoft\\.sql';
const SERVER = `${GROUP}/servers/([^/]+)`;
const DATABASE = `${SERVER}/databases/([^/]+)`;
/** Azure's limit of point-in-time restores in progress per subscription. */
export const MAX_RESTORES_IN_PROGRESS = 30;
/** Database names: up to 128 characters, none of <>*%&:\/? and not ending with a period or a space. */
const DATABASE_NAME = /^[^<>*%&:\\/?]{1,128}$/;

function sqlStore(services: ArmServices): SqlStore {
  if (!services.sql) throw new HttpError(500, 'InternalServerError', 'The emulator was started without SQL Database.');
  return services.sql;
}

function findServer(services: ArmServices, sub: string, rg: string, name: string): LogicalServerRecord {
  const id = `/subscriptions/${assertSubscription(sub)}/resourceGroups/${rg}/providers/Microsoft.Sql/servers/${name}`;
  const record = sqlStore(services).getServer(id);
  if (!record) throw resourceNotFound(SQL_SERVER_TYPE, name, rg);
  return record;
}

function findDatabase(services: ArmServices, [sub, rg, server, name]: string[]): DatabaseRecord {
  const record = findServer(services, sub!, rg!, server!).databases.get(name!.toLowerCase());
  if (!record) throw resourceNotFound(DATABASE_TYPE, `${server}/${name}`, rg!);
  return record;
}

const invalid = (code: string, message: string) => new HttpError(400, code, message);

/** PUT of a database: a point-in-time restore (the warden's concern) or a new empty database. */
function createDatabase(services: ArmServices, ctx: RequestContext, fault: FaultDecision, params: string[]): Reply {
  const [sub, rg, serverName, name] = params as [string, string, string, string];
  const server = findServer(services, sub, rg, serverName);
  const body = ctx.body;
  if (!isRecord(body)) throw invalid('InvalidRequestContent', `The request of PUT ${ctx.path} needs a JSON body.`);
  const properties = isRecord(body.properties) ? body.properties : {};
  const createMode = typeof properties.createMode === 'string' ? properties.createMode : 'Default';
  const existing = server.databases.get(name.toLowerCase());
  if (existing) {
    // Updates of an existing database are not emulated: the warden never writes a database (tags go through the Tags API).
    throw new HttpError(
      409,
      'DatabaseAlreadyExists',
      `The database '${serverName}/${name}' already exists; choose another name for a ${createMode}.`,
    );
  }
  if (!DATABASE_NAME.test(name) || /[. ]$/.test(name))
    throw invalid('InvalidDatabaseName', `The database name '${name}' is not valid.`);
  if (typeof body.location !== 'string' || regionName(body.location) !== server.server.location) {
    throw invalid(
      'InvalidLocation',
      `A database of server '${serverName}' is in '${server.server.location}'; got location '${String(body.location)}'.`,
    );
  }
  const id = `${server.server.id}/databases/${name}`;
  const tags =
    body.tags === undefined || body.tags === null ? undefined : validateTags(body.tags, `database '${name}'`);
  const now = services.clock.now();
  let database: ArmDatabase;
  if (createMode === 'PointInTimeRestore') {
    database = restoredDatabase(services, { server, name, properties, tags, now });
  } else if (createMode === 'Default') {
    const sku = isRecord(body.sku) ? (body.sku as ArmDatabase['sku']) : undefined;
    database = completeDatabase(
      {
        id,
        name,
        type: DATABASE_TYPE,
        location: server.server.location,
        ...(tags ? { tags } : {}),
        ...(sku ? { sku } : {}),
        properties: { status: 'Creating', creationDate: now.toISOString() },
      },
      server.server,
      now,
    );
  } else {
    throw invalid(
      'UnsupportedCreateMode',
      `createMode '${createMode}' is not supported by the emulator (Default, PointInTimeRestore).`,
    );
  }
  assertNotLocked(services.store, id, 'write');
  const store = sqlStore(services);
  const request = services.audit.request(ctx, true);
  const record = store.putDatabase(server, database);
  const restore = createMode === 'PointInTimeRestore';
  const operation = track(
    services,
    record,
    restore ? 'CreateRestoreRequest' : 'CreateLogicalDatabase',
    restore ? 'CREATE RESTORE REQUEST' : 'CREATE DATABASE',
    SQL_DURATIONS_MS.sqlRestore,
  );
  return acceptOperation(services, ctx, fault, {
    request,
    resourceId: database.id,
    provider: PROVIDER,
    location: server.server.location,
    operationName: 'Microsoft.Sql/servers/databases/write',
    kind: 'write',
    managementOperation: restore ? 'CreateRestoreRequest' : 'CreateLogicalDatabase',
    durationMs: operation.durationMs,
    polling: {
      resourceGroup: server.resourceGroup,
      status: 'databaseAzureAsyncOperation',
      result: 'databaseOperationResults',
    },
    apply: () => {
      record.database = { ...record.database, properties: { ...record.database.properties, status: 'Online' } };
      record.onlineAt = services.clock.mark();
      operation.state = 'Succeeded';
    },
    result: () => databaseView(record, services.clock),
    onFailed: () => {
      operation.state = 'Failed';
      store.removeDatabase(record);
    },
  });
}

/**
 * The database a point-in-time restore creates: the source's sku, size and collation; NOT its tags (the request's only),
 * and no lineage in its GET. Throws the 400 for a missing source or a restore point outside the retention window, and
 * refuses a 31st restore in progress in the subscription.
 */
function restoredDatabase(
  services: ArmServices,
  input: {
    server: LogicalServerRecord;
    name: string;
    properties: Record<string, unknown>;
    tags: Record<string, string> | undefined;
    now: Date;
  },
): ArmDatabase {
  const store = sqlStore(services);
  const sourceId = input.properties.sourceDatabaseId;
  if (typeof sourceId !== 'string' || sourceId === '')
    throw invalid(
      'InvalidParameterValue',
      `The point-in-time restore of database '${input.name}' needs properties.sourceDatabaseId.`,
    );
  const source = store.getDatabase(sourceId);
  if (!source || source.database.kind === 'v12.0,system')
    throw invalid(
      'SourceDatabaseNotFound',
      `The source database '${sourceId}' of the point-in-time restore of '${input.name}' does not exist.`,
    );
  if (
    source.server.subscriptionId !== input.server.subscriptionId ||
    source.server.server.location !== input.server.server.location
  ) {
    throw invalid(
      'InvalidParameterValue',
      `A point-in-time restore stays in the source's subscription and region; '${sourceId}' is elsewhere.`,
    );
  }
  const point =
    typeof input.properties.restorePointInTime === 'string' ? Date.parse(input.properties.restorePointInTime) : NaN;
  if (Number.isNaN(point))
    throw invalid(
      'InvalidParameterValue',
      `The point-in-time restore of database '${input.name}' needs properties.restorePointInTime as an ISO 8601 UTC time.`,
    );
  const earliest = earliestRestoreDate(source.database, input.now);
  if (point < earliest.getTime() || point > input.now.getTime()) {
    throw invalid(
      'InvalidRestorePointInTime',
      `The restore point '${new Date(point).toISOString()}' is outside the restore window of database '${source.database.name}': choose a time between '${earliest.toISOString()}' and '${input.now.toISOString()}'.`,
    );
  }
  const inProgress = store.restoresInProgress(input.server.subscriptionId);
  if (inProgress >= MAX_RESTORES_IN_PROGRESS) {
    throw new HttpError(
      409,
      'TooManyRestoreRequestsInProgress',
      `The subscription has ${inProgress} restores in progress; at most ${MAX_RESTORES_IN_PROGRESS} may run at a time. Try again when one has finished.`,
    );
  }
  const src = source.database;
  return completeDatabase(
    {
      id: `${input.server.server.id}/databases/${input.name}`,
      name: input.name,
      type: DATABASE_TYPE,
      location: input.server.server.location,
      // A restored database does not copy the source's tags: only the request's.
      ...(input.tags ? { tags: { ...input.tags } } : {}),
      ...(src.sku ? { sku: { ...src.sku } } : {}),
      properties: {
        collation: src.properties.collation,
        maxSizeBytes: src.properties.maxSizeBytes,
        currentServiceObjectiveName: src.properties.currentServiceObjectiveName,
        status: 'Restoring',
        creationDate: input.now.toISOString(),
      },
    },
    input.server.server,
    input.now,
  );
}

function track(
  services: ArmServices,
  record: DatabaseRecord,
  operation: string,
  friendlyName: string,
  durationMs: number,
): DatabaseOperation {
  const entry: DatabaseOperation = {
    id: randomUUID(),
    operation,
    friendlyName,
    started: services.clock.mark(),
    startTime: services.clock.now().toISOString(),
    durationMs,
    state: 'InProgress',
  };
  record.operations.push(entry);
  return entry;
}

function deleteDatabase(services: ArmServices, ctx: RequestContext, fault: FaultDecision, params: string[]): Reply {
  const [sub, rg, serverName, name] = params as [string, string, string, string];
  const server = findServer(services, sub, rg, serverName);
  const record = server.databases.get(name.toLowerCase());
  if (!record) return { status: 204 };
  if (record.database.kind === 'v12.0,system')
    throw invalid(
      'CannotDropSystemDatabase',
      `The system database '${name}' of server '${serverName}' cannot be dropped.`,
    );
  assertNotLocked(services.store, record.database.id, 'delete');
  const request = services.audit.request(ctx, false);
  const previous = record.database.properties.status;
  record.database = { ...record.database, properties: { ...record.database.properties, status: 'Dropping' } };
  const operation = track(services, record, 'DropLogicalDatabase', 'DROP DATABASE', SQL_DURATIONS_MS.sqlDelete);
  return acceptOperation(services, ctx, fault, {
    request,
    resourceId: record.database.id,
    provider: PROVIDER,
    location: server.server.location,
    operationName: 'Microsoft.Sql/servers/databases/delete',
    kind: 'delete',
    managementOperation: 'DropLogicalDatabase',
    durationMs: operation.durationMs,
    polling: {
      resourceGroup: server.resourceGroup,
      status: 'databaseAzureAsyncOperation',
      result: 'databaseOperationResults',
    },
    apply: () => {
      operation.state = 'Succeeded';
      sqlStore(services).removeDatabase(record);
    },
    onFailed: () => {
      operation.state = 'Failed';
      record.database = { ...record.database, properties: { ...record.database.properties, status: previous } };
    },
  });
}

/** SQL Database routes: logical servers (read), their firewall rules (read), databases (read, PITR create, delete) and operations. */
export function sqlRoutes(services: ArmServices): Route[] {
  const arm = { kind: 'arm' as const, apiVersions: SQL_API_VERSIONS };
  const re = (pattern: string) => new RegExp(`^${pattern}$`, 'i');
  const listed = <T>(ctx: RequestContext, items: readonly T[]) => ok(pageOf(items, ctx, services.pageSize));
  return [
    {
      ...arm,
      operation: 'Servers_List',
      method: 'GET',
      pattern: /^\/subscriptions\/([^/]+)\/providers\/microsoft\.sql\/servers$/i,
      handle: (ctx, [sub]) => listed(ctx, sqlStore(services).listServers(assertSubscription(sub!)).map(serverView)),
    },
    {
      ...arm,
      operation: 'Servers_ListByResourceGroup',
      method: 'GET',
      pattern: re(`${GROUP}/servers`),
      handle: (ctx, [sub, rg]) =>
        listed(ctx, sqlStore(services).listServers(assertSubscription(sub!), rg).map(serverView)),
    },
    {
      ...arm,
      operation: 'Servers_Get',
      method: 'GET',
      pattern: re(SERVER),
      handle: (_ctx, [sub, rg, name]) => ok(serverView(findServer(services, sub!, rg!, name!))),
    },
    {
      ...arm,
      operation: 'FirewallRules_ListByServer',
      method: 'GET',
      pattern: re(`${SERVER}/firewallRules`),
      handle: (ctx, [sub, rg, name]) => listed(ctx, [...findServer(services, sub!, rg!, name!).rules.values()]),
    },
    {
      ...arm,
      operation: 'FirewallRules_Get',
      method: 'GET',
      pattern: re(`${SERVER}/firewallRules/([^/]+)`),
      handle: (_ctx, [sub, rg, name, rule]) => {
        const found = findServer(services, sub!, rg!, name!).rules.get(rule!.toLowerCase());
        if (!found) throw resourceNotFound('Microsoft.Sql/servers/firewallRules', `${name}/${rule}`, rg!);
        return ok(found);
      },
    },
    {
      ...arm,
      operation: 'Databases_ListByServer',
      method: 'GET',
      pattern: re(`${SERVER}/databases`),
      handle: (ctx, [sub, rg, name]) =>
        listed(
          ctx,
          [...findServer(services, sub!, rg!, name!).databases.values()].map((d) => databaseView(d, services.clock)),
        ),
    },
    {
      ...arm,
      operation: 'Databases_Get',
      method: 'GET',
      pattern: re(DATABASE),
      handle: (_ctx, params) => ok(databaseView(findDatabase(services, params), services.clock)),
    },
    {
      ...arm,
      operation: 'Databases_CreateOrUpdate',
      method: 'PUT',
      pattern: re(DATABASE),
      handle: (ctx, params, fault) => createDatabase(services, ctx, fault, params),
    },
    {
      ...arm,
      operation: 'Databases_Delete',
      method: 'DELETE',
      pattern: re(DATABASE),
      handle: (ctx, params, fault) => deleteDatabase(services, ctx, fault, params),
    },
    {
      ...arm,
      operation: 'DatabaseOperations_ListByDatabase',
      method: 'GET',
      pattern: re(`${DATABASE}/operations`),
      handle: (ctx, params) => {
        // Completes what is due first, so a finished restore reads 100 and Succeeded.
        services.operations.settleDue();
        const record = findDatabase(services, params);
        return listed(
          ctx,
          record.operations.map((o) => operationView(record, o, services.clock)),
        );
      },
    },
    {
      kind: 'arm',
      operation: 'DatabaseAzureAsyncOperation_Get',
      method: 'GET',
      pattern:
        /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.sql\/locations\/[^/]+\/databaseazureasyncoperation\/([^/]+)$/i,
      handle: (_ctx, [id]) => services.operations.statusReply(id!),
    },
    {
      kind: 'arm',
      operation: 'DatabaseOperationResults_Get',
      method: 'GET',
      pattern:
        /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.sql\/locations\/[^/]+\/databaseoperationresults\/([^/]+)$/i,
      handle: (ctx, [id]) => services.operations.resultReply(id!, ctx.baseUrl),
    },
  ];
}
