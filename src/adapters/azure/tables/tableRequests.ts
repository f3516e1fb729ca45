import { createDefaultHttpClient, createPipelineRequest, RestError } from '@azure/core-rest-pipeline';
import type { HttpClient, HttpMethods, Pipeline, PipelineResponse } from '@azure/core-rest-pipeline';
import type { TableClient } from '@azure/data-tables';

/**
 * Requests to one table sent as the SDK's generated client sends them, through the TableClient's own pipeline (its
 * authentication, retries, logging and tracing) less its response deserialization: the callers read the body
 * themselves, once (EntityReader, EntityWriter). Errors are built as core-client builds them.
 * @example const response = await requests.send('GET', requests.url('()', ['$top=1000']));
 */
export class TableRequests {
  readonly tableName: string;
  /** The account's Entity Group Transaction URL, as the SDK's submitTransaction sends it (the client's SAS after it). */
  readonly batchUrl: string;
  /** The client, when it is a Cosmos DB table endpoint (by the SDK's rule): its transactions stay the SDK's. */
  readonly cosmosClient: TableClient | undefined;
  private readonly pipeline: Pipeline;
  private readonly tablePath: string;
  private readonly fixedQuery: string;
  private readonly subRequestQuery: string;
  private readonly allowInsecureConnection: boolean;

  constructor(
    client: TableClient,
    private readonly httpClient: HttpClient = sharedHttpClient(),
  ) {
    this.tableName = client.tableName;
    // The same policies, less the SDK's response deserialization: it would parse every body a second time.
    this.pipeline = client.pipeline.clone();
    this.pipeline.removePolicy({ name: 'deserializationPolicy' });
    const url = new URL(client.url);
    this.tablePath = `${url.origin}${url.pathname.replace(/\/+$/, '')}/${encodeURIComponent(client.tableName)}`;
    this.fixedQuery = url.search.slice(1);
    this.batchUrl = `${url.origin}${url.pathname.replace(/\/+$/, '')}/$batch${url.search}`;
    this.subRequestQuery = subRequestQueryOf(url);
    this.cosmosClient = isCosmosEndpoint(url) ? client : undefined;
    // The client was allowed plain http only to this machine (tableClient); the same rule here.
    this.allowInsecureConnection = isLoopbackHttp(client.url);
  }

  /**
   * The table's URL (`suffix` `()` for queries), the client's own query (a SAS) first, then `params` (encoded).
   * Set as the SDK sets it (core-client's appendQueryParams), so the URL's own escaping (`'` as %27) is the same.
   */
  url(suffix: string, params: readonly string[] = []): string {
    const all = this.fixedQuery ? [this.fixedQuery, ...params] : params;
    const url = new URL(`${this.tablePath}${suffix}`);
    if (all.length > 0) url.search = `?${all.join('&')}`;
    return url.toString();
  }

  /**
   * The URL of an operation inside a transaction: the table (`keys` `(PartitionKey='..',RowKey='..')`) with the client's
   * query less its SAS, as the SDK writes it into the batch body (the batch request itself carries the SAS).
   */
  subRequestUrl(keys = ''): string {
    return `${this.tablePath}${keys}${this.subRequestQuery}`;
  }

  /** One request with the headers of the SDK's generated client (Accept, x-ms-version, DataServiceVersion) and `headers`. */
  send(method: HttpMethods, url: string, headers: Readonly<Record<string, string>> = {}, body?: string) {
    const request = createPipelineRequest({
      url,
      method,
      allowInsecureConnection: this.allowInsecureConnection,
      ...(body === undefined ? {} : { body }),
    });
    request.headers.set('Accept', 'application/json;odata=minimalmetadata');
    // The service version the SDK's generated client sends (a client built with `version` overrides it in its pipeline).
    request.headers.set('x-ms-version', '2019-02-02');
    request.headers.set('DataServiceVersion', '3.0');
    for (const name in headers) request.headers.set(name, headers[name]!);
    return this.pipeline.sendRequest(this.httpClient, request);
  }
}

/** A JSON body parsed as core-client parses it: a JSON content type (or none) that does not parse is a PARSE_ERROR. */
export function parseBody(response: PipelineResponse): unknown {
  const text = response.bodyAsText;
  if (!text) return undefined;
  const contentType = response.headers.get('Content-Type') ?? '';
  const parts = contentType ? contentType.split(';').map((part) => part.toLowerCase()) : [];
  if (parts.length > 0 && !parts.includes('application/json') && !parts.includes('text/json')) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new RestError(`Error "${String(error)}" occurred while parsing the response body - ${text}.`, {
      code: RestError.PARSE_ERROR,
      statusCode: response.status,
      request: response.request,
      response,
    });
  }
}

/**
 * A status the operation does not answer with, as the SDK throws it: a RestError whose message is the service's body
 * (its OData error, which codeOf reads) and no `code`. Parse the body first (parseBody): a bad JSON body is a PARSE_ERROR.
 */
export function restErrorOf(response: PipelineResponse): RestError {
  return new RestError(response.bodyAsText ?? '', {
    statusCode: response.status,
    request: response.request,
    response,
  });
}

/** The SAS parameters the SDK takes out of a sub-request's URL (its getSubRequestUrl); others stay, re-encoded. */
const SAS_PARAMETERS = ['sv', 'ss', 'srt', 'sp', 'se', 'st', 'spr', 'sig'];

function subRequestQueryOf(clientUrl: URL): string {
  if (!clientUrl.search) return '';
  const url = new URL(clientUrl.toString());
  for (const name of SAS_PARAMETERS) url.searchParams.delete(name);
  return url.search;
}

/** The SDK's isCosmosEndpoint: a Cosmos host, or localhost that is not Azurite's path-style account. */
function isCosmosEndpoint(url: URL): boolean {
  const host = url.hostname;
  if (host.includes('.table.cosmosdb.') || host.includes('.table.cosmos.')) return true;
  if ((host === 'localhost' || host === '127.0.0.1') && url.pathname.startsWith('/devstoreaccount1')) return false;
  const azuriteAccount = process.env.AZURITE_ACCOUNTS?.split(':')[0];
  if (azuriteAccount && host.includes(azuriteAccount)) return false;
  return host === 'localhost';
}

let httpClient: HttpClient | undefined;

/** One HTTP client (and its keep-alive connections) for every table, as the SDK shares its own. */
function sharedHttpClient(): HttpClient {
  return (httpClient ??= createDefaultHttpClient());
}

/** Plain http is allowed only to this machine (Azurite); anything else must be https. */
export function isLoopbackHttp(endpoint: string): boolean {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return false;
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return url.protocol === 'http:' && (host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host));
}
