import { ManagementLockClient } from '@azure/arm-locks';
import { SqlManagementClient, type Database, type Server as LogicalServer } from '@azure/arm-sql';
import { isSystemResource } from '../../../domain/engines.js';
import { parseServerId, resourceIdOf, type ServerRef } from '../../../domain/ids.js';
import type { FirewallRule, LockLevel, ManagementLock, Server } from '../../../domain/model.js';
import { serverFromArm, withLogicalServer } from '../../../domain/snapshot.js';
import type { DeleteOutcome, RestoreRequest } from '../../../ports/servers.js';
import { AzureCallError, statusOf } from '../errors.js';
import type { ArmOptions } from './servers.js';

/** Thrown for a change the warden never makes to a SQL database: its network belongs to the logical server. */
export class LogicalServerUntouchedError extends Error {
  override name = 'LogicalServerUntouchedError';
}

/**
 * SQL databases on `@azure/arm-sql` 10.0.0 (api-version 2022-08-01-preview for servers and databases, 2020-11-01-preview
 * for firewall rules, 2021-02-01-preview for database operations). A database is read with its logical server's exposure
 * (public access, administrator login, version) and the server's firewall rules: what the plan reports and never
 * changes. The only writes are the governed restore (PUT of a new database, by the operator) and the delete of a
 * database; tags go through the Tags API (ServersByEngine hands them to ArmServers).
 */
export class ArmSqlDatabases {
  private readonly clients = new Map<string, { sql: SqlManagementClient; locks: ManagementLockClient }>();
  private readonly poll: { updateIntervalInMs?: number };

  constructor(private readonly options: ArmOptions) {
    this.poll = options.pollIntervalInMs === undefined ? {} : { updateIntervalInMs: options.pollIntervalInMs };
  }

  private client(subscriptionId: string) {
    let c = this.clients.get(subscriptionId);
    if (!c) {
      const { credential, clientOptions = {} } = this.options;
      c = { sql: new SqlManagementClient(credential, subscriptionId, clientOptions), locks: new ManagementLockClient(credential, subscriptionId, clientOptions) };
      this.clients.set(subscriptionId, c);
    }
    return c;
  }

  /** Databases cannot be listed by subscription: every logical server, then its databases (master left out). Throws on any failed page. */
  async list(subscriptionId: string): Promise<Server[]> {
    const { sql } = this.client(subscriptionId);
    const databases: Server[] = [];
    try {
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
    } catch (error) {
      throw new AzureCallError(`list SQL databases of subscription ${subscriptionId}`, error);
    }
    return databases;
  }

  async get(id: string, options: { withFirewallRules?: boolean; withLocks?: boolean } = {}): Promise<Server | undefined> {
    const ref = sqlRef(id);
    const { sql } = this.client(ref.subscriptionId);
    const serverName = logicalServerOf(ref);
    let database: Server | undefined;
    try {
      const [logical, db] = await Promise.all([sql.servers.get(ref.resourceGroup, serverName), sql.databases.get(ref.resourceGroup, serverName, ref.name)]);
      database = databaseFromSdk(db, logical);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw new AzureCallError(`get SQL database ${ref.id}`, error);
    }
    if (!database) return undefined;
    const [firewallRules, locks] = await Promise.all([options.withFirewallRules ? this.listFirewallRules(id) : undefined, options.withLocks ? this.listLocks(id) : undefined]);
    return { ...database, ...(firewallRules ? { firewallRules } : {}), ...(locks ? { locks } : {}) };
  }

  /** The logical server's firewall rules: the copy's exposure, shared with production. */
  async listFirewallRules(id: string): Promise<FirewallRule[]> {
    const ref = sqlRef(id);
    const rules: FirewallRule[] = [];
    try {
      for await (const r of this.client(ref.subscriptionId).sql.firewallRules.listByServer(ref.resourceGroup, logicalServerOf(ref))) {
        rules.push({ name: r.name ?? '', startIpAddress: r.startIpAddress ?? '', endIpAddress: r.endIpAddress ?? '' });
      }
    } catch (error) {
      if (statusOf(error) === 404) return [];
      throw new AzureCallError(`list firewall rules of the logical server of ${ref.id}`, error);
    }
    return rules;
  }

