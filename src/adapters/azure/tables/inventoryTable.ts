import { groupBy } from '../../../domain/collections.js';
import type { TransactionAction } from '@azure/data-tables';
import type { InventoryRecord } from '../../../domain/model.js';
import { ConcurrencyError } from '../../../ports/inventory.js';
import type { InventoryPort, InventoryWrite, InventoryWriteOutcome, Versioned } from '../../../ports/inventory.js';
import { batchesOf } from './countedTable.js';
import type { CountedTable, Entity } from './countedTable.js';
import { byKey, checkedWrites, fromInventoryEntity, toInventoryEntity } from './inventoryEntity.js';
import { statusOf } from '../errors.js';
import { tableError } from './tableErrors.js';
import { encodeKey, inventoryPartition } from './tableKeys.js';

/** Status codes that mean "the row is not the version you expected". */
const CONFLICT_ON_CREATE = 409;
const CONFLICT_ON_UPDATE = new Set([404, 412]);

/**
 * Inventory in Table Storage: one partition per subscription, one row per server.
 * @example const inventory = new InventoryTable(table); await inventory.list({ subscriptionId });
 */
export class InventoryTable implements InventoryPort {
  constructor(private readonly table: CountedTable) {}

  async get(key: string): Promise<Versioned<InventoryRecord> | undefined> {
    const partition = inventoryPartition(key);
    if (partition === undefined) return undefined;
    try {
      const entity = await this.table.get(partition, encodeKey(key));
      return entity && { value: fromInventoryEntity(entity), etag: entity.etag };
    } catch (error) {
      throw tableError('Inventory', 'get', key, error);
    }
  }

  async list(options: { subscriptionId?: string } = {}): Promise<InventoryRecord[]> {
    return (await this.listVersioned(options)).map((row) => row.value);
  }

  async listVersioned(options: { subscriptionId?: string } = {}): Promise<Versioned<InventoryRecord>[]> {
    const partition = options.subscriptionId?.trim().toLowerCase();
    const rows: Versioned<InventoryRecord>[] = [];
    try {
      for await (const entity of this.table.query(partition))
        rows.push({ value: fromInventoryEntity(entity), etag: entity.etag });
    } catch (error) {
      throw tableError('Inventory', 'list', partition ?? 'every subscription', error);
    }
    return rows.sort(byKey);
  }

  async upsert(record: InventoryRecord, options: { ifMatch?: string | null } = {}): Promise<string> {
    const entity = toInventoryEntity(record);
    try {
      if (options.ifMatch === undefined) return await this.table.upsert(entity);
      if (options.ifMatch === null) return await this.table.create(entity);
      return await this.table.replace(entity, options.ifMatch);
    } catch (error) {
      if (isConflict(error, options.ifMatch)) throw new ConcurrencyError(record.key, { cause: error });
      throw tableError('Inventory', 'upsert', record.key, error);
    }
  }

  async upsertMany(writes: readonly InventoryWrite[]): Promise<InventoryWriteOutcome[]> {
    const prepared = checkedWrites(writes).map((write, index) => ({
      write,
      index,
      entity: toInventoryEntity(write.record),
    }));
    const outcomes: InventoryWriteOutcome[] = new Array<InventoryWriteOutcome>(writes.length);
    for (const group of groupBy(prepared, (item) => item.entity.partitionKey ?? '').values()) {
      for (const batch of batchesOf(group, (item) => Buffer.byteLength(JSON.stringify(item.entity)) + 200)) {
        if (batch.length === 1 || !(await this.tryBatch(batch, outcomes))) {
          // One row, or a batch that failed on a conflict: write row by row so only the stale rows lose.
          for (const item of batch) outcomes[item.index] = await this.upsertOne(item.write);
        }
      }
    }
    return outcomes;
  }

  /** True when the batch was written; false when a row conflicted (nothing was written). */
  private async tryBatch(
    batch: { write: InventoryWrite; index: number; entity: Entity }[],
    outcomes: InventoryWriteOutcome[],
  ): Promise<boolean> {
    const actions: TransactionAction[] = batch.map(({ write, entity }): TransactionAction => {
      if (write.ifMatch === undefined) return ['upsert', entity, 'Replace'];
      if (write.ifMatch === null) return ['create', entity];
      return ['update', entity, 'Replace', { etag: write.ifMatch }];
    });
    try {
      const etags = await this.table.transaction(actions);
      batch.forEach((item, i) => (outcomes[item.index] = { key: item.write.record.key, etag: etags[i] ?? '' }));
      return true;
    } catch (error) {
      if ([409, 404, 412].includes(statusOf(error) ?? 0)) return false;
      throw tableError(
        'Inventory',
        `batch upsert of ${batch.length} rows`,
        `subscription ${batch[0]?.entity.partitionKey}`,
        error,
      );
    }
  }

  private async upsertOne(write: InventoryWrite): Promise<InventoryWriteOutcome> {
    try {
      return {
        key: write.record.key,
        etag: await this.upsert(write.record, write.ifMatch === undefined ? {} : { ifMatch: write.ifMatch }),
      };
    } catch (error) {
      if (error instanceof ConcurrencyError) return { key: write.record.key, conflict: error };
      throw error;
    }
  }
}

function isConflict(error: unknown, ifMatch: string | null | undefined): boolean {
  const status = statusOf(error) ?? 0;
  if (ifMatch === null) return status === CONFLICT_ON_CREATE;
  return ifMatch !== undefined && CONFLICT_ON_UPDATE.has(status);
}
