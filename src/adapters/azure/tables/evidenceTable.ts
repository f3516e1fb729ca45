import type { EvidenceEntry } from '../../../domain/model.js';
import { compareEvidence } from '../../../ports/inventory.js';
import type { EvidencePort } from '../../../ports/inventory.js';
import { batchesOf } from './countedTable.js';
import type { CountedTable, Entity } from './countedTable.js';
import { fromEvidenceEntity, groupByServer, toEvidenceEntity } from './evidenceEntity.js';
import { statusOf } from '../errors.js';
import { tableError } from './tableErrors.js';
import { encodeKey } from './tableKeys.js';

/**
 * Append-only evidence in Table Storage, insert-if-absent by (serverKey, id).
 * New entries of one server go in one transaction per 100 (a single entry in one create). A transaction that meets
 * an entry already there (a replay) fails whole with 409: then one range query finds which exist and one more
 * transaction writes the rest. Cost per 100 entries: 1 request when new, 2 when all are replayed, 3 when mixed
 * (row-by-row creates, 1 + n, would be 101 for a replay of 100).
 * @example await new EvidenceTable(table).append(entries) // { written: 3, alreadyPresent: 0 }
 */
export class EvidenceTable implements EvidencePort {
  constructor(private readonly table: CountedTable) {}

  async append(entries: readonly EvidenceEntry[]): Promise<{ written: number; alreadyPresent: number }> {
    const result = { written: 0, alreadyPresent: 0 };
    for (const group of groupByServer(entries, result).values()) {
      // In key order, so each transaction covers a narrow key range and its existence check reads little.
      const entities = group.map(toEvidenceEntity).sort((a, b) => ((a.rowKey ?? '') < (b.rowKey ?? '') ? -1 : 1));
      for (const batch of batchesOf(entities, (e) => Buffer.byteLength(JSON.stringify(e)) + 200)) {
        const added = await this.insertIfAbsent(batch);
        result.written += added;
        result.alreadyPresent += batch.length - added;
      }
    }
    return result;
  }

  /**
   * Writes the entities of one partition that are not there yet; returns how many it wrote.
   * Optimistic: one transaction. When it meets an existing row (a replay), read which rows exist (one range
   * query) and write only the others in one more transaction; if that races with another writer too, go row by row.
   */
  private async insertIfAbsent(batch: Entity[]): Promise<number> {
    if (batch.length === 1) return (await this.createOne(batch[0]!)) ? 1 : 0;
    if (await this.tryBatch(batch)) return batch.length;
    const partitionKey = batch[0]?.partitionKey ?? '';
    let present: Set<string>;
    try {
      present = await this.table.existing(
        partitionKey,
        batch.map((e) => e.rowKey ?? ''),
      );
    } catch (error) {
      throw tableError('Evidence', 'append (existence check)', String(batch[0]?.serverKey), error);
    }
    const missing = batch.filter((entity) => !present.has(entity.rowKey ?? ''));
    if (missing.length === 0) return 0;
    if (missing.length > 1 && (await this.tryBatch(missing))) return missing.length;
    let written = 0;
    for (const entity of missing) if (await this.createOne(entity)) written++;
    return written;
  }

  async list(serverKey: string): Promise<EvidenceEntry[]> {
    const entries: EvidenceEntry[] = [];
    try {
      for await (const entity of this.table.query(encodeKey(serverKey))) entries.push(fromEvidenceEntity(entity));
    } catch (error) {
      throw tableError('Evidence', 'list', serverKey, error);
    }
    return entries.sort(compareEvidence);
  }

  /** False when an entry of the batch was already there (the transaction then wrote nothing). */
  private async tryBatch(batch: Entity[]): Promise<boolean> {
    try {
      await this.table.transaction(batch.map((entity) => ['create', entity]));
      return true;
    } catch (error) {
      if (statusOf(error) === 409) return false;
      throw tableError('Evidence', `append of ${batch.length} entries`, String(batch[0]?.serverKey), error);
    }
  }

  /** True when written, false when an entry with that id was already there. */
  private async createOne(entity: Entity): Promise<boolean> {
    try {
      await this.table.create(entity);
      return true;
    } catch (error) {
      if (statusOf(error) === 409) return false;
      throw tableError('Evidence', `append of ${String(entity.id)}`, String(entity.serverKey), error);
    }
  }
}
