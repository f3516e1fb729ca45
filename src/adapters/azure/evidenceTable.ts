import type { EvidenceEntry } from '../../domain/model.js';
import { compareEvidence } from '../../ports/inventory.js';
import type { EvidencePort } from '../../ports/inventory.js';
import { batchesOf } from './countedTable.js';
import type { CountedTable, Entity } from './countedTable.js';
import { fromEvidenceEntity, groupByServer, toEvidenceEntity } from './evidenceEntity.js';
import { statusOf, tableError } from './tableErrors.js';
import { encodeKey } from './tableKeys.js';

/**
 * Append-only evidence in Table Storage, insert-if-absent by (serverKey, id).
 * New entries of one server go in one transaction per 100; when a transaction meets an entry already there
 * (a replay: the whole transaction fails with 409), that group is written entity by entity, each 409 counted
 * as already present. A first delivery costs one request per 100 entries; a replay costs 1 + n.
 * @example await new EvidenceTable(table).append(entries) // { written: 3, alreadyPresent: 0 }
 */
export class EvidenceTable implements EvidencePort {
  constructor(private readonly table: CountedTable) {}

  async append(entries: readonly EvidenceEntry[]): Promise<{ written: number; alreadyPresent: number }> {
    const result = { written: 0, alreadyPresent: 0 };
    for (const group of groupByServer(entries, result).values()) {
      const entities = group.map(toEvidenceEntity);
      for (const batch of batchesOf(entities, (e) => Buffer.byteLength(JSON.stringify(e)) + 200)) {
        if (batch.length > 1 && (await this.tryBatch(batch))) {
          result.written += batch.length;
          continue;
        }
        for (const entity of batch) {
          if (await this.createOne(entity)) result.written++;
          else result.alreadyPresent++;
        }
      }
    }
    return result;
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