  /** Locks on the database, its logical server, resource group and subscription (ARM lists those that apply). */
  async listLocks(id: string): Promise<ManagementLock[]> {
    const ref = sqlRef(id);
    const locks: ManagementLock[] = [];
    try {
      for await (const l of this.client(ref.subscriptionId).locks.managementLocks.listAtResourceLevel(ref.resourceGroup, 'Microsoft.Sql', `servers/${logicalServerOf(ref)}`, 'databases', ref.name)) {
        locks.push({ name: l.name ?? '', level: l.level as LockLevel, ...(l.notes ? { notes: l.notes } : {}) });
      }
    } catch (error) {
      if (statusOf(error) === 404) return [];
      throw new AzureCallError(`list locks of ${ref.id}`, error);
    }
    return locks;
  }

  deleteFirewallRule(id: string, ruleName: string): Promise<never> {
    return Promise.reject(untouched(id, `delete firewall rule ${ruleName}`));
  }

  upsertFirewallRule(id: string, rule: { name: string }): Promise<never> {
    return Promise.reject(untouched(id, `write firewall rule ${rule.name}`));
  }

  disablePublicAccess(id: string): Promise<never> {
    return Promise.reject(untouched(id, 'disable public network access'));
  }

  stop(id: string): Promise<never> {
    return Promise.reject(untouched(id, 'stop'));
  }

  async delete(id: string): Promise<DeleteOutcome> {
    const ref = sqlRef(id);
    try {
      await this.client(ref.subscriptionId).sql.databases.beginDeleteAndWait(ref.resourceGroup, logicalServerOf(ref), ref.name, this.poll);
      return 'deleted';
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) return 'already-gone';
      if (status === 409 && /ScopeLocked/i.test(String((error as { code?: string }).code ?? (error as Error).message))) return 'locked';
      throw new AzureCallError(`delete SQL database ${ref.id}`, error);
    }
  }

  /**
   * Point-in-time restore into a new database on the logical server `request.targetParent` (default: the source's);
   * lineage and ownership tags ride in the create request. With `wait`, progress is the restore's `percentComplete`.
   */
  async restore(request: RestoreRequest, options: { wait?: boolean; onProgress?: (state: string) => void } = {}): Promise<Server> {
    const source = sqlRef(request.sourceServerId);
    const { sql } = this.client(source.subscriptionId);
    const serverName = request.targetParent ?? logicalServerOf(source);
    const target = resourceIdOf('sql-database', source.subscriptionId, request.targetResourceGroup, [serverName, request.targetName]);
    const body: Database = {
      location: request.location,
      // A restored database does not copy the source's tags: these are all it will have.
      tags: { ...request.tags },
      createMode: 'PointInTimeRestore',
      sourceDatabaseId: source.id,
      restorePointInTime: new Date(request.pointInTimeUtc),
    };
    try {
      const poller = await sql.databases.beginCreateOrUpdate(request.targetResourceGroup, serverName, request.targetName, body, this.poll);
      options.onProgress?.('Accepted');
      if (options.wait) {
        let last = 'Accepted';
        while (!poller.isDone()) {
          await poller.poll();
          if (poller.isDone()) break;
          const progress = await this.progressOf(sql, request.targetResourceGroup, serverName, request.targetName);
          if (progress && progress !== last) options.onProgress?.((last = progress));
          await new Promise((resolve) => setTimeout(resolve, this.poll.updateIntervalInMs ?? 5_000));
        }
        await poller.pollUntilDone();
      }
      const created = await this.get(target);
      if (!created) throw new Error(`ARM does not show the new database ${target}`);
      if (options.wait) options.onProgress?.(`${created.state ?? 'Online'} (100%)`);
      return created;
    } catch (error) {
      throw new AzureCallError(`restore ${source.id} to ${target} at ${request.pointInTimeUtc}`, error, { action: 'Microsoft.Sql/servers/databases/write' });
    }
  }

  /** "Restoring 42%" from the database's operations; undefined when it lists none. */
  private async progressOf(sql: SqlManagementClient, resourceGroup: string, serverName: string, name: string): Promise<string | undefined> {
    try {
      let latest: { percentComplete?: number; state?: string } | undefined;
      for await (const op of sql.databaseOperations.listByDatabase(resourceGroup, serverName, name)) latest = op;
      return latest?.percentComplete === undefined ? undefined : `Restoring ${latest.percentComplete}%`;
    } catch {
      return undefined; // progress is a courtesy: the restore's own poll decides
    }
  }
}

function sqlRef(id: string): ServerRef {
  const ref = parseServerId(id);
  if (!ref || ref.engine !== 'sql-database') throw new Error(`Not a SQL database id: ${id}`);
  return ref;
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

function untouched(id: string, change: string): LogicalServerUntouchedError {
  return new LogicalServerUntouchedError(`Refused to ${change} for ${id}: the network of a SQL database belongs to its logical server, shared with production; the warden never changes it`);
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
