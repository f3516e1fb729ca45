import type { TokenCredential } from '@azure/core-auth';
import type { CommonClientOptions } from '@azure/core-client';
import { ManagementLockClient } from '@azure/arm-locks';
import { MonitorClient } from '@azure/arm-monitor';
import { PostgreSQLManagementFlexibleServerClient, type Server as ArmServer } from '@azure/arm-postgresql-flexible';
import { ResourceManagementClient } from '@azure/arm-resources';
import { parseServerId, type ServerRef } from '../../../domain/ids.js';
import { lockScopeOf, type ScopedLock } from '../../../domain/locks.js';
import { serverFromArm } from '../../../domain/snapshot.js';
import type { FirewallRule, LockLevel, ManagementLock, Server } from '../../../domain/model.js';
import type { ActivityFeedPort, DeleteOutcome, NameAvailability, RestoreRequest, ServersPort } from '../../../ports/servers.js';
import { AzureCallError, statusOf } from '../errors.js';

export interface ArmOptions {
  readonly credential: TokenCredential;
  /** ARM endpoint, the CA to trust and retry settings: what every ARM SDK client of the warden is given. */
  readonly clientOptions?: CommonClientOptions & { endpoint?: string };
  /** Poll interval of long-running operations. */
  readonly pollIntervalInMs?: number;
}

/**
 * The ServersPort on the Azure SDKs: `@azure/arm-postgresql-flexible` for servers and firewall rules,
 * `@azure/arm-resources` for the Tags API, `@azure/arm-locks` for locks.
 */
export class ArmServers implements ServersPort {
  private readonly clients = new Map<string, { pg: PostgreSQLManagementFlexibleServerClient; resources: ResourceManagementClient; locks: ManagementLockClient }>();
  private readonly poll: { updateIntervalInMs?: number };

  constructor(private readonly options: ArmOptions) {
    this.poll = options.pollIntervalInMs === undefined ? {} : { updateIntervalInMs: options.pollIntervalInMs };
  }

  private client(subscriptionId: string) {
    let c = this.clients.get(subscriptionId);
    if (!c) {
      const { credential, clientOptions = {} } = this.options;
      c = {
        pg: new PostgreSQLManagementFlexibleServerClient(credential, subscriptionId, clientOptions),
        resources: new ResourceManagementClient(credential, subscriptionId, clientOptions),
        locks: new ManagementLockClient(credential, subscriptionId, clientOptions),
      };
      this.clients.set(subscriptionId, c);
    }
    return c;
  }

  async list(subscriptionId: string): Promise<Server[]> {
    const servers: Server[] = [];
    try {
      for await (const page of this.client(subscriptionId).pg.servers.listBySubscription().byPage()) {
        for (const s of page) {
          const server = serverFromSdk(s);
          if (server) servers.push(server);
        }
      }
    } catch (error) {
      throw new AzureCallError(`list flexible servers of subscription ${subscriptionId}`, error);
    }
    return servers;
  }

  async get(id: string, options: { withFirewallRules?: boolean; withLocks?: boolean } = {}): Promise<Server | undefined> {
    const ref = ref_(id);
    let server: Server | undefined;
    try {
      server = serverFromSdk(await this.client(ref.subscriptionId).pg.servers.get(ref.resourceGroup, ref.name));
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw new AzureCallError(`get server ${ref.id}`, error);
    }
    if (!server) return undefined;
    const [firewallRules, locks] = await Promise.all([
      options.withFirewallRules ? this.listFirewallRules(id) : undefined,
      options.withLocks ? this.listLocks(id) : undefined,
    ]);
    return { ...server, ...(firewallRules ? { firewallRules } : {}), ...(locks ? { locks } : {}) };
  }

  async listFirewallRules(id: string): Promise<FirewallRule[]> {
    const ref = ref_(id);
    const rules: FirewallRule[] = [];
    try {
      for await (const r of this.client(ref.subscriptionId).pg.firewallRules.listByServer(ref.resourceGroup, ref.name)) {
        rules.push({ name: r.name ?? '', startIpAddress: r.startIpAddress, endIpAddress: r.endIpAddress });
      }
    } catch (error) {
      if (statusOf(error) === 404) return [];
      throw new AzureCallError(`list firewall rules of ${ref.id}`, error);
    }
    return rules;
  }

  async listLocks(id: string): Promise<ManagementLock[]> {
    const ref = ref_(id);
    const locks: ManagementLock[] = [];
    try {
      const iterator = this.client(ref.subscriptionId).locks.managementLocks.listAtResourceLevel(
        ref.resourceGroup,
        'Microsoft.DBforPostgreSQL',
        '',
        'flexibleServers',
        ref.name,
      );
      for await (const l of iterator) {
        locks.push({ name: l.name ?? '', level: l.level as LockLevel, ...(l.notes ? { notes: l.notes } : {}) });
      }
    } catch (error) {
      if (statusOf(error) === 404) return [];
      throw new AzureCallError(`list locks of ${ref.id}`, error);
    }
    return locks;
  }

