import type { HttpClient } from '@azure/core-rest-pipeline';
import { odata } from '@azure/data-tables';
import type { TableClient, TableEntity, TransactionAction } from '@azure/data-tables';
import { statusOf } from '../errors.js';
import { EntityReader } from './entityReader.js';
import type { StoredEntity } from './entityReader.js';
import { EntityWriter } from './entityWriter.js';
import { TableRequests } from './tableRequests.js';
import { codeOf } from './tableErrors.js';
import type { TableCounter } from './tableStats.js';

export type Entity = TableEntity<Record<string, unknown>>;
export type { StoredEntity } from './entityReader.js';

/** Rows per query page: the service maximum. */
const PAGE_SIZE = 1000;

/**
 * A TableClient that counts what it does. SDK errors pass through unchanged; the stores name them. Queries, creates and
 * transactions go through the client's pipeline without the SDK's serialization and deserialization (EntityReader,
 * EntityWriter): same requests, rows and errors. Updates, upserts and gets are the SDK's own.
 * @example const row = await table.get('runs', 'reconcile'); // undefined when missing
 */
export class CountedTable {
  private readonly reader: EntityReader;
  private readonly writer: EntityWriter;

  /** `httpClient`: where the lean requests go (tests script it); by default one shared client, as the SDK's. */
  constructor(
    readonly client: TableClient,
    private readonly counter: TableCounter,
    httpClient?: HttpClient,
  ) {
    const requests = new TableRequests(client, httpClient);
    this.reader = new EntityReader(requests);
    this.writer = new EntityWriter(requests);
  }

  get name(): string {
    return this.client.tableName;
  }

  async get(partitionKey: string, rowKey: string): Promise<StoredEntity | undefined> {
    this.counter.reads++;
    try {
      return await this.client.getEntity<Record<string, unknown>>(partitionKey, rowKey);
    } catch (error) {
      // A missing row is undefined; a missing table is a misconfiguration and must say so.
      if (statusOf(error) === 404 && codeOf(error) !== 'TableNotFound') return undefined;
      throw error;
    }
  }

  /** Every row of one partition (or of the table), page by page. */
  async *query(partitionKey?: string): AsyncGenerator<StoredEntity> {
    const filter = partitionKey === undefined ? undefined : odata`PartitionKey eq ${partitionKey}`;
    for await (const page of this.reader.pages({ filter, pageSize: PAGE_SIZE })) {
      this.counter.reads++;
      yield* page;
    }
  }

  /**
   * Which of these rows of one partition exist. One range query from the smallest to the largest key, RowKey only
   * (the service allows 15 comparisons per filter, so no `or` list): a page per 1000 rows in that range.
   */
  async existing(partitionKey: string, rowKeys: readonly string[]): Promise<Set<string>> {
    const wanted = new Set(rowKeys);
    const sorted = [...wanted].sort();
    const found = new Set<string>();
    if (sorted.length === 0) return found;
    const filter = odata`PartitionKey eq ${partitionKey} and RowKey ge ${sorted[0]} and RowKey le ${sorted[sorted.length - 1]}`;
    for await (const page of this.reader.pages({ filter, select: ['RowKey'], pageSize: PAGE_SIZE })) {
      this.counter.reads++;
      for (const { rowKey } of page) if (rowKey !== undefined && wanted.has(rowKey)) found.add(rowKey);
    }
    return found;
  }

  /** A new row: fails with the service's 409 when its keys are taken. */
  async create(entity: Entity): Promise<string> {
    this.counter.writes++;
    return this.written({ etag: await this.writer.create(entity) });
  }

  async replace(entity: Entity, etag: string): Promise<string> {
    this.counter.writes++;
    return this.written(await this.client.updateEntity(entity, 'Replace', { etag }));
  }

  async upsert(entity: Entity, mode: 'Replace' | 'Merge' = 'Replace'): Promise<string> {
    this.counter.writes++;
    return this.written(await this.client.upsertEntity(entity, mode));
  }

  /** One entity group transaction: all or nothing. Returns the new ETag of each row, in order. */
  async transaction(actions: TransactionAction[]): Promise<string[]> {
    this.counter.batches++;
    const subResponses = await this.writer.transaction(actions);
    this.counter.entitiesWritten += actions.length;
    // Sub-responses come in request order (a delete's carries no ETag).
    return actions.map((_, i) => subResponses[i]?.etag ?? '');
  }

  private written(response: { etag?: string }): string {
    this.counter.entitiesWritten++;
    return response.etag ?? '';
  }
}

/** A transaction holds at most 100 operations and 4 MiB; keep well under the latter (JSON and multipart overhead). */
const MAX_BATCH_OPERATIONS = 100;
const MAX_BATCH_BYTES = 3_000_000;

/**
 * Splits entities of one partition into groups a transaction accepts.
 * @example batchesOf(entities, (e) => entitySizeBytes(e)) // [[...100], [...100], [...50]]
 */
export function batchesOf<T>(items: readonly T[], sizeBytes: (item: T) => number): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeBytes(item);
    if (current.length > 0 && (current.length >= MAX_BATCH_OPERATIONS || bytes + size > MAX_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
