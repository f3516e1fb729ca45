import { isRecord } from '../http.js';
import { seedFirewallRules } from '../snapshot.js';
import type { EmulatorClock } from '../clock.js';
import type { SqlStore } from './store.js';
import { completeDatabase, completeLogicalServer, masterDatabase, SQL_SERVER_TYPE } from './shapes.js';
import type { ArmDatabase, ArmSqlFirewallRule, ArmSqlServer } from './types.js';

/**
 * The SQL Database part of an emulator snapshot: logical servers, their firewall rules (by server id) and databases
 * (each under the logical server its id names), as GET returns them; partial objects are completed.
 * @example
 * { "sqlServers": [{ "id": "/subscriptions/…/providers/Microsoft.Sql/servers/sql-shop", "name": "sql-shop", "location": "westeurope", "properties": {} }],
 *   "sqlFirewallRules": { "/subscriptions/…/servers/sql-shop": [{ "name": "office", "properties": { "startIpAddress": "203.0.113.0", "endIpAddress": "203.0.113.255" } }] },
 *   "sqlDatabases": [{ "id": "/subscriptions/…/servers/sql-shop/databases/shop", "name": "shop", "properties": { "currentServiceObjectiveName": "S0" } }] }
 */
export interface SqlSnapshot {
  sqlServers?: ArmSqlServer[];
  sqlFirewallRules?: Record<string, Partial<ArmSqlFirewallRule>[]>;
  sqlDatabases?: ArmDatabase[];
}

/** Seeds the SQL store; returns the problems found (an empty list when the SQL part is fine). */
export function loadSqlSnapshot(snapshot: SqlSnapshot, store: SqlStore, clock: EmulatorClock): string[] {
  const problems: string[] = [];
  const now = clock.now();
  (snapshot.sqlServers ?? []).forEach((server, i) => {
    if (
      !isRecord(server) ||
      typeof server.id !== 'string' ||
      !/^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.sql\/servers\/[^/]+$/i.test(server.id)
    ) {
      problems.push(`sqlServers[${i}]: needs the id of a logical server (…/providers/Microsoft.Sql/servers/{name})`);
      return;
    }
    const name = typeof server.name === 'string' ? server.name : server.id.split('/').pop()!;
    const record = store.putServer(completeLogicalServer({ ...server, name }));
    const master = store.putDatabase(record, masterDatabase(record.server, now));
    master.onlineAt = clock.mark();
  });
  for (const [id, rules] of Object.entries(snapshot.sqlFirewallRules ?? {})) {
    const server = store.getServer(id);
    if (!server) {
      problems.push(`sqlFirewallRules["${id}"]: no such logical server in "sqlServers"`);
      continue;
    }
    seedFirewallRules(
      `sqlFirewallRules["${id}"]`,
      { id: server.server.id, type: SQL_SERVER_TYPE },
      rules,
      server.rules,
      problems,
    );
  }
  (snapshot.sqlDatabases ?? []).forEach((database, i) => {
    const serverId = typeof database?.id === 'string' ? database.id.replace(/\/databases\/[^/]+$/i, '') : '';
    const server = serverId && serverId !== database.id ? store.getServer(serverId) : undefined;
    if (!isRecord(database) || !server) {
      problems.push(`sqlDatabases[${i}]: needs the id of a database of a logical server in "sqlServers"`);
      return;
    }
    const name = database.id.split('/').pop()!;
    const created = new Date(Date.parse(String(database.properties?.creationDate ?? '')) || now.getTime());
    const record = store.putDatabase(
      server,
      completeDatabase(
        { ...database, name, properties: { ...(database.properties ?? {}), creationDate: created.toISOString() } },
        server.server,
        now,
      ),
    );
    // A seeded database has been Online since its creation: its first backup follows on the emulator clock.
    if (record.database.properties.status !== 'Restoring')
      record.onlineAt = { clockMs: created.getTime(), realMs: performance.now() };
  });
  return problems;
}

/** The SQL state in the snapshot format. */
export function exportSqlSnapshot(store: SqlStore): Required<SqlSnapshot> {
  const servers = store.allServers();
  return {
    sqlServers: servers.map((s) => s.server),
    sqlFirewallRules: Object.fromEntries(
      servers.filter((s) => s.rules.size > 0).map((s) => [s.server.id, [...s.rules.values()]]),
    ),
    sqlDatabases: servers.flatMap((s) =>
      [...s.databases.values()].filter((d) => d.database.kind !== 'v12.0,system').map((d) => d.database),
    ),
  };
}
