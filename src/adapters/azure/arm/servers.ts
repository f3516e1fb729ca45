import type { TokenCredential } from '@azure/core-auth';
import { ServiceClient, type CommonClientOptions } from '@azure/core-client';
import { createPipelineRequest } from '@azure/core-rest-pipeline';
import type { ManagementLockClient } from '@azure/arm-locks';
import type { MonitorClient } from '@azure/arm-monitor';
import type { ResourceManagementClient } from '@azure/arm-resources';
import { ENGINE_SPECS, ENGINES, type Engine } from '../../../domain/engines.js';
import { parseServerId, resourceIdOf, type ServerRef } from '../../../domain/ids.js';
import { lockScopeOf, type ScopedLock } from '../../../domain/locks.js';
import { lockFromArm, serverFromArm } from '../../../domain/snapshot.js';
import type { FirewallRule, LockLevel, ManagementLock, Server } from '../../../domain/model.js';
import type {
  ActivityFeedPort,
  DeleteOutcome,
  NameAvailability,
  RestoreRequest,
  ServersPort,
} from '../../../ports/servers.js';
import { armErrorOf, AzureCallError, statusOf } from '../errors.js';
import { lazyEngineApi, type EngineApiOptions, type EngineServersApi } from './engineApi.js';

export { serverFromSdk } from './sdkServer.js';

export interface ArmOptions {
  readonly credential: TokenCredential;
  /** ARM endpoint, the CA to trust and retry settings: what every ARM SDK client of the warden is given. */
  readonly clientOptions?: CommonClientOptions & { endpoint?: string };
  /** Poll interval of long-running operations. */
  readonly pollIntervalInMs?: number;
}

/**
 * The SDK calls of each engine the port serves (postgresApi.ts, mysqlApi.ts, sqlApi.ts): one file per engine, each
 * loaded with its SDK on the engine's first call, so a process meets only the SDKs of the engines it touches.
 */
const ENGINE_APIS: { readonly [E in Engine]: (options: EngineApiOptions) => EngineServersApi } = {
  'postgresql-flexible': (options) =>
    lazyEngineApi(async () => new (await import('./postgresApi.js')).PostgresServersApi(options), {
      deleteApiVersion: '2025-08-01',
      readApiVersion: '2025-08-01',
      upsertFirewallRule: true,
    }),
  'mysql-flexible': (options) =>
    lazyEngineApi(async () => new (await import('./mysqlApi.js')).MySqlServersApi(options), {
      deleteApiVersion: '2021-05-01',
      readApiVersion: '2021-05-01',
    }),
  'sql-database': (options) =>
    lazyEngineApi(async () => new (await import('./sqlApi.js')).SqlDatabasesApi(options), {
      deleteApiVersion: '2022-08-01-preview',
      restoreProgress: true,
    }),
};

/** The ARM SDKs every engine shares, each loaded on first use (Tags API, locks, Activity Log). */
const sharedSdks = {
  resources: once(() => import('../sdk/resources.js')),
  locks: once(() => import('../sdk/locks.js')),
  monitor: once(() => import('../sdk/monitor.js')),
};

/** A module import made once, tried again after a failure. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    (loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    }));
}

/**
 * The ServersPort on the Azure SDKs. The engine of each id picks the engine's SDK calls (EngineServersApi:
 * `@azure/arm-postgresql-flexible`, `@azure/arm-mysql-flexible`, `@azure/arm-sql`); what every engine shares is here:
 * `@azure/arm-resources` for the Tags API, `@azure/arm-locks` for locks, errors and the restore's progress. Ids of
 * resources under a parent (a SQL database under its logical server) carry the parent's name wherever a call needs it.
 * @example const servers = new ArmServers({ credential, clientOptions }); await servers.list(subscriptionId) // every engine's
 */
export class ArmServers implements ServersPort {
  private readonly resourceClients = new Map<string, ResourceManagementClient>();
  private readonly lockClients = new Map<string, ManagementLockClient>();
  private readonly engines = new Map<Engine, EngineServersApi>();
  private restClient: { client: ServiceClient; endpoint: string } | undefined;
  private readonly poll: { updateIntervalInMs?: number };

