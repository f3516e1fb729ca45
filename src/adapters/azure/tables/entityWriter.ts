import { randomUUID } from 'node:crypto';
import type { HttpClient } from '@azure/core-rest-pipeline';
import type { TableClient, TableEntity, TableTransactionResponse, TransactionAction } from '@azure/data-tables';
import { subResponsesOf, transactionBody } from './entityTransaction.js';
import type { SubRequest, SubResponse } from './entityTransaction.js';
import { parseBody, restErrorOf, TableRequests } from './tableRequests.js';

export type { SubResponse } from './entityTransaction.js';

/** The headers of the SDK's Insert Entity beside the common ones: a JSON body, and no entity echoed back. */
const INSERT_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'application/json;odata=nometadata',
  Prefer: 'return-no-content',
};

/** The headers of the SDK's batch request (its getTransactionHeaders), beside its multipart Content-Type. */
const BATCH_HEADERS: Readonly<Record<string, string>> = {
  Accept: 'application/json',
  DataServiceVersion: '3.0;',
  MaxDataServiceVersion: '3.0;NetFx',
  'Accept-Charset': 'UTF-8',
  Connection: 'Keep-Alive',
};

/** Each operation's headers in a transaction, as the SDK's generated client sets them (x-ms-version taken out). */
const SUB_HEADERS = {
  create: [
    'Content-Type: application/json;odata=nometadata',
    'Accept: application/json;odata=minimalmetadata',
    'DataServiceVersion: 3.0',
    'Prefer: return-no-content',
  ],
  update: ['Content-Type: application/json', 'DataServiceVersion: 3.0', 'Accept: application/json'],
  delete: ['Accept: application/json;odata=minimalmetadata', 'DataServiceVersion: 3.0', 'If-Match: *'],
} as const;

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

  /**
   * An Entity Group Transaction (all operations in one partition, all or nothing) sent as `TableClient.submitTransaction`
   * sends it: the same multipart body (new batch and changeset ids), URL and headers, without building each operation
   * through the SDK's generated client (about 0.9 ms of CPU and 67 KB of garbage per transaction of 4). Returns each
   * operation's answer in request order; a failed transaction throws the SDK's RestError (the failing operation's
   * status: 409, 404, 412; its OData code; its message, prefixed by its index).
   * @example const [created] = await writer.transaction([['create', entity], ['delete', { partitionKey, rowKey }]]);
   */
  async transaction(actions: readonly TransactionAction[]): Promise<SubResponse[]> {
    // Cosmos DB's table API gets operations the SDK writes differently (MERGE, x-ms-version): the SDK's own, there.
    if (this.requests.cosmosClient)
      return subResponsesOfSdk(await this.requests.cosmosClient.submitTransaction([...actions]));
    // No actions at all fails here, as the SDK's (it reads the first action's partition key).
    const partitionKey = actions[0]![1].partitionKey;
    const operations = actions.map((action) => this.subRequestOf(action, partitionKey));
    const batchId = randomUUID();
    const body = transactionBody(operations, batchId, randomUUID());
    const headers = { ...BATCH_HEADERS, 'Content-Type': `multipart/mixed; boundary=batch_${batchId}` };
    return subResponsesOf(await this.requests.send('POST', this.requests.batchUrl, headers, body));
  }

  /** One operation as the SDK's submitTransaction writes it, with its checks and their messages. */
  private subRequestOf([kind, entity, mode = 'Merge', options]: TransactionAction, partitionKey: unknown): SubRequest {
    if (entity.partitionKey !== partitionKey)
      throw new Error('All operations in a transaction must target the same partitionKey');
    if (kind === 'create')
      return { method: 'POST', url: this.requests.subRequestUrl(), headers: SUB_HEADERS.create, body: bodyOf(entity) };
    const url = this.requests.subRequestUrl(keysOf(entity));
    if (kind === 'delete') return { method: 'DELETE', url, headers: SUB_HEADERS.delete };
    if (kind !== 'update' && kind !== 'upsert') throw new Error(`Unknown transaction action ${String(kind)}`);
    if (mode !== 'Merge' && mode !== 'Replace') throw new Error(`Unexpected value for update mode: ${String(mode)}`);
    // An update without an ETag overwrites whatever is there (`*`), as the SDK's; an upsert sends none.
    const etag = kind === 'update' ? (options?.etag ?? '*') : undefined;
    const headers = etag === undefined ? SUB_HEADERS.update : [...SUB_HEADERS.update, `If-Match: ${etag}`];
    return { method: mode === 'Replace' ? 'PUT' : 'PATCH', url, headers, body: bodyOf(entity) };
  }
}

function subResponsesOfSdk(response: TableTransactionResponse): SubResponse[] {
  return response.subResponses.map(({ status, etag }) => (etag === undefined ? { status } : { status, etag }));
}

function bodyOf(entity: Record<string, unknown>): string {
  return JSON.stringify(serializeEntity(entity));
}

/** `(PartitionKey='..',RowKey='..')`: quotes doubled, then URI-encoded, as the SDK's generated client writes keys. */
function keysOf(entity: TableEntity): string {
  for (const name of ['partitionKey', 'rowKey'] as const) {
    if (entity[name] === undefined || entity[name] === null)
      throw new Error(`The entity's ${name} cannot be undefined or null.`);
  }
  return `(PartitionKey='${encodeKey(entity.partitionKey)}',RowKey='${encodeKey(entity.rowKey)}')`;
}

function encodeKey(key: string): string {
  return encodeURIComponent(key.replace(/'/g, "''"));
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
