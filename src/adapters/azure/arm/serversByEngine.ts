import type { Engine } from '../../../domain/engines.js';
import { parseServerId } from '../../../domain/ids.js';
import type { FirewallRule, ManagementLock, Server } from '../../../domain/model.js';
import type { DeleteOutcome, NameAvailability, RestoreRequest, ScopedLock, ServersPort } from '../../../ports/servers.js';
import type { ArmSqlDatabases } from './sqlDatabases.js';

/**
 * The servers port over every engine: SQL databases (a database under a logical server) through ArmSqlDatabases, the
 * flexible servers through the flexible-server port; tags (the Tags API at any scope) and the subscription's locks are
 * shared. Ids in any casing; `list` is one list of every engine.
 * @example const servers = new ServersByEngine(new ArmServers(arm), new ArmSqlDatabases(arm));
 */
export class ServersByEngine implements ServersPort {
  constructor(
    private readonly flexible: ServersPort,
    private readonly sql: ArmSqlDatabases,
  ) {}

  private isSql(id: string): boolean {
    return parseServerId(id)?.engine === 'sql-database';
  }

  async list(subscriptionId: string): Promise<Server[]> {
    const [flexible, databases] = await Promise.all([this.flexible.list(subscriptionId), this.sql.list(subscriptionId)]);
    return [...flexible, ...databases];
  }

  get(id: string, options?: { withFirewallRules?: boolean; withLocks?: boolean }): Promise<Server | undefined> {
    return this.isSql(id) ? this.sql.get(id, options) : this.flexible.get(id, options);
  }

  listFirewallRules(id: string): Promise<FirewallRule[]> {
    return this.isSql(id) ? this.sql.listFirewallRules(id) : this.flexible.listFirewallRules(id);
  }

  listLocks(id: string): Promise<ManagementLock[]> {
    return this.isSql(id) ? this.sql.listLocks(id) : this.flexible.listLocks(id);
  }

  listSubscriptionLocks(subscriptionId: string): Promise<ScopedLock[]> {
    return this.flexible.listSubscriptionLocks(subscriptionId);
  }

  mergeTags(id: string, tags: Readonly<Record<string, string>>): Promise<void> {
    return this.flexible.mergeTags(id, tags);
  }

  deleteTags(id: string, tags: Readonly<Record<string, string>>): Promise<void> {
    return this.flexible.deleteTags(id, tags);
  }

  deleteFirewallRule(id: string, ruleName: string): Promise<'deleted' | 'already-gone'> {
    return this.isSql(id) ? this.sql.deleteFirewallRule(id, ruleName) : this.flexible.deleteFirewallRule(id, ruleName);
  }

  upsertFirewallRule(id: string, rule: FirewallRule): Promise<void> {
    return this.isSql(id) ? this.sql.upsertFirewallRule(id, rule) : this.flexible.upsertFirewallRule(id, rule);
  }

  disablePublicAccess(id: string): Promise<void> {
    return this.isSql(id) ? this.sql.disablePublicAccess(id) : this.flexible.disablePublicAccess(id);
  }

  stop(id: string): Promise<void> {
    return this.isSql(id) ? this.sql.stop(id) : this.flexible.stop(id);
  }

  delete(id: string): Promise<DeleteOutcome> {
    return this.isSql(id) ? this.sql.delete(id) : this.flexible.delete(id);
  }

  /** A SQL database's name is free when its logical server has none of that name: read the target id instead. */
  checkName(subscriptionId: string, location: string, name: string, engine?: Engine): Promise<NameAvailability> {
    if (engine === 'sql-database') return Promise.reject(new Error('A SQL database name is checked on its logical server: read the target database instead'));
    // The flexible-server port takes the engine as a fourth argument where it serves several engines.
    const check: (s: string, l: string, n: string, e?: Engine) => Promise<NameAvailability> = this.flexible.checkName.bind(this.flexible);
    return check(subscriptionId, location, name, engine);
  }

  restore(request: RestoreRequest, options?: { wait?: boolean; onProgress?: (state: string) => void }): Promise<Server> {
    return this.isSql(request.sourceServerId) ? this.sql.restore(request, options) : this.flexible.restore(request, options);
  }
}