  constructor(private readonly options: ArmOptions) {
    this.poll = options.pollIntervalInMs === undefined ? {} : { updateIntervalInMs: options.pollIntervalInMs };
  }

  /**
   * A core client for ARM requests no SDK operation sends as the warden needs them (the DELETE that does not poll),
   * with what every SDK client is given (credential, endpoint, CA, retries, ARM's budget), for every subscription.
   */
  private rest(): { client: ServiceClient; endpoint: string } {
    if (!this.restClient) {
      const endpoint = (this.options.clientOptions?.endpoint ?? 'https://management.azure.com').replace(/\/+$/, '');
      const client = new ServiceClient({
        ...this.options.clientOptions,
        credential: this.options.credential,
        credentialScopes: [`${endpoint}/.default`],
      });
      this.restClient = { client, endpoint };
    }
    return this.restClient;
  }

  /** The Tags API's client of a subscription (`@azure/arm-resources`, loaded on first use). */
  private async resources(subscriptionId: string): Promise<ResourceManagementClient> {
    const { ResourceManagementClient } = await sharedSdks.resources();
    let c = this.resourceClients.get(subscriptionId);
    if (!c) {
      const { credential, clientOptions = {} } = this.options;
      this.resourceClients.set(
        subscriptionId,
        (c = new ResourceManagementClient(credential, subscriptionId, clientOptions)),
      );
    }
    return c;
  }

  /** The locks API's client of a subscription (`@azure/arm-locks`, loaded on first use). */
  private async locks(subscriptionId: string): Promise<ManagementLockClient> {
    const { ManagementLockClient } = await sharedSdks.locks();
    let c = this.lockClients.get(subscriptionId);
    if (!c) {
      const { credential, clientOptions = {} } = this.options;
      this.lockClients.set(subscriptionId, (c = new ManagementLockClient(credential, subscriptionId, clientOptions)));
    }
    return c;
  }

  /** The SDK calls of an engine; an engine without an adapter here is a programming error, named. */
  private api(engine: Engine): EngineServersApi {
    let api = this.engines.get(engine);
    if (!api) {
      api = ENGINE_APIS[engine]({
        credential: this.options.credential,
        clientOptions: this.options.clientOptions ?? {},
        poll: this.poll,
      });
      this.engines.set(engine, api);
    }
    return api;
  }

  /** Every governed resource of the engines named (default every engine; one list per engine); any failed page fails the whole list. */
  async list(subscriptionId: string, options: { readonly engines?: readonly Engine[] } = {}): Promise<Server[]> {
    const servers: Server[] = [];
    for (const engine of ENGINES.filter((e) => !options.engines || options.engines.includes(e))) {
      try {
        servers.push(...(await this.api(engine).list(subscriptionId)));
      } catch (error) {
        throw new AzureCallError(`list the ${ENGINE_SPECS[engine].label}s of subscription ${subscriptionId}`, error);
      }
    }
    return servers;
  }

