import type { TokenCredential } from '@azure/core-auth';
import { ServiceClient, type CommonClientOptions } from '@azure/core-client';
import { createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import { ENGINES, resourceTypeOf } from '../../../domain/engines.js';
import { serverFromArm } from '../../../domain/snapshot.js';
import type { Server } from '../../../domain/model.js';
import type { ServerListing } from '../../../ports/servers.js';
import { AzureCallError } from '../errors.js';

const API_VERSION = '2022-10-01';
/** Resource Graph's largest page. */
const PAGE_ROWS = 1000;
/** The one query the warden sends: the servers of every engine, grouped by subscription (the emulator serves this subset). */
export const SERVERS_QUERY =
  `resources | where type in~ (${ENGINES.map((engine) => `'${resourceTypeOf(engine).toLowerCase()}'`).join(', ')}) ` +
  '| project id, name, type, location, tags, sku, properties, subscriptionId, resourceGroup | order by subscriptionId asc, id asc';

interface QueryResponse {
  data?: unknown[];
  $skipToken?: string;
  totalRecords?: number;
}

/**
 * Flexible servers of many subscriptions through Azure Resource Graph: one query, 1,000 rows a page continued with
 * `$skipToken`, sent through the Azure core pipeline (bearer token, retries, the ARM budget policy). The REST API
 * rather than `@azure/arm-resourcegraph`: its 5.x needs Node 22 and 4.2.1 is an old client.
 * Rows have no `systemData` (Resource Graph has no such column): `createdAt` is left out.
 * @example for await (const { subscriptionId, servers } of graph.listBySubscription(ids)) ...
 */
export class ResourceGraphListing implements ServerListing {
  private readonly client: ServiceClient;
  private readonly endpoint: string;

  constructor(options: { credential: TokenCredential; clientOptions?: CommonClientOptions & { endpoint?: string } }) {
    this.endpoint = (options.clientOptions?.endpoint ?? 'https://management.azure.com').replace(/\/+$/, '');
    this.client = new ServiceClient({ ...options.clientOptions, credential: options.credential, credentialScopes: [`${this.endpoint}/.default`] });
  }

  /**
   * Pages in, one subscription out at a time (rows come ordered by subscription), so memory holds one subscription and
   * one page. Subscriptions without servers are not yielded. Throws when a page fails, after yielding what was complete.
   */
  async *listBySubscription(subscriptionIds: readonly string[]): AsyncIterable<{ subscriptionId: string; servers: Server[] }> {
    let subscriptionId: string | undefined;
    let group: Server[] = [];
    let skipToken: string | undefined;
    let page = 0;
    do {
      const response = await this.query(subscriptionIds, skipToken, ++page);
      for (const row of response.data ?? []) {
        const server = serverFromArm(row);
        if (subscriptionId !== undefined && subscriptionId !== server.subscriptionId) {
          yield { subscriptionId, servers: group };
          group = [];
        }
        subscriptionId = server.subscriptionId;
        group.push(server);
      }
      skipToken = response.$skipToken;
    } while (skipToken);
    if (subscriptionId !== undefined) yield { subscriptionId, servers: group };
  }

  private async query(subscriptions: readonly string[], skipToken: string | undefined, page: number): Promise<QueryResponse> {
    const request = createPipelineRequest({
      url: `${this.endpoint}/providers/Microsoft.ResourceGraph/resources?api-version=${API_VERSION}`,
      method: 'POST',
      headers: createHttpHeaders({ 'Content-Type': 'application/json' }),
      body: JSON.stringify({ subscriptions, query: SERVERS_QUERY, options: { $top: PAGE_ROWS, resultFormat: 'objectArray', ...(skipToken ? { $skipToken: skipToken } : {}) } }),
    });
    const what = `query Resource Graph for the flexible servers of ${subscriptions.length} subscription(s) (page ${page})`;
    let response;
    try {
      response = await this.client.sendRequest(request);
    } catch (error) {
      throw new AzureCallError(what, error);
    }
    if (response.status !== 200) {
      const error = Object.assign(new Error(errorText(response.bodyAsText)), { statusCode: response.status });
      throw new AzureCallError(what, error, { action: 'Microsoft.ResourceGraph/resources/read' });
    }
    return JSON.parse(response.bodyAsText ?? '{}') as QueryResponse;
  }
}

function errorText(body: string | undefined | null): string {
  try {
    const parsed = JSON.parse(body ?? '') as { error?: { code?: string; message?: string } };
    return `${parsed.error?.code ?? ''}: ${parsed.error?.message ?? ''}`.trim();
  } catch {
    return (body ?? '').slice(0, 200);
  }
}
