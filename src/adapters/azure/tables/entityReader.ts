import type { HttpClient, PipelineResponse } from '@azure/core-rest-pipeline';
import type { TableClient, TableEntityResult } from '@azure/data-tables';
import { parseBody, restErrorOf, TableRequests } from './tableRequests.js';

export type StoredEntity = TableEntityResult<Record<string, unknown>>;
export { isLoopbackHttp } from './tableRequests.js';

export interface EntityQuery {
  /** An OData filter, as `odata\`...\`` builds it. */
  readonly filter?: string;
  /** Service property names (`RowKey`, not `rowKey`). */
  readonly select?: readonly string[];
  /** Rows per page (`$top`); the service answers at most 1000. */
  readonly pageSize: number;
}

/**
 * Query Entities sent as the SDK sends it, through the TableClient's own pipeline (its authentication, retries and
 * logging), but read with one JSON.parse and a direct mapping: the SDK's mapper and entity deserialization cost about
 * half a second of CPU per 10,000 rows. Rows, errors and paging are the SDK's: `listEntities().byPage()`.
 * @example for await (const page of new EntityReader(client).pages({ filter, pageSize: 1000 })) rows.push(...page);
 */
export class EntityReader {
  private readonly requests: TableRequests;

  /** From a client (its pipeline cloned), or from the TableRequests a writer of the same table shares. */
  constructor(client: TableClient | TableRequests, httpClient?: HttpClient) {
    this.requests = client instanceof TableRequests ? client : new TableRequests(client, httpClient);
  }

  /** Every page of the query, following continuation tokens until the service gives none. */
  async *pages(query: EntityQuery): AsyncGenerator<StoredEntity[]> {
    let next: Continuation | undefined = {};
    while (next) {
      const response = await this.requests.send('GET', this.urlOf(query, next));
      const body = parseBody(response) as { value?: Record<string, unknown>[] } | undefined;
      // Query Entities answers 200 or an error: anything else is what the SDK throws, a RestError with the body.
      if (response.status !== 200) throw restErrorOf(response);
      yield (body?.value ?? []).map(entityOf);
      next = continuationOf(response);
    }
  }

  private urlOf(query: EntityQuery, next: Continuation): string {
    const params = [`$top=${query.pageSize}`];
    if (query.select) params.push(`$select=${encodeURIComponent(query.select.join(','))}`);
    if (query.filter !== undefined) params.push(`$filter=${encodeURIComponent(query.filter)}`);
    if (next.partitionKey) params.push(`NextPartitionKey=${encodeURIComponent(next.partitionKey)}`);
    if (next.rowKey) params.push(`NextRowKey=${encodeURIComponent(next.rowKey)}`);
    return this.requests.url('()', params);
  }
}

interface Continuation {
  readonly partitionKey?: string;
  readonly rowKey?: string;
}

/** The SDK continues only when the service names a next partition; an empty next row key is left out. */
function continuationOf(response: PipelineResponse): Continuation | undefined {
  const partitionKey = response.headers.get('x-ms-continuation-NextPartitionKey');
  if (!partitionKey) return undefined;
  const rowKey = response.headers.get('x-ms-continuation-NextRowKey');
  return rowKey ? { partitionKey, rowKey } : { partitionKey };
}

const ANNOTATION = '@odata.type';

/** Service names of the system properties and the names the SDK gives them. */
const SYSTEM_NAMES: Readonly<Record<string, string>> = Object.assign(Object.create(null) as Record<string, string>, {
  PartitionKey: 'partitionKey',
  RowKey: 'rowKey',
  'odata.etag': 'etag',
  Timestamp: 'timestamp',
});

/**
 * One row of the service's JSON as the SDK's `deserialize` gives it (type conversion on): system properties renamed,
 * `@odata.type` annotations dropped and applied (Int64 a bigint, DateTime a Date, Binary a Buffer, Guid `{ value, type }`).
 * The service writes an annotation before or after its property, so they are applied once every property is in place.
 */
export function entityOf(raw: Record<string, unknown>): StoredEntity {
  const entity: Record<string, unknown> = {};
  let annotated: string[] | undefined;
  for (const key in raw) {
    const at = key.indexOf(ANNOTATION);
    if (at === -1) entity[SYSTEM_NAMES[key] ?? key] = raw[key];
    else if (at === key.length - ANNOTATION.length) (annotated ??= []).push(key.slice(0, at));
  }
  if (annotated) {
    for (const name of annotated) {
      if (name.includes(ANNOTATION) || !(name in raw)) continue;
      entity[SYSTEM_NAMES[name] ?? name] = typedValue(raw[name], raw[`${name}${ANNOTATION}`]);
    }
  }
  return entity as StoredEntity;
}

function typedValue(value: unknown, type: unknown): unknown {
  switch (type) {
    case 'Edm.Boolean':
    case 'Edm.Double':
    case 'Edm.Int32':
    case 'Edm.String':
      return value;
    case 'Edm.DateTime':
      return new Date(value as string);
    case 'Edm.Int64':
      return BigInt(value as string);
    case 'Edm.Guid':
      return { value, type: 'Guid' };
    case 'Edm.Binary':
      return Buffer.from(value as string, 'base64');
    default:
      throw new Error(`Unknown EDM type ${String(type)}`);
  }
}