  async listSubscriptionLocks(subscriptionId: string): Promise<ScopedLock[]> {
    const locks: ScopedLock[] = [];
    try {
      for await (const page of this.client(subscriptionId).locks.managementLocks.listAtSubscriptionLevel().byPage()) {
        for (const l of page) {
          const scope = l.id ? lockScopeOf(l.id) : undefined;
          if (scope) locks.push({ scope, name: l.name ?? '', level: l.level as LockLevel, ...(l.notes ? { notes: l.notes } : {}) });
        }
      }
    } catch (error) {
      throw new AzureCallError(`list the locks of subscription ${subscriptionId}`, error);
    }
    return locks;
  }

  async mergeTags(id: string, tags: Readonly<Record<string, string>>): Promise<void> {
    const ref = ref_(id);
    try {
      // The Tags API takes the scope without a leading slash.
      await this.client(ref.subscriptionId).resources.tagsOperations.beginUpdateAtScopeAndWait(
        ref.id.replace(/^\//, ''),
        { operation: 'Merge', properties: { tags: { ...tags } } },
        this.poll,
      );
    } catch (error) {
      throw new AzureCallError(`merge tags ${Object.keys(tags).join(', ')} on ${ref.id}`, error, { action: 'Microsoft.Resources/tags/write' });
    }
  }

  async deleteTags(id: string, tags: Readonly<Record<string, string>>): Promise<void> {
    const ref = ref_(id);
    try {
      // Delete with name/value pairs removes a tag only while it still has the value that was read.
      await this.client(ref.subscriptionId).resources.tagsOperations.beginUpdateAtScopeAndWait(
        ref.id.replace(/^\//, ''),
        { operation: 'Delete', properties: { tags: { ...tags } } },
        this.poll,
      );
    } catch (error) {
      throw new AzureCallError(`delete tags ${Object.keys(tags).join(', ')} on ${ref.id}`, error, { action: 'Microsoft.Resources/tags/write' });
    }
  }

  async deleteFirewallRule(id: string, ruleName: string): Promise<'deleted' | 'already-gone'> {
    const ref = ref_(id);
    try {
      await this.client(ref.subscriptionId).pg.firewallRules.beginDeleteAndWait(ref.resourceGroup, ref.name, ruleName, this.poll);
      return 'deleted';
    } catch (error) {
      if (statusOf(error) === 404) return 'already-gone';
      throw new AzureCallError(`delete firewall rule ${ruleName} of ${ref.id}`, error);
    }
  }

  async disablePublicAccess(id: string): Promise<void> {
    const ref = ref_(id);
    try {
      await this.client(ref.subscriptionId).pg.servers.beginUpdateAndWait(
        ref.resourceGroup,
        ref.name,
        { network: { publicNetworkAccess: 'Disabled' } },
        this.poll,
      );
    } catch (error) {
      throw new AzureCallError(`disable public network access of ${ref.id}`, error);
    }
  }

  async stop(id: string): Promise<void> {
    const ref = ref_(id);
    try {
      await this.client(ref.subscriptionId).pg.servers.beginStopAndWait(ref.resourceGroup, ref.name, this.poll);
    } catch (error) {
      throw new AzureCallError(`stop ${ref.id}`, error);
    }
  }

  async delete(id: string): Promise<DeleteOutcome> {
    const ref = ref_(id);
    try {
      await this.client(ref.subscriptionId).pg.servers.beginDeleteAndWait(ref.resourceGroup, ref.name, this.poll);
      return 'deleted';
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) return 'already-gone';
      if (status === 409 && /ScopeLocked/i.test(String((error as { code?: string }).code ?? (error as Error).message))) return 'locked';
      throw new AzureCallError(`delete ${ref.id}`, error);
    }
  }

  async checkName(subscriptionId: string, location: string, name: string): Promise<NameAvailability> {
    // ARM wants the location's short name (eastus) in the path; servers report the display name (East US).
    const region = location.replace(/\s+/g, '').toLowerCase();
    try {
      const answer = await this.client(subscriptionId).pg.nameAvailability.checkWithLocation(region, { name, type: 'Microsoft.DBforPostgreSQL/flexibleServers' });
      return { available: answer.nameAvailable === true, ...(answer.reason ? { reason: answer.reason } : {}), ...(answer.message ? { message: answer.message } : {}) };
    } catch (error) {
      throw new AzureCallError(`check whether the server name ${name} is available in ${region}`, error, { action: 'Microsoft.DBforPostgreSQL/locations/checkNameAvailability/action' });
    }
  }

  async restore(request: RestoreRequest, options: { wait?: boolean; onProgress?: (state: string) => void } = {}): Promise<Server> {
    const source = ref_(request.sourceServerId);
    const { pg } = this.client(source.subscriptionId);
    const body: ArmServer = {
      location: request.location,
      tags: { ...request.tags },
      createMode: 'PointInTimeRestore',
      sourceServerResourceId: source.id,
      pointInTimeUTC: new Date(request.pointInTimeUtc),
    };
    const target = `${request.targetResourceGroup}/${request.targetName}`;
    // The wait Azure asks for between polls (Retry-After of the 202 and of each poll), seen on every response.
    let retryAfterMs: number | undefined;
    // Accepted when ARM answers the PUT (the SDK may poll once before beginCreateOrUpdate returns).
    let accepted = false;
    const onResponse = (raw: { status: number; headers: { get(name: string): string | undefined } }) => {
      retryAfterMs = retryAfterMsOf(raw.headers.get('retry-after'));
      if (!accepted && raw.status >= 200 && raw.status < 300) {
        accepted = true;
        options.onProgress?.('Accepted');
      }
    };
    try {
      const poller = await pg.servers.beginCreateOrUpdate(request.targetResourceGroup, request.targetName, body, { ...this.poll, onResponse });
      if (!accepted) options.onProgress?.('Accepted');
      if (!options.wait) {
        const accepted = poller.getResult() ?? (await pg.servers.get(request.targetResourceGroup, request.targetName));
        return requireServer(serverFromSdk(accepted), target);
      }
      // Poll by hand so each step can report the new server's own state (Provisioning, ... Ready), waiting as long as
      // Azure's Retry-After says (the configured interval when it sends none, or 0).
      let last = 'Accepted';
      while (!poller.isDone()) {
        await poller.poll();
        if (poller.isDone()) break;
        const state = await pg.servers.get(request.targetResourceGroup, request.targetName).then((s) => s.state ?? 'Provisioning', () => 'Provisioning');
        if (state !== last) options.onProgress?.((last = state));
        await new Promise((resolve) => setTimeout(resolve, retryAfterMs ?? this.poll.updateIntervalInMs ?? 5_000));
      }
      const done = await poller.pollUntilDone();
      options.onProgress?.(done.state ?? 'Ready');
      return requireServer(serverFromSdk(done), target);
    } catch (error) {
      throw new AzureCallError(`restore ${source.id} to ${target} at ${request.pointInTimeUtc}`, error, { action: 'Microsoft.DBforPostgreSQL/flexibleServers/write' });
    }
  }
}

/** The Activity Log through `@azure/arm-monitor`, in the one filter form ARM accepts for a provider. */
export class ArmActivityFeed implements ActivityFeedPort {
  private readonly clients = new Map<string, MonitorClient>();
  constructor(private readonly options: ArmOptions) {}

