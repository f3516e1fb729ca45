import { SqlManagementClient, type Database, type Server as LogicalServer } from '@azure/arm-sql';
import { isSystemResource } from '../../../domain/engines.js';
import { parseServerId, resourceIdOf, type ServerRef } from '../../../domain/ids.js';
import type { FirewallRule, Server } from '../../../domain/model.js';
import { serverFromArm, withLogicalServer } from '../../../domain/snapshot.js';
import type { NameAvailability, RestoreRequest } from '../../../ports/servers.js';
import type { EngineApiOptions, EngineServersApi, RestorePoller } from './engineApi.js';

/** Thrown for a change the warden never makes to a SQL database: its network belongs to the logical server. */
export class LogicalServerUntouchedError extends Error {
  override name = 'LogicalServerUntouchedError';
}

/**
 * SQL databases on `@azure/arm-sql` 10.0.0 (api-version 2022-08-01-preview for servers and databases, 2020-11-01-preview
 * for firewall rules, 2021-02-01-preview for database operations): the SQL Database entry of ArmServers' engine table.
 * Where it differs from a flexible server, it is because a database lives under a logical server shared with production:
 * - a database is read with its logical server (public access, administrator login, version), and its firewall rules are
 *   the logical server's: the copy's exposure, which the plan reports and never changes;
 * - the network writes (delete a firewall rule, disable public access) and stop are refused here, whatever the plan says
 *   (the engine table gives SQL Database no network actions, so the plan never asks);
 * - a name is free when the logical server has no database of that name (no Azure-wide name check);
 * - databases cannot be listed by subscription: every logical server, then its databases (`master` left out);
 * - a restore's progress is the `percentComplete` of the database's operations.
 * The writes are the governed restore (PUT of a new database, by the operator) and the delete of a database; tags go
 * through the Tags API, locks through the locks API, both in ArmServers.
 */
export class SqlDatabasesApi implements EngineServersApi {
  readonly deleteApiVersion = '2022-08-01-preview';
  private readonly clients = new Map<string, SqlManagementClient>();

  constructor(private readonly options: EngineApiOptions) {}

  private sql(subscriptionId: string): SqlManagementClient {
    let client = this.clients.get(subscriptionId);
    if (!client)
      this.clients.set(
        subscriptionId,
        (client = new SqlManagementClient(this.options.credential, subscriptionId, this.options.clientOptions)),
      );
    return client;
  }

  async list(subscriptionId: string): Promise<Server[]> {
    const sql = this.sql(subscriptionId);
    const databases: Server[] = [];
    for await (const page of sql.servers.list().byPage()) {
      for (const logical of page) {
        const group = resourceGroupOf(logical.id);
        if (!group || !logical.name) continue;
        for await (const dbs of sql.databases.listByServer(group, logical.name).byPage()) {
          for (const db of dbs) {
            const database = databaseFromSdk(db, logical);
            if (database && !isSystemResource('sql-database', database.name)) databases.push(database);
          }
        }
      }
    }
    return databases;
  }

  async get(ref: ServerRef): Promise<Server | undefined> {
    const sql = this.sql(ref.subscriptionId);
    const serverName = logicalServerOf(ref);
    const [logical, db] = await Promise.all([
      sql.servers.get(ref.resourceGroup, serverName),
      sql.databases.get(ref.resourceGroup, serverName, ref.name),
    ]);
    return databaseFromSdk(db, logical);
  }

  /** The logical server's firewall rules: the copy's exposure, shared with production. */
  async listFirewallRules(ref: ServerRef): Promise<FirewallRule[]> {
    const rules: FirewallRule[] = [];
    for await (const r of this.sql(ref.subscriptionId).firewallRules.listByServer(
      ref.resourceGroup,
      logicalServerOf(ref),
    )) {
      rules.push({ name: r.name ?? '', startIpAddress: r.startIpAddress ?? '', endIpAddress: r.endIpAddress ?? '' });
    }
    return rules;
  }

  deleteFirewallRule(ref: ServerRef, ruleName: string): Promise<never> {
    return Promise.reject(untouched(ref, `delete firewall rule ${ruleName}`));
  }

