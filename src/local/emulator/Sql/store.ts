import type { TimeMark } from '../clock.js';
import type { ArmDatabase, ArmSqlFirewallRule, ArmSqlServer } from './types.js';
import { parseResourceId } from '../ids.js';

/** A restore or delete in progress on a database: what `databases/{db}/operations` reports. */
export interface DatabaseOperation {
  readonly id: string;
  /** `CreateRestoreRequest`, `DropLogicalDatabase`. */
  readonly operation: string;
  readonly friendlyName: string;
  readonly started: TimeMark;
  readonly startTime: string;
  readonly durationMs: number;
  state: 'InProgress' | 'Succeeded' | 'Failed';
}

export interface DatabaseRecord {
  database: ArmDatabase;
  readonly key: string;
  readonly server: LogicalServerRecord;
  /** When the database was first Online: its first backup (and `earliestRestoreDate`) comes some Azure time later. */
  onlineAt?: TimeMark;
  readonly operations: DatabaseOperation[];
}

export interface LogicalServerRecord {
  server: ArmSqlServer;
  readonly key: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  /** Firewall rules by lower-case name. */
  readonly rules: Map<string, ArmSqlFirewallRule>;
  /** Databases by lower-case name, `master` included. */
  readonly databases: Map<string, DatabaseRecord>;
}

const SERVER_ID = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.sql\/servers\/([^/]+)$/i;

/** Logical servers by id with their firewall rules and databases; names of logical servers are global in Azure. */
export class SqlStore {
  private readonly servers = new Map<string, LogicalServerRecord>();
  readonly subscriptions = new Set<string>();

  putServer(server: ArmSqlServer): LogicalServerRecord {
    const match = SERVER_ID.exec(server.id);
    if (!match) throw new Error(`Not a logical server id: ${server.id}`);
    const key = server.id.toLowerCase();
    const existing = this.servers.get(key);
    if (existing) {
      existing.server = server;
      return existing;
    }
    const record: LogicalServerRecord = {
      server,
      key,
      subscriptionId: match[1]!.toLowerCase(),
      resourceGroup: match[2]!,
      rules: new Map(),
      databases: new Map(),
    };
    this.servers.set(key, record);
    this.subscriptions.add(record.subscriptionId);
    return record;
  }

  getServer(id: string): LogicalServerRecord | undefined {
    return this.servers.get(id.toLowerCase());
  }

  /** A logical server of this name anywhere: server names are DNS names, unique across Azure. */
  serverNamed(name: string): LogicalServerRecord | undefined {
    return [...this.servers.values()].find((r) => r.server.name.toLowerCase() === name.toLowerCase());
  }

  listServers(subscriptionId: string, resourceGroup?: string): LogicalServerRecord[] {
    return [...this.servers.values()].filter(
      (r) =>
        r.subscriptionId === subscriptionId.toLowerCase() &&
        (resourceGroup === undefined || r.resourceGroup.toLowerCase() === resourceGroup.toLowerCase()),
    );
  }

  allServers(): LogicalServerRecord[] {
    return [...this.servers.values()];
  }

  putDatabase(server: LogicalServerRecord, database: ArmDatabase): DatabaseRecord {
    const existing = server.databases.get(database.name.toLowerCase());
    if (existing) {
      existing.database = database;
      return existing;
    }
    const record: DatabaseRecord = { database, key: database.id.toLowerCase(), server, operations: [] };
    server.databases.set(database.name.toLowerCase(), record);
    return record;
  }

  /** The database of an id in any casing. */
  getDatabase(id: string): DatabaseRecord | undefined {
    const ref = parseResourceId(id);
    if (!ref || ref.engine !== 'sql-database' || ref.child) return undefined;
    const serverId = ref.id.replace(/\/databases\/[^/]+$/i, '');
    return this.getServer(serverId)?.databases.get(ref.name.toLowerCase());
  }

  removeDatabase(record: DatabaseRecord): void {
    record.server.databases.delete(record.database.name.toLowerCase());
  }

  /** Restores in progress in a subscription: Azure allows at most 30 at a time. */
  restoresInProgress(subscriptionId: string): number {
    return this.listServers(subscriptionId)
      .flatMap((s) => [...s.databases.values()])
      .filter((d) => d.operations.some((o) => o.operation === 'CreateRestoreRequest' && o.state === 'InProgress'))
      .length;
  }

  clear(): void {
    this.servers.clear();
    this.subscriptions.clear();
  }
}
