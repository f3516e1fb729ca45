import type { TimeMark } from './clock.js';
import type { ArmFirewallRule, ArmLock, ArmServer, Tags } from './types.js';
import { parseResourceId, type EmulatedEngine } from './ids.js';

export interface ServerRecord {
  server: ArmServer;
  readonly key: string;
  readonly subscriptionId: string;
  readonly groupKey: string;
  readonly engine: EmulatedEngine;
  /**
   * True while a restore creates it on a provider whose target is not yet a resource (MySQL): every read answers 404,
   * the name is taken.
   */
  hidden?: boolean;
  /** Firewall rules by lower-case name. */
  readonly rules: Map<string, ArmFirewallRule>;
  /** When the server was first Ready: its first backup (and `backup.earliestRestoreDate`) comes some Azure time later. */
  readyAt?: TimeMark;
}

interface LockRecord {
  /** Lower-case scope the lock sits on. */
  readonly scope: string;
  readonly lock: ArmLock;
}

const groupKeyOf = (subscriptionId: string, resourceGroup: string): string =>
  `${subscriptionId}/${resourceGroup}`.toLowerCase();
/** Listings are per resource type: a key of an engine's servers in a subscription or resource group. */
const engineKeyOf = (engine: EmulatedEngine, key: string): string => `${engine}|${key}`;

/** True when `target` is `scope` or lies under it (ids compared lower-case). */
export const isWithin = (target: string, scope: string): boolean => target === scope || target.startsWith(`${scope}/`);

/**
 * The ARM state: servers indexed by id, subscription and resource group (so listing is O(page)),
 * their firewall rules, locks at any scope, and tags of scopes that are not servers.
 */
export class ArmStore {
  private readonly servers = new Map<string, ServerRecord>();
  /** Keys of the servers of each lower-case name, in any subscription: names are global in Azure. */
  private readonly byName = new Map<string, Set<string>>();
  private readonly bySubscription = new Map<string, Map<string, ServerRecord>>();
  private readonly byGroup = new Map<string, Map<string, ServerRecord>>();
  /** Ordered listings, rebuilt only after a server is added or removed. */
  private readonly listings = new Map<string, ServerRecord[]>();
  private readonly locks = new Map<string, LockRecord>();
  private readonly scopeTags = new Map<string, Tags>();
  readonly subscriptions = new Set<string>();

  get serverCount(): number {
    return this.servers.size;
  }

  get(serverIdOrKey: string): ServerRecord | undefined {
    return this.servers.get(serverIdOrKey.toLowerCase());
  }

  /** Adds or replaces a server; firewall rules are kept on replace. */
  put(server: ArmServer): ServerRecord {
    const ref = parseResourceId(server.id);
    if (!ref) throw new Error(`Not a flexible server id: ${server.id}`);
    const existing = this.servers.get(ref.key);
    if (existing) {
      existing.server = server;
      return existing;
    }
    const record: ServerRecord = {
      server,
      key: ref.key,
      subscriptionId: ref.subscriptionId,
      groupKey: groupKeyOf(ref.subscriptionId, ref.resourceGroup),
      engine: ref.engine,
      rules: new Map(),
    };
    this.servers.set(ref.key, record);
    const named = this.byName.get(ref.name.toLowerCase()) ?? new Set<string>();
    this.byName.set(ref.name.toLowerCase(), named.add(ref.key));
    this.index(this.bySubscription, record.subscriptionId, record);
    this.index(this.byGroup, record.groupKey, record);
    this.index(this.bySubscription, engineKeyOf(record.engine, record.subscriptionId), record);
    this.index(this.byGroup, engineKeyOf(record.engine, record.groupKey), record);
    this.subscriptions.add(record.subscriptionId);
    return record;
  }