  async get(
    id: string,
    options: { withFirewallRules?: boolean; withLocks?: boolean } = {},
  ): Promise<Server | undefined> {
    const ref = ref_(id);
    let server: Server | undefined;
    try {
      server = await this.read(ref);
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
    try {
      return await this.api(ref.engine).listFirewallRules(ref);
    } catch (error) {
      if (statusOf(error) === 404) return [];
      throw new AzureCallError(`list firewall rules of ${ref.id}`, error);
    }
  }

  async listLocks(id: string): Promise<ManagementLock[]> {
    const ref = ref_(id);
    const locks: ManagementLock[] = [];
    try {
      // A resource under a parent (a database under its logical server) names the parent path: `servers/sql-shop`.
      const spec = ENGINE_SPECS[ref.engine];
      const iterator = (await this.locks(ref.subscriptionId)).managementLocks.listAtResourceLevel(
        ref.resourceGroup,
        spec.providerNamespace,
        (ref.parents ?? []).map((p) => `${p.type}/${p.name}`).join('/'),
        spec.resourcePath.at(-1)!,
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

  /**
   * Every lock of the subscription, through the core pipeline as REST JSON (`nextLink` pages), each read by
   * `lockFromArm`: the sweep reads it right before each group of deletions, so it skips the locks SDK and its models.
   */
  async listSubscriptionLocks(subscriptionId: string): Promise<ScopedLock[]> {
    const locks: ScopedLock[] = [];
    const { client, endpoint } = this.rest();
    let url: string | undefined =
      `${endpoint}/subscriptions/${encodeURIComponent(subscriptionId)}/providers/Microsoft.Authorization/locks?api-version=${LOCKS_API_VERSION}`;
    try {
      while (url) {
        const response = await client.sendRequest(createPipelineRequest({ url, method: 'GET' }));
        if (response.status !== 200) throw armErrorOf(response.status, response.bodyAsText);
        const page = jsonOf(response.bodyAsText, `the lock list of subscription ${subscriptionId}`) as {
          value?: unknown;
          nextLink?: unknown;
        };
        if (!Array.isArray(page.value)) throw new Error('ARM answered a lock list without a "value" array');
        for (const [i, item] of page.value.entries()) {
          const id = (item as { id?: unknown }).id;
          const scope = typeof id === 'string' ? lockScopeOf(id) : undefined;
          const lock = lockFromArm(item, `locks[${i}]`);
          if (scope && lock) locks.push({ scope, ...lock });
        }
        url = typeof page.nextLink === 'string' && page.nextLink !== '' ? page.nextLink : undefined;
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
      await (
        await this.resources(ref.subscriptionId)
      ).tagsOperations.beginUpdateAtScopeAndWait(
        ref.id.replace(/^\//, ''),
        { operation: 'Merge', properties: { tags: { ...tags } } },
        this.poll,
      );
    } catch (error) {
      throw new AzureCallError(`merge tags ${Object.keys(tags).join(', ')} on ${ref.id}`, error, {
        action: 'Microsoft.Resources/tags/write',
      });
    }
  }

  async deleteTags(id: string, tags: Readonly<Record<string, string>>): Promise<void> {
    const ref = ref_(id);
    try {
      // Delete with name/value pairs removes a tag only while it still has the value that was read.
      await (
        await this.resources(ref.subscriptionId)
      ).tagsOperations.beginUpdateAtScopeAndWait(
        ref.id.replace(/^\//, ''),
        { operation: 'Delete', properties: { tags: { ...tags } } },
        this.poll,
      );
    } catch (error) {
      throw new AzureCallError(`delete tags ${Object.keys(tags).join(', ')} on ${ref.id}`, error, {
        action: 'Microsoft.Resources/tags/write',
      });
    }
  }

  async deleteFirewallRule(id: string, ruleName: string): Promise<'deleted' | 'already-gone'> {
    const ref = ref_(id);
    try {
      await this.api(ref.engine).deleteFirewallRule(ref, ruleName);
      return 'deleted';
    } catch (error) {
      if (statusOf(error) === 404) return 'already-gone';
      throw new AzureCallError(`delete firewall rule ${ruleName} of ${ref.id}`, error);
    }
  }

  async upsertFirewallRule(id: string, rule: FirewallRule): Promise<void> {
    const ref = ref_(id);
    const api = this.api(ref.engine);
    if (!api.upsertFirewallRule)
      throw new Error(
        `Refused to write firewall rule ${rule.name} on ${ref.id}: the warden writes firewall rules only on PostgreSQL flexible servers (restore drills)`,
      );
    try {
      await api.upsertFirewallRule(ref, rule);
    } catch (error) {
      throw new AzureCallError(
        `write firewall rule ${rule.name} (${rule.startIpAddress}-${rule.endIpAddress}) on ${ref.id}`,
        error,
        {
          action: `${ENGINE_SPECS[ref.engine].providerNamespace}/flexibleServers/firewallRules/write`,
        },
      );
    }
  }

  async disablePublicAccess(id: string): Promise<void> {
    const ref = ref_(id);
    try {
      await this.api(ref.engine).disablePublicAccess(ref);
    } catch (error) {
      throw new AzureCallError(`disable public network access of ${ref.id}`, error);
    }
  }

  async stop(id: string): Promise<void> {
    const ref = ref_(id);
    try {
      await this.api(ref.engine).stop(ref);
    } catch (error) {
      throw new AzureCallError(`stop ${ref.id}`, error);
    }
  }

  async delete(id: string, options: { wait?: boolean } = {}): Promise<DeleteOutcome> {
    const ref = ref_(id);
    try {
      if (options.wait === false) return await this.requestDelete(ref);
      await this.api(ref.engine).delete(ref);
      return 'deleted';
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) return 'already-gone';
      if (status === 409 && /ScopeLocked/i.test(String((error as { code?: string }).code ?? (error as Error).message)))
        return 'locked';
      throw new AzureCallError(`delete ${ref.id}`, error);
    }
  }

  /** The server as ARM shows it now, by the engine's way of reading it; undefined (or the SDK's 404) when it is gone. */
  private async read(ref: ServerRef): Promise<Server | undefined> {
    const api = this.api(ref.engine);
    if (api.readApiVersion) return this.requestGet(ref, api.readApiVersion);
    return api.get!(ref);
  }

  /**
   * The GET of a server that is its resource alone, through the core pipeline (credential, retries, ARM's budget) at
   * the engine SDK's api-version: the REST JSON goes to `serverFromArm` as a Resource Graph row does, without the SDK's
   * model of every property. 404 is undefined; anything else but 200 throws ARM's error, mapped by `get`.
   */
  private async requestGet(ref: ServerRef, apiVersion: string): Promise<Server | undefined> {
    const response = await this.rest().client.sendRequest(
      createPipelineRequest({ url: `${this.rest().endpoint}${ref.id}?api-version=${apiVersion}`, method: 'GET' }),
    );
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw armErrorOf(response.status, response.bodyAsText);
    return serverFromArm(jsonOf(response.bodyAsText, `the GET of ${ref.id}`), {}, ref.id);
  }

  /**
   * The DELETE alone, through the Tags API client's pipeline (credential, retries, ARM's budget), at the engine SDK's
   * api-version: 202 is ARM's acceptance (`requested`), 200 a delete already done, 204 nothing to delete (ARM's answer
   * for a resource that does not exist). Anything else throws ARM's error, mapped by `delete`.
   */
  private async requestDelete(ref: ServerRef): Promise<DeleteOutcome> {
    const response = await this.rest().client.sendRequest(
      createPipelineRequest({
        url: `${this.rest().endpoint}${ref.id}?api-version=${this.api(ref.engine).deleteApiVersion}`,
        method: 'DELETE',
      }),
    );
    if (response.status === 202) return 'requested';
    if (response.status === 200) return 'deleted';
    if (response.status === 204) return 'already-gone';
    throw armErrorOf(response.status, response.bodyAsText);
  }

  async checkName(
    subscriptionId: string,
    location: string,
    name: string,
    engine: Engine = 'postgresql-flexible',
  ): Promise<NameAvailability> {
    // ARM wants the location's short name (eastus) in the path; servers report the display name (East US).
    const region = location.replace(/\s+/g, '').toLowerCase();
    try {
      return await this.api(engine).checkName(subscriptionId, region, name);
    } catch (error) {
      throw new AzureCallError(
        `check whether the ${ENGINE_SPECS[engine].label} name ${name} is available in ${region}`,
        error,
        {
          action: `${ENGINE_SPECS[engine].providerNamespace}/locations/checkNameAvailability/action`,
        },
      );
    }
  }

  async restore(
    request: RestoreRequest,
    options: { wait?: boolean; onProgress?: (state: string) => void } = {},
  ): Promise<Server> {
    const source = ref_(request.sourceServerId);
    const api = this.api(source.engine);
    // A database goes under a logical server (the request's, else the source's): its id names it.
    const parents = (source.parents ?? []).map((p, i, all) =>
      i === all.length - 1 && request.targetParent ? request.targetParent : p.name,
    );
    const targetRef = ref_(
      resourceIdOf(source.engine, source.subscriptionId, request.targetResourceGroup, [...parents, request.targetName]),
    );
    const target = `${request.targetResourceGroup}/${[...parents, request.targetName].join('/')}`;
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
    /** The new server as ARM shows it now; MySQL answers 404 while it restores, so the request stands for it then. */
    const current = async (): Promise<Server | undefined> => {
      try {
        return await this.read(targetRef);
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    };
    try {
      const poller = await api.beginRestore(source, request, onResponse);
      if (!accepted) options.onProgress?.('Accepted');
      if (!options.wait) return poller.result() ?? (await current()) ?? restoringServer(targetRef, request);
      // Poll by hand so each step can report the new server's own state (Provisioning, ... Ready), or the engine's own
      // progress (a SQL database's percentComplete), waiting as long as Azure's Retry-After says (the configured
      // interval when it sends none, or 0).
      const stateNow = () =>
        current().then(
          (s) => s?.state ?? (ENGINE_SPECS[source.engine].notFoundWhileRestoring ? 'Restoring' : 'Provisioning'),
          () => 'Provisioning',
        );
      const progressNow = async () =>
        (api.restoreProgress ? await api.restoreProgress(targetRef) : undefined) ?? (await stateNow());
      let last = 'Accepted';
      while (!poller.isDone()) {
        await poller.poll();
        if (poller.isDone()) break;
        const progress = await progressNow();
        if (progress !== last) options.onProgress?.((last = progress));
        await new Promise((resolve) => setTimeout(resolve, retryAfterMs ?? this.poll.updateIntervalInMs ?? 5_000));
      }
      const done = (await poller.pollUntilDone()) ?? (await current());
      const state = done?.state ?? 'Ready';
      options.onProgress?.(api.restoreProgress ? `${state} (100%)` : state);
      return requireServer(done, target);
    } catch (error) {
      throw new AzureCallError(`restore ${source.id} to ${target} at ${request.pointInTimeUtc}`, error, {
        action: ENGINE_SPECS[source.engine].operations.write,
      });
    }
  }
}

/** The new server of an accepted restore that ARM does not show yet (MySQL answers 404 until it is done). */
function restoringServer(ref: ServerRef, request: RestoreRequest): Server {
  return {
    id: ref.id,
    key: ref.key,
    engine: ref.engine,
    subscriptionId: ref.subscriptionId,
    resourceGroup: ref.resourceGroup,
    name: ref.name,
    location: request.location,
    tags: { ...request.tags },
    state: 'Restoring',
  };
}

/** The Activity Log through `@azure/arm-monitor`, in the one filter form ARM accepts for a provider: one query per engine's provider. */
export class ArmActivityFeed implements ActivityFeedPort {
  private readonly clients = new Map<string, MonitorClient>();
  constructor(private readonly options: ArmOptions) {}

  async list(
    subscriptionId: string,
    window: { from: Date; to: Date },
    options: { resourceUri?: string } = {},
  ): Promise<unknown[]> {
    let client = this.clients.get(subscriptionId);
    if (!client) {
      const { MonitorClient: Client } = await sharedSdks.monitor();
      client = new Client(this.options.credential, subscriptionId, this.options.clientOptions ?? {});
      this.clients.set(subscriptionId, client);
    }
    const between = `eventTimestamp ge '${window.from.toISOString()}' and eventTimestamp le '${window.to.toISOString()}'`;
    // ARM's filter takes one resourceUri or resourceProvider clause: one query per engine's provider.
    const filters = options.resourceUri
      ? [`${between} and resourceUri eq '${options.resourceUri}'`]
      : [...new Set(ENGINES.map((engine) => ENGINE_SPECS[engine].providerNamespace))].map(
          (provider) => `${between} and resourceProvider eq '${provider}'`,
        );
    const entries: unknown[] = [];
    for (const filter of filters) {
      try {
        for await (const entry of client.activityLogs.list(filter)) entries.push(entry);
      } catch (error) {
        throw new AzureCallError(
          `read the Activity Log of subscription ${subscriptionId} (${filter.replace(`${between} and `, '')})`,
          error,
        );
      }
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
  if (!ref) throw new Error(`Not the id of a governed server: ${id}`);
  return ref;
}

function requireServer(server: Server | undefined, target: string): Server {
  if (!server) throw new Error(`ARM returned no usable server for ${target}`);
  return server;
}

/** The management locks REST API version `@azure/arm-locks` 2.x speaks. */
const LOCKS_API_VERSION = '2020-05-01';

/** A body ARM answered, parsed; a body that is not JSON says which answer it was. */
function jsonOf(text: string | null | undefined, what: string): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    throw new Error(`ARM answered ${what} with a body that is not JSON`);
  }
}
