import type { TokenCredential } from '@azure/core-auth';
import { ServiceClient, type CommonClientOptions } from '@azure/core-client';
import { createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import { ENGINES, isSystemResource, parentResourceTypeOf, resourceTypeOf } from '../../../domain/engines.js';
import { parseServerId } from '../../../domain/ids.js';
import { serverFromArm, withLogicalServer } from '../../../domain/snapshot.js';
import type { Server } from '../../../domain/model.js';
import type { ServerListing } from '../../../ports/servers.js';
import { armErrorOf, AzureCallError } from '../errors.js';

const API_VERSION = '2022-10-01';
/** Resource Graph's largest page. */
const PAGE_ROWS = 1000;
/** Parent resources whose settings a governed resource is read with (a SQL database's logical server: its exposure). */
const PARENT_TYPES = [...new Set(ENGINES.flatMap((engine) => parentResourceTypeOf(engine) ?? []))].map((type) =>
  type.toLowerCase(),
);
/**
 * The properties the warden reads of a row, each projected as a column of its own (`column = properties.path`): what
 * `serverFromArm` takes of a flexible server or a database, and what `withLogicalServer` takes of a logical server.
 * A row is a third of the whole resource's size, so pages cost less to send, parse and validate.
 */
export const PROPERTY_COLUMNS: ReadonlyArray<readonly [column: string, path: readonly string[]]> = [
  ['administratorLogin', ['administratorLogin']],
  ['version', ['version']],
  ['state', ['state']],
  ['storageSizeGB', ['storage', 'storageSizeGB']],
  ['networkPublicAccess', ['network', 'publicNetworkAccess']],
  ['delegatedSubnetResourceId', ['network', 'delegatedSubnetResourceId']],
  ['sourceServerResourceId', ['sourceServerResourceId']],
  ['backupEarliestRestoreDate', ['backup', 'earliestRestoreDate']],
  // A SQL database's, and its logical server's public access.
  ['status', ['status']],
  ['creationDate', ['creationDate']],
  ['maxSizeBytes', ['maxSizeBytes']],
  ['currentServiceObjectiveName', ['currentServiceObjectiveName']],
  ['earliestRestoreDate', ['earliestRestoreDate']],
  ['publicNetworkAccess', ['publicNetworkAccess']],
];

/**
 * The one query the warden sends: the governed resources of every engine (flexible servers, SQL databases) and the
 * logical servers of those databases, grouped by subscription (the emulator serves this subset).
 */
export const SERVERS_QUERY =
  `resources | where type in~ (${[...ENGINES.map((engine) => resourceTypeOf(engine).toLowerCase()), ...PARENT_TYPES].map((type) => `'${type}'`).join(', ')}) ` +
  `| project id, name, type, location, tags, sku, subscriptionId, resourceGroup, ${PROPERTY_COLUMNS.map(([column, path]) => `${column} = properties.${path.join('.')}`).join(', ')} ` +
  '| order by subscriptionId asc, id asc';

/** A row as ARM shows the resource: its projected properties back under `properties`, the absent (null) ones left out. */
export function resourceOfRow(row: unknown): Record<string, unknown> & { properties: Record<string, unknown> } {
  if (typeof row !== 'object' || row === null) return { properties: {} };
  const r = row as Record<string, unknown>;
  const properties: Record<string, unknown> = {};
  for (const [column, path] of PROPERTY_COLUMNS) {
    const value = r[column];
    if (value === null || value === undefined) continue;
    let target = properties;
    for (const segment of path.slice(0, -1)) target = (target[segment] ??= {}) as Record<string, unknown>;
    target[path.at(-1)!] = value;
  }
  return {
    id: r.id,
    name: r.name,
    type: r.type,
    location: r.location,
    tags: r.tags,
    ...(r.sku === null || r.sku === undefined ? {} : { sku: r.sku }),
    properties,
  };
}

interface QueryResponse {
  data?: unknown[];
  $skipToken?: string;
  totalRecords?: number;
}

/**
 * Governed resources of many subscriptions through Azure Resource Graph: one query, 1,000 rows a page continued with
 * `$skipToken`, sent through the Azure core pipeline (bearer token, retries, the ARM budget policy). The REST API
 * rather than `@azure/arm-resourcegraph`: its 5.x needs Node 22 and 4.2.1 is an old client.
 * Rows have no `systemData` (Resource Graph has no such column): a flexible server's `createdAt` is left out (a SQL
 * database has its `creationDate`). A SQL database is given its logical server's exposure, as ArmServers reads it; the
 * logical servers themselves and `master` databases are not yielded.
 * @example for await (const { subscriptionId, servers } of graph.listBySubscription(ids)) ...
 */
export class ResourceGraphListing implements ServerListing {
  private readonly client: ServiceClient;
  private readonly endpoint: string;

  constructor(options: { credential: TokenCredential; clientOptions?: CommonClientOptions & { endpoint?: string } }) {
    this.endpoint = (options.clientOptions?.endpoint ?? 'https://management.azure.com').replace(/\/+$/, '');
    this.client = new ServiceClient({
      ...options.clientOptions,
      credential: options.credential,
      credentialScopes: [`${this.endpoint}/.default`],
    });
  }

  /**
   * Pages in, one subscription out at a time (rows come ordered by subscription), so memory holds one subscription, the
   * page being handed out and the next one on its way: the next page is asked for as soon as a page arrives, so Resource
   * Graph answers while the caller works. Subscriptions without servers are not yielded. Throws when a page fails, after
   * yielding what was complete.
   */
  async *listBySubscription(
    subscriptionIds: readonly string[],
  ): AsyncIterable<{ subscriptionId: string; servers: Server[] }> {
    let group: SubscriptionRows | undefined;
    let page = 0;
    let next: Promise<QueryResponse> | undefined = this.query(subscriptionIds, undefined, ++page);
    while (next) {
      const response: QueryResponse = await next;
      next = response.$skipToken ? ahead(this.query(subscriptionIds, response.$skipToken, ++page)) : undefined;
      for (const row of response.data ?? []) {
        const subscriptionId = subscriptionOf(row);
        if (group !== undefined && group.subscriptionId !== subscriptionId) {
          const done = serversOf(group);
          if (done.servers.length > 0) yield done;
          group = undefined;
        }
        group ??= { subscriptionId, rows: [], parents: new Map() };
        const type = typeof row === 'object' && row !== null && 'type' in row ? String(row.type).toLowerCase() : '';
        // Only the resource's shape is kept of the page, a subscription at a time.
        if (PARENT_TYPES.includes(type)) group.parents.set(idOf(row), resourceOfRow(row).properties);
        else group.rows.push(resourceOfRow(row));
      }
    }
    if (group !== undefined) {
      const done = serversOf(group);
      if (done.servers.length > 0) yield done;
    }
  }

  private async query(
    subscriptions: readonly string[],
    skipToken: string | undefined,
    page: number,
  ): Promise<QueryResponse> {
    const request = createPipelineRequest({
      url: `${this.endpoint}/providers/Microsoft.ResourceGraph/resources?api-version=${API_VERSION}`,
      method: 'POST',
      headers: createHttpHeaders({ 'Content-Type': 'application/json' }),
      body: JSON.stringify({
        subscriptions,
        query: SERVERS_QUERY,
        options: { $top: PAGE_ROWS, resultFormat: 'objectArray', ...(skipToken ? { $skipToken: skipToken } : {}) },
      }),
    });
    const what = `query Resource Graph for the governed servers and databases of ${subscriptions.length} subscription(s) (page ${page})`;
    let response;
    try {
      response = await this.client.sendRequest(request);
    } catch (error) {
      throw new AzureCallError(what, error);
    }
    if (response.status !== 200) {
      throw new AzureCallError(what, armErrorOf(response.status, response.bodyAsText), {
        action: 'Microsoft.ResourceGraph/resources/read',
      });
    }
    // The client's pipeline parsed the JSON page already (its deserialization policy): a page is parsed once.
    const parsed = (response as { parsedBody?: unknown }).parsedBody;
    return (parsed ?? JSON.parse(response.bodyAsText ?? '{}')) as QueryResponse;
  }
}

/**
 * A page asked for ahead of its use: its failure waits for the await that reads it (the page before is still being
 * handed out), or is moot when the caller stops first, instead of surfacing meanwhile as an unhandled rejection.
 */
function ahead<T>(request: Promise<T>): Promise<T> {
  request.catch(() => undefined);
  return request;
}

/** One subscription's rows as they arrive: governed resources, and the properties of parents by lower-case id. */
interface SubscriptionRows {
  readonly subscriptionId: string;
  readonly rows: Array<ReturnType<typeof resourceOfRow>>;
  readonly parents: Map<string, Record<string, unknown>>;
}

const idOf = (row: unknown): string =>
  typeof row === 'object' && row !== null && 'id' in row ? String(row.id).toLowerCase() : '';

function subscriptionOf(row: unknown): string {
  const match = /^\/subscriptions\/([^/]+)\//.exec(idOf(row));
  if (!match)
    throw new Error(`Resource Graph returned a row without a resource id: ${JSON.stringify(row).slice(0, 200)}`);
  return match[1]!;
}

/** The governed resources of one subscription, each database with its logical server's exposure; `master` left out. */
function serversOf(group: SubscriptionRows): { subscriptionId: string; servers: Server[] } {
  const servers: Server[] = [];
  for (const row of group.rows) {
    const ref = parseServerId(idOf(row));
    if (ref && isSystemResource(ref.engine, ref.name)) continue;
    const parentId = ref?.parents?.length ? idOf(row).replace(/\/[^/]+\/[^/]+$/, '') : undefined;
    const parent = parentId ? group.parents.get(parentId) : undefined;
    servers.push(serverFromArm(parent ? withLogicalServer(row, parent) : row));
  }
  return { subscriptionId: group.subscriptionId, servers };
}
