import type { HttpClient } from '@azure/core-rest-pipeline';
import type { TableClient } from '@azure/data-tables';
import { parseBody, restErrorOf, TableRequests } from './tableRequests.js';

/** The headers of the SDK's Insert Entity beside the common ones: a JSON body, and no entity echoed back. */
const INSERT_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'application/json;odata=nometadata',
  Prefer: 'return-no-content',
};

/**
 * Insert Entity sent as `TableClient.createEntity` sends it (same URL, headers and JSON body), through the client's own
 * pipeline, without the SDK's operation spec, mappers and tracing span around each call: a third of a millisecond of
 * CPU per create through the SDK. Answers are the SDK's: the new ETag, or the RestError it throws (409 for a row
 * already there, 404 TableNotFound).
 * @example const etag = await new EntityWriter(client).create({ partitionKey: 'p', rowKey: 'r', n: 1 });
 */
export class EntityWriter {
  private readonly requests: TableRequests;
  private readonly url: string;

  /** From a client (its pipeline cloned), or from the TableRequests a reader of the same table shares. */
  constructor(client: TableClient | TableRequests, httpClient?: HttpClient) {
    this.requests = client instanceof TableRequests ? client : new TableRequests(client, httpClient);
    this.url = this.requests.url('');
  }

  /** Writes a new row; fails with the service's 409 (EntityAlreadyExists) when its keys are taken. Returns its ETag. */
  async create(entity: Record<string, unknown>): Promise<string> {
    const body = JSON.stringify(serializeEntity(entity));
    const response = await this.requests.send('POST', this.url, INSERT_HEADERS, body);
    // Both are the SDK's success: 204 as asked, 201 (the row echoed) from a service that ignores `Prefer`.
    const created = response.status === 204 || response.status === 201;
    parseBody(response);
    if (!created) throw restErrorOf(response);
    return response.headers.get('etag') ?? '';
  }
}

/** Service names of the system properties, by the names the SDK gives them. */
const SERVICE_NAMES: Readonly<Record<string, string>> = Object.assign(Object.create(null) as Record<string, string>, {
  partitionKey: 'PartitionKey',
  rowKey: 'RowKey',
  etag: 'odata.etag',
  timestamp: 'Timestamp',
});

const EDM_TYPES = new Set(['Boolean', 'DateTime', 'Double', 'Guid', 'Int32', 'Int64', 'String', 'Binary']);

/**
 * An entity as the SDK's `serialize` gives it to the service: system properties renamed; strings, numbers, booleans and
 * null as they are (the service types a whole number within Int32 as Int32, any other number as Double); a bigint as an
 * Int64 string, a Date (as JSON makes it) as DateTime, bytes as base64 Binary, each with its `@odata.type`; a
 * `{ value, type }` object as its value with that type. Anything else is refused with the SDK's error.
 */
export function serializeEntity(entity: Record<string, unknown>): Record<string, unknown> {
  const serialized: Record<string, unknown> = {};
  for (const name of Object.keys(entity)) {
    const key = SERVICE_NAMES[name] ?? name;
    const value = entity[name];
    let type: string | undefined;
    if (value === undefined || value === null) serialized[key] = value;
    else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      serialized[key] = value;
    else if (isTyped(value)) {
      if (!EDM_TYPES.has(value.type as string)) throw new Error(`Unknown EDM type ${typeof value.value}`);
      serialized[key] = value.value;
      type = value.type as string;
    } else if (typeof value === 'bigint') {
      serialized[key] = value.toString();
      type = 'Int64';
    } else if (value instanceof Date) {
      serialized[key] = value;
      type = 'DateTime';
    } else if (value instanceof Uint8Array) {
      // The bytes of the view (the SDK encodes a plain Uint8Array's whole underlying buffer; the same for whole arrays).
      serialized[key] = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
      type = 'Binary';
    } else throw new Error(`Unknown EDM type ${typeof value}`);
    if (type !== undefined) serialized[`${key}@odata.type`] = `Edm.${type}`;
  }
  return serialized;
}

function isTyped(value: unknown): value is { value: unknown; type: unknown } {
  const typed = value as { value?: unknown; type?: unknown };
  return typeof value === 'object' && typed.value !== undefined && typed.type !== undefined;
}