  async list(subscriptionId: string, window: { from: Date; to: Date }, options: { resourceUri?: string } = {}): Promise<unknown[]> {
    let client = this.clients.get(subscriptionId);
    if (!client) {
      client = new MonitorClient(this.options.credential, subscriptionId, this.options.clientOptions ?? {});
      this.clients.set(subscriptionId, client);
    }
    const filter =
      `eventTimestamp ge '${window.from.toISOString()}' and eventTimestamp le '${window.to.toISOString()}' ` +
      (options.resourceUri ? `and resourceUri eq '${options.resourceUri}'` : `and resourceProvider eq 'Microsoft.DBforPostgreSQL'`);
    const entries: unknown[] = [];
    try {
      for await (const entry of client.activityLogs.list(filter)) entries.push(entry);
    } catch (error) {
      throw new AzureCallError(`read the Activity Log of subscription ${subscriptionId}`, error);
    }
    return entries;
  }
}

/** Retry-After in ms: whole seconds or an HTTP date; undefined when absent, 0 or unreadable (the client's own interval then). */
export function retryAfterMsOf(header: string | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - now;
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

function ref_(id: string): ServerRef {
  const ref = parseServerId(id);
  if (!ref) throw new Error(`Not a PostgreSQL flexible server id: ${id}`);
  return ref;
}

function requireServer(server: Server | undefined, target: string): Server {
  if (!server) throw new Error(`ARM returned no usable server for ${target}`);
  return server;
}

/**
 * SDK model (properties flattened, dates as Date) to the warden's Server, through the converter snapshots use.
 * Undefined for ids that are not a server; a malformed server throws, so a listing is never silently short.
 */
export function serverFromSdk(s: ArmServer): Server | undefined {
  const ref = s.id ? parseServerId(s.id) : undefined;
  if (!ref || ref.child) return undefined;
  return serverFromArm(s, {}, s.id);
}
