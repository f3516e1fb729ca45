import type { InventoryRecord } from '../../domain/model.js';
import { ConcurrencyError } from '../../ports/inventory.js';
import type { InventoryPort, InventoryWrite, InventoryWriteOutcome, Versioned } from '../../ports/inventory.js';
import type { Entity } from '../azure/tables/countedTable.js';
import { byKey, checkedWrites, fromInventoryEntity, toInventoryEntity } from '../azure/tables/inventoryEntity.js';
import { inventoryPartition } from '../azure/tables/tableKeys.js';
import { nextEtag, settle } from './memoryEtags.js';

/**
 * The inventory twin for tests: rows go through the same entity encoding as Table Storage (same checks, same
 * round trip), ETags change on every write, conflicts throw ConcurrencyError the same way.
 * @example const inventory = new MemoryInventory(); const etag = await inventory.upsert(record, { ifMatch: null });
 */
export class MemoryInventory implements InventoryPort {
  private readonly rows = new Map<string, { entity: Entity; etag: string }>();

  get(key: string): Promise<Versioned<InventoryRecord> | undefined> {
    const row = this.rows.get(key);
    return Promise.resolve(row && { value: fromInventoryEntity(row.entity), etag: row.etag });
  }

  async list(options: { subscriptionId?: string } = {}): Promise<InventoryRecord[]> {
    return (await this.listVersioned(options)).map((row) => row.value);
  }

  listVersioned(options: { subscriptionId?: string } = {}): Promise<Versioned<InventoryRecord>[]> {
    const partition = options.subscriptionId?.trim().toLowerCase();
    const rows = [...this.rows.entries()]
      .filter(([key]) => partition === undefined || inventoryPartition(key) === partition)
      .map(([, row]) => ({ value: fromInventoryEntity(row.entity), etag: row.etag }));
    return Promise.resolve(rows.sort(byKey));
  }

  upsert(record: InventoryRecord, options: { ifMatch?: string | null } = {}): Promise<string> {
    return settle(() => this.write(record, options.ifMatch));
  }

  upsertMany(writes: readonly InventoryWrite[]): Promise<InventoryWriteOutcome[]> {
    return settle(() => {
      // Encode everything first: like the table adapter, a record that cannot be stored fails the call before any write.
      checkedWrites(writes).forEach((write) => toInventoryEntity(write.record));
      return writes.map((write): InventoryWriteOutcome => {
        try {
          return { key: write.record.key, etag: this.write(write.record, write.ifMatch) };
        } catch (error) {
          if (error instanceof ConcurrencyError) return { key: write.record.key, conflict: error };
          throw error;
        }
      });
    });
  }

  private write(record: InventoryRecord, ifMatch: string | null | undefined): string {
    const entity = toInventoryEntity(record);
    const current = this.rows.get(record.key);
    if (ifMatch === null && current) throw new ConcurrencyError(record.key);
    if (typeof ifMatch === 'string' && current?.etag !== ifMatch) throw new ConcurrencyError(record.key);
    const etag = nextEtag();
    this.rows.set(record.key, { entity, etag });
    return etag;
  }
}