  remove(serverIdOrKey: string): boolean {
    const record = this.servers.get(serverIdOrKey.toLowerCase());
    if (!record) return false;
    this.servers.delete(record.key);
    this.byName.get(record.server.name.toLowerCase())?.delete(record.key);
    this.bySubscription.get(record.subscriptionId)?.delete(record.key);
    this.byGroup.get(record.groupKey)?.delete(record.key);
    this.bySubscription.get(engineKeyOf(record.engine, record.subscriptionId))?.delete(record.key);
    this.byGroup.get(engineKeyOf(record.engine, record.groupKey))?.delete(record.key);
    for (const key of [record.subscriptionId, record.groupKey]) {
      this.listings.delete(key);
      this.listings.delete(engineKeyOf(record.engine, key));
    }
    return true;
  }

  /** Servers of a subscription, of one engine when it is named. */
  listBySubscription(subscriptionId: string, engine?: EmulatedEngine): readonly ServerRecord[] {
    const key = subscriptionId.toLowerCase();
    return this.listing(this.bySubscription, engine ? engineKeyOf(engine, key) : key);
  }

  /** Servers of a resource group, of one engine when it is named. */
  listByGroup(subscriptionId: string, resourceGroup: string, engine?: EmulatedEngine): readonly ServerRecord[] {
    const key = groupKeyOf(subscriptionId, resourceGroup);
    return this.listing(this.byGroup, engine ? engineKeyOf(engine, key) : key);
  }

  /** Servers of this name in any subscription and resource group (of one engine when named: each engine has its DNS zone). */
  serversNamed(name: string, engine?: EmulatedEngine): ServerRecord[] {
    return [...(this.byName.get(name.toLowerCase()) ?? [])]
      .flatMap((key) => this.servers.get(key) ?? [])
      .filter((r) => !engine || r.engine === engine);
  }

  allServers(): ServerRecord[] {
    return [...this.servers.values()];
  }

  // ---- locks

  putLock(scope: string, lock: ArmLock): void {
    this.locks.set(lock.id.toLowerCase(), { scope: scope.toLowerCase(), lock });
  }

  getLock(lockId: string): ArmLock | undefined {
    return this.locks.get(lockId.toLowerCase())?.lock;
  }

  removeLock(lockId: string): boolean {
    return this.locks.delete(lockId.toLowerCase());
  }

  /** Locks on `target` or on any scope above it (they all apply to it). */
  locksApplyingTo(target: string): ArmLock[] {
    const key = target.toLowerCase();
    return [...this.locks.values()].filter((l) => isWithin(key, l.scope)).map((l) => l.lock);
  }

  /** Locks that apply to `scope` plus those on anything below it, as the list operations return them. */
  locksAround(scope: string, atScopeOnly: boolean): ArmLock[] {
    const key = scope.toLowerCase();
    return [...this.locks.values()]
      .filter((l) => isWithin(key, l.scope) || (!atScopeOnly && isWithin(l.scope, key)))
      .map((l) => l.lock);
  }

  /** Locks with the scope each sits on, for snapshots. */
  allLocks(): { scope: string; lock: ArmLock }[] {
    return [...this.locks.values()].map((l) => ({ scope: l.scope, lock: l.lock }));
  }

  // ---- tags of resource groups and subscriptions

  scopeTagsOf(scope: string): Tags {
    return { ...(this.scopeTags.get(scope.toLowerCase()) ?? {}) };
  }

  setScopeTags(scope: string, tags: Tags): void {
    this.scopeTags.set(scope.toLowerCase(), { ...tags });
  }

  clear(): void {
    this.servers.clear();
    this.byName.clear();
    this.bySubscription.clear();
    this.byGroup.clear();
    this.listings.clear();
    this.locks.clear();
    this.scopeTags.clear();
    this.subscriptions.clear();
  }

  private index(map: Map<string, Map<string, ServerRecord>>, key: string, record: ServerRecord): void {
    let bucket = map.get(key);
    if (!bucket) map.set(key, (bucket = new Map<string, ServerRecord>()));
    bucket.set(record.key, record);
    this.listings.delete(key);
  }

  private listing(map: Map<string, Map<string, ServerRecord>>, key: string): readonly ServerRecord[] {
    let list = this.listings.get(key);
    if (!list) {
      list = [...(map.get(key)?.values() ?? [])];
      this.listings.set(key, list);
    }
    return list;
  }
}
