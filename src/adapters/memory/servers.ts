import { DEFAULT_ENGINE, type Engine } from '../../domain/engines.js';
import { parseServerId, resourceIdOf, serverKey } from '../../domain/ids.js';
import type { FirewallRule, ManagementLock, Server } from '../../domain/model.js';
import type { DeleteOutcome, NameAvailability, RestoreRequest, ScopedLock, ServersPort } from '../../ports/servers.js';

/** One call the twin answered (or failed), in order. */
export interface MemoryServerCall {
  readonly op: keyof ServersPort;
  /** Server key (or subscription id for `list` and `listSubscriptionLocks`). */
  readonly target: string;
}

/** Decides, per call, whether it fails: return an Error to throw it instead of answering. */
export type MemoryServersFault = (call: MemoryServerCall) => Error | undefined;

/**
 * The ServersPort in memory with ARM's semantics: `list` carries no firewall rules or locks, `get` reads them on
 * request, any lock (CanNotDelete or ReadOnly) makes `delete` answer 'locked' (ARM's 409 ScopeLocked), a missing
 * server is 'already-gone'. Every call is recorded in `calls`; `fault` makes chosen calls throw.
 * @example
 *   const servers = new MemoryServers([clone, prod], { locks: { [clone.key]: [{ name: 'keep', level: 'CanNotDelete' }] } });
 *   await servers.delete(clone.id); // 'locked'
 *   servers.calls.filter((c) => c.op === 'delete').length; // 1
 */
export class MemoryServers implements ServersPort {
  readonly calls: MemoryServerCall[] = [];
  /** Set to make chosen calls throw (a transient ARM failure). */
  fault: MemoryServersFault | undefined;
  /** Runs before a call is answered: tests change the estate here (a lock or a tag appearing mid-run). */
  beforeCall: ((call: MemoryServerCall) => void) | undefined;
  private readonly servers = new Map<string, Server>();
  private readonly locks = new Map<string, ManagementLock[]>();
  private readonly rules = new Map<string, FirewallRule[]>();
  /** Servers ARM accepted a delete for and is dropping; gone at their next read. */
  private readonly dropping = new Set<string>();
  private readonly acceptDeletes: boolean;

  /**
   * `acceptDeletes`: a delete that does not wait answers `requested` as ARM's 202 does, the server `Dropping` until
   * its next read finds it gone (ARM's minute passed); without it every delete is done at once.
   */
  constructor(
    servers: readonly Server[] = [],
    options: {
      locks?: Record<string, readonly ManagementLock[]>;
      firewallRules?: Record<string, readonly FirewallRule[]>;
      acceptDeletes?: boolean;
    } = {},
  ) {
    this.acceptDeletes = options.acceptDeletes ?? false;
    for (const server of servers) this.put(server);
    for (const [id, locks] of Object.entries(options.locks ?? {})) this.locks.set(serverKey(id), [...locks]);
    for (const [id, rules] of Object.entries(options.firewallRules ?? {})) this.rules.set(serverKey(id), [...rules]);
  }

  /** Adds or replaces a server (without its rules and locks, as ARM returns it). */
  put(server: Server): void {
    const { firewallRules, locks, ...bare } = server;
    this.servers.set(server.key, bare);
    if (firewallRules) this.rules.set(server.key, [...firewallRules]);
    if (locks) this.locks.set(server.key, [...locks]);
  }

  /** The server as stored, or undefined; never recorded as a call. */
  peek(id: string): Server | undefined {
    return this.servers.get(serverKey(id));
  }

  setLocks(id: string, locks: readonly ManagementLock[]): void {
    this.locks.set(serverKey(id), [...locks]);
  }

  list(subscriptionId: string, options: { readonly engines?: readonly Engine[] } = {}): Promise<Server[]> {
    return this.answer('list', subscriptionId.toLowerCase(), () =>
      [...this.servers.values()]
        .filter((s) => s.subscriptionId.toLowerCase() === subscriptionId.toLowerCase())
        .filter((s) => !options.engines || options.engines.includes(s.engine))
        .sort((a, b) => (a.key < b.key ? -1 : 1)),
    );
  }

  get(id: string, options: { withFirewallRules?: boolean; withLocks?: boolean } = {}): Promise<Server | undefined> {
    return this.answer('get', serverKey(id), () => {
      if (this.dropping.delete(serverKey(id))) this.remove(serverKey(id));
      const server = this.servers.get(serverKey(id));
      if (!server) return undefined;
      return {
        ...server,
        ...(options.withFirewallRules ? { firewallRules: [...(this.rules.get(server.key) ?? [])] } : {}),
        ...(options.withLocks ? { locks: [...(this.locks.get(server.key) ?? [])] } : {}),
      };
    });
  }

  listFirewallRules(id: string): Promise<FirewallRule[]> {
    return this.answer('listFirewallRules', serverKey(id), () => [...(this.rules.get(serverKey(id)) ?? [])]);
  }

  listLocks(id: string): Promise<ManagementLock[]> {
    return this.answer('listLocks', serverKey(id), () => [...(this.locks.get(serverKey(id)) ?? [])]);
  }

