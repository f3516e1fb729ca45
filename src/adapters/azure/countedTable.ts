import { odata } from '@azure/data-tables';
import type { TableClient, TableEntity, TableEntityResult, TransactionAction } from '@azure/data-tables';
import { statusOf } from './tableErrors.js';
import type { TableCounter } from './tableStats.js';

export type Entity = TableEntity<Record<string, unknown>>;
export type StoredEntity = TableEntityResult<Record<string, unknown>>;

/** Rows per query page: the service maximum. */
const PAGE_SIZE = 1000;

/**
 * A TableClient that counts what it does. SDK errors pass through unchanged; the stores name them.
 * @example const row = await table.get('runs', 'reconcile'); // undefined when missing
 */
export class CountedTable {
  constructor(
    readonly client: TableClient,
    private readonly counter: TableCounter,
  ) {}

  get name(): string {
    return this.client.tableName;
  }

  async get(partitionKey: string, rowKey: string): Promise<StoredEntity | undefined> {
    this.counter.reads++;
    try {
      return await this.client.getEntity<Record<string, unknown>>(partitionKey, rowKey);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Every row of one partition (or of the table), page by page. */
  async *query(partitionKey?: string): AsyncGenerator<StoredEntity> {
    const filter = partitionKey === undefined ? undefined : odata`PartitionKey eq ${partitionKey}`;
    const pages = this.client.listEntities<Record<string, unknown>>(filter ? { queryOptions: { filter } } : {}).byPage({ maxPageSize: PAGE_SIZE });
    for await (const page of pages) {
      this.counter.reads++;
      yield* page;
    }
  }

  async create(entity: Entity): Promise<string> {
    this.counter.writes++;
    return this.written(await this.client.createEntity(entity));
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
    const response = await this.client.submitTransaction(actions);
    this.counter.entitiesWritten += actions.length;
    return actions.map(([, entity]) => response.getResponseForEntity(entity.rowKey ?? '')?.etag ?? '');
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
