import type { Engine } from '../domain/engines.js';
import type { ScopedLock } from '../domain/locks.js';
import type { FirewallRule, ManagementLock, Server } from '../domain/model.js';

export type { ScopedLock };

/**
 * Outcome of a delete that ARM may refuse because of a lock. `requested`: ARM accepted it (202) and is deleting; only
 * a delete that does not wait (`{ wait: false }`) answers it, and the server is gone when ARM's operation ends.
 */
export type DeleteOutcome = 'deleted' | 'already-gone' | 'locked' | 'requested';

export interface RestoreRequest {
  readonly sourceServerId: string;
  readonly targetResourceGroup: string;
  readonly targetName: string;
  readonly location: string;
  readonly pointInTimeUtc: string;
  /** Tags set in the create request itself, so the clone is born governed. */
  readonly tags: Readonly<Record<string, string>>;
  /** The parent the new resource goes under (a SQL database's logical server); default the source's. */
  readonly targetParent?: string;
}

/**
 * Governed servers in ARM (PostgreSQL and MySQL flexible servers, SQL databases; the engine is in the id), with the few
 * writes the warden makes. Ids in any casing. A SQL database is read with its logical server's public access and
 * firewall rules (its exposure); the network writes and stop are refused for it (the logical server is shared with
 * production and never changed).
 * @example
 *   for (const server of await servers.list(subscriptionId)) ...;
 *   const live = await servers.get(id, { withFirewallRules: true, withLocks: true });
 *   if (live) await servers.mergeTags(live.id, { ExpiresOn: '2026-12-01' });
 */
export interface ServersPort {
  /**
   * Every server of a subscription (of the engines named, default every engine), all pages. Throws when any page
   * fails: a partial list is never returned.
   */
  list(subscriptionId: string, options?: { readonly engines?: readonly Engine[] }): Promise<Server[]>;
  /** The live server, or undefined when ARM answers 404. */
  get(id: string, options?: { withFirewallRules?: boolean; withLocks?: boolean }): Promise<Server | undefined>;
  listFirewallRules(id: string): Promise<FirewallRule[]>;
  /** Locks that apply to the server, including those inherited from its resource group and subscription. */
  listLocks(id: string): Promise<ManagementLock[]>;
  /**
   * Every lock of a subscription (on it, its resource groups and their resources), all pages: one list instead of a
   * read per server. `locksOn(server.key, locks)` picks those that apply to one server. Throws when any page fails.
   * @example const locks = await servers.listSubscriptionLocks(subscriptionId); locksOn(clone.key, locks);
   */
  listSubscriptionLocks(subscriptionId: string): Promise<ScopedLock[]>;
  /** Tags API Merge: the Tag Contributor role suffices. */
  mergeTags(id: string, tags: Readonly<Record<string, string>>): Promise<void>;
  /**
   * Tags API Delete (a Merge cannot remove a tag): removes each named tag whose current value equals the one given
   * (pass the key and value as read, so a tag changed meanwhile stays). `pitr-warden release` uses it.
   * @example await servers.deleteTags(live.id, { LegalHold: live.tags.LegalHold });
   */
  deleteTags(id: string, tags: Readonly<Record<string, string>>): Promise<void>;
  /** Succeeds when the rule is already gone. */
  deleteFirewallRule(id: string, ruleName: string): Promise<'deleted' | 'already-gone'>;
  /**
   * Creates or replaces one firewall rule; resolves when it applies. Only a restore drill calls it, on its own clone
   * (PostgreSQL flexible servers), for the app's outbound addresses; the warden adds no other rule.
   * @example await servers.upsertFirewallRule(clone.id, { name: 'pitr-warden-drill-1', startIpAddress: '20.50.1.8', endIpAddress: '20.50.1.9' });
   */
  upsertFirewallRule(id: string, rule: FirewallRule): Promise<void>;
  disablePublicAccess(id: string): Promise<void>;
  stop(id: string): Promise<void>;
  /**
   * Deletes the server. By default it resolves when ARM's operation ended (a flexible server takes about a minute).
   * `wait: false` sends the DELETE and resolves on ARM's answer, without polling: `requested` when ARM accepted it.
   * @example await servers.delete(clone.id, { wait: false }) // 'requested'
   */
  delete(id: string, options?: { wait?: boolean }): Promise<DeleteOutcome>;
  /**
   * Azure's name availability check for a new flexible server of an engine (PostgreSQL when left out): the name is a
   * DNS name of the engine's zone, unique across all of Azure.
   * @example await servers.checkName(subscriptionId, 'eastus', 'pg-orders-fix') // { available: false, reason: 'AlreadyExists', message: '...' }
   */
  checkName(subscriptionId: string, location: string, name: string, engine?: Engine): Promise<NameAvailability>;
  /** Point-in-time restore into a new server; resolves when ARM accepted it, or when it is Ready with `wait`. */
  restore(request: RestoreRequest, options?: { wait?: boolean; onProgress?: (state: string) => void }): Promise<Server>;
}

/** What Azure's checkNameAvailability answers. */
export interface NameAvailability {
  readonly available: boolean;
  /** `AlreadyExists` or `Invalid`. */
  readonly reason?: string;
  readonly message?: string;
}

/**
 * Servers of many subscriptions in one go (Azure Resource Graph), one subscription at a time as the pages arrive, so
 * memory holds one subscription and one page. Servers may lack `createdAt` (no systemData in Resource Graph).
 * @example for await (const { subscriptionId, servers } of listing.listBySubscription(ids)) reconcileOne(subscriptionId, servers);
 */
export interface ServerListing {
  /** Subscriptions without servers are not yielded. Throws when a page fails (what was yielded before is complete). */
  listBySubscription(subscriptionIds: readonly string[]): AsyncIterable<{ subscriptionId: string; servers: Server[] }>;
}

/** Raw Activity Log entries (the REST list shape) of administrative operations on the governed servers of every engine. */
export interface ActivityFeedPort {
  /** Entries in the window, of one resource when `resourceUri` is given (ARM's fixed filter forms allow one such clause). */
  list(
    subscriptionId: string,
    window: { from: Date; to: Date },
    options?: { resourceUri?: string },
  ): Promise<unknown[]>;
}