  disablePublicAccess(ref: ServerRef): Promise<never> {
    return Promise.reject(untouched(ref, 'disable public network access'));
  }

  stop(ref: ServerRef): Promise<never> {
    return Promise.reject(untouched(ref, 'stop'));
  }

  async delete(ref: ServerRef): Promise<void> {
    await this.sql(ref.subscriptionId).databases.beginDeleteAndWait(
      ref.resourceGroup,
      logicalServerOf(ref),
      ref.name,
      this.options.poll,
    );
  }

  /** A database name is free when its logical server has none of that name: the restore reads the target id instead. */
  checkName(_subscriptionId: string, _region: string, name: string): Promise<NameAvailability> {
    return Promise.reject(
      new Error(`A SQL database name (${name}) is checked on its logical server: read the target database instead`),
    );
  }

  /** PointInTimeRestore into a new database on `request.targetParent` (default the source's logical server); the request's tags are all it gets. */
  async beginRestore(
    source: ServerRef,
    request: RestoreRequest,
    onResponse: (raw: { status: number; headers: { get(name: string): string | undefined } }) => void,
  ): Promise<RestorePoller> {
    const serverName = request.targetParent ?? logicalServerOf(source);
    const body: Database = {
      location: request.location,
      // A restored database does not copy the source's tags: these are all it will have.
      tags: { ...request.tags },
      createMode: 'PointInTimeRestore',
      sourceDatabaseId: source.id,
      restorePointInTime: new Date(request.pointInTimeUtc),
    };
    const poller = await this.sql(source.subscriptionId).databases.beginCreateOrUpdate(
      request.targetResourceGroup,
      serverName,
      request.targetName,
      body,
      { ...this.options.poll, onResponse },
    );
    // The database result has no logical server: read it whole (with its exposure) when done.
    const target = parseServerId(
      resourceIdOf('sql-database', source.subscriptionId, request.targetResourceGroup, [
        serverName,
        request.targetName,
      ]),
    )!;
    return {
      isDone: () => poller.isDone(),
      poll: () => poller.poll(),
      result: () => undefined,
      pollUntilDone: async () => {
        await poller.pollUntilDone();
        return this.get(target);
      },
    };
  }

  /** "Restoring 42%" from the database's operations; undefined when it lists none or they cannot be read. */
  async restoreProgress(target: ServerRef): Promise<string | undefined> {
    try {
      let latest: { percentComplete?: number } | undefined;
      for await (const op of this.sql(target.subscriptionId).databaseOperations.listByDatabase(
        target.resourceGroup,
        logicalServerOf(target),
        target.name,
      ))
        latest = op;
      return latest?.percentComplete === undefined ? undefined : `Restoring ${latest.percentComplete}%`;
    } catch {
      return undefined; // progress is a courtesy: the restore's own poll decides
    }
  }
}

/** The logical server a database ref lives on. */
function logicalServerOf(ref: ServerRef): string {
  const parent = ref.parents?.[0]?.name;
  if (!parent) throw new Error(`Not a SQL database id (no logical server): ${ref.id}`);
  return parent;
}

function resourceGroupOf(id: string | undefined): string | undefined {
  return id ? /\/resourcegroups\/([^/]+)/i.exec(id)?.[1] : undefined;
}

function untouched(ref: ServerRef, change: string): LogicalServerUntouchedError {
  return new LogicalServerUntouchedError(
    `Refused to ${change} for ${ref.id}: the network of a SQL database belongs to its logical server, shared with production; the warden never changes it`,
  );
}

/**
 * A database as the SDK returns it (properties flattened) to the warden's Server, with its logical server's exposure
 * (public access), administrator login and version when the server was read. Undefined for ids that are not a database.
 */
export function databaseFromSdk(db: Database, logical?: LogicalServer): Server | undefined {
  const ref = db.id ? parseServerId(db.id) : undefined;
  if (!ref || ref.child || ref.engine !== 'sql-database') return undefined;
  return serverFromArm(logical ? withLogicalServer(db, logical) : db, {}, db.id);
}