  listSubscriptionLocks(subscriptionId: string): Promise<ScopedLock[]> {
    const prefix = `/subscriptions/${subscriptionId.toLowerCase()}/`;
    return this.answer('listSubscriptionLocks', subscriptionId.toLowerCase(), () =>
      [...this.locks.entries()]
        .filter(([key]) => key.startsWith(prefix))
        .flatMap(([key, locks]) => locks.map((l) => ({ ...l, scope: key }))),
    );
  }

  mergeTags(id: string, tags: Readonly<Record<string, string>>): Promise<void> {
    return this.answer('mergeTags', serverKey(id), () => {
      const server = this.require(id, 'merge tags on');
      this.servers.set(server.key, { ...server, tags: { ...server.tags, ...tags } });
    });
  }

  deleteTags(id: string, tags: Readonly<Record<string, string>>): Promise<void> {
    return this.answer('deleteTags', serverKey(id), () => {
      const server = this.require(id, 'delete tags on');
      // As the Tags API Delete: a tag goes only when its value is the one named.
      const kept = Object.fromEntries(Object.entries(server.tags).filter(([k, v]) => tags[k] !== v));
      this.servers.set(server.key, { ...server, tags: kept });
    });
  }

  deleteFirewallRule(id: string, ruleName: string): Promise<'deleted' | 'already-gone'> {
    return this.answer('deleteFirewallRule', serverKey(id), () => {
      const rules = this.rules.get(serverKey(id)) ?? [];
      const kept = rules.filter((r) => r.name.toLowerCase() !== ruleName.toLowerCase());
      this.rules.set(serverKey(id), kept);
      return kept.length < rules.length ? 'deleted' : 'already-gone';
    });
  }

  upsertFirewallRule(id: string, rule: FirewallRule): Promise<void> {
    return this.answer('upsertFirewallRule', serverKey(id), () => {
      this.require(id, `write firewall rule ${rule.name} on`);
      const rules = (this.rules.get(serverKey(id)) ?? []).filter(
        (r) => r.name.toLowerCase() !== rule.name.toLowerCase(),
      );
      this.rules.set(serverKey(id), [...rules, { ...rule }]);
    });
  }

  disablePublicAccess(id: string): Promise<void> {
    return this.answer('disablePublicAccess', serverKey(id), () => {
      const server = this.require(id, 'disable public access of');
      this.servers.set(server.key, { ...server, publicNetworkAccess: 'Disabled' });
    });
  }

  stop(id: string): Promise<void> {
    return this.answer('stop', serverKey(id), () => {
      const server = this.require(id, 'stop');
      this.servers.set(server.key, { ...server, state: 'Stopped' });
    });
  }

  delete(id: string, options: { wait?: boolean } = {}): Promise<DeleteOutcome> {
    return this.answer('delete', serverKey(id), (): DeleteOutcome => {
      const key = serverKey(id);
      const server = this.servers.get(key);
      if (!server) return 'already-gone';
      // ARM refuses a delete under any lock, ReadOnly included.
      if ((this.locks.get(key) ?? []).length > 0) return 'locked';
      if (options.wait === false && this.acceptDeletes) {
        this.servers.set(key, { ...server, state: 'Dropping' });
        this.dropping.add(key);
        return 'requested';
      }
      this.remove(key);
      return 'deleted';
    });
  }

  private remove(key: string): void {
    this.servers.delete(key);
    this.rules.delete(key);
    this.locks.delete(key);
  }

  checkName(
    _subscriptionId: string,
    _location: string,
    name: string,
    engine: Engine = DEFAULT_ENGINE,
  ): Promise<NameAvailability> {
    return this.answer('checkName', name.toLowerCase(), () =>
      [...this.servers.values()].some((s) => s.engine === engine && s.name.toLowerCase() === name.toLowerCase())
        ? { available: false, reason: 'AlreadyExists', message: 'Specified server name is already used.' }
        : { available: true },
    );
  }

  restore(request: RestoreRequest): Promise<Server> {
    const source = parseServerId(request.sourceServerId);
    return this.answer('restore', serverKey(request.sourceServerId), () => {
      const from = this.require(request.sourceServerId, 'restore');
      if (!source) throw new Error(`Could not restore ${request.sourceServerId}: not a flexible server id`);
      const id = resourceIdOf(source.engine, source.subscriptionId, request.targetResourceGroup, [request.targetName]);
      const clone: Server = {
        ...from,
        id,
        key: id.toLowerCase(),
        resourceGroup: request.targetResourceGroup,
        name: request.targetName,
        location: request.location,
        tags: { ...from.tags, ...request.tags },
        state: 'Ready',
      };
      this.put(clone);
      this.rules.set(clone.key, [...(this.rules.get(from.key) ?? [])]);
      return clone;
    });
  }

  private require(id: string, what: string): Server {
    const server = this.servers.get(serverKey(id));
    if (!server) throw Object.assign(new Error(`Could not ${what} ${id}: 404 ResourceNotFound`), { statusCode: 404 });
    return server;
  }

  private answer<T>(op: keyof ServersPort, target: string, work: () => T): Promise<T> {
    const call = { op, target };
    this.calls.push(call);
    this.beforeCall?.(call);
    const failure = this.fault?.(call);
    if (failure) return Promise.reject(failure);
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
