import type { EvidenceEntry } from '../../domain/model.js';
import { compareEvidence } from '../../ports/inventory.js';
import type { EvidencePort } from '../../ports/inventory.js';
import type { Entity } from '../azure/tables/countedTable.js';
import { fromEvidenceEntity, groupByServer, toEvidenceEntity } from '../azure/tables/evidenceEntity.js';
import { settle } from './memoryEtags.js';

/**
 * The evidence twin: insert-if-absent by (serverKey, id), the same size rules (huge details become a
 * truncation marker), `list` oldest first.
 * @example await new MemoryEvidence().append([entry, entry]) // { written: 1, alreadyPresent: 1 }
 */
export class MemoryEvidence implements EvidencePort {
  private readonly servers = new Map<string, Map<string, Entity>>();

  append(entries: readonly EvidenceEntry[]): Promise<{ written: number; alreadyPresent: number }> {
    return settle(() => {
      const result = { written: 0, alreadyPresent: 0 };
      for (const [serverKey, group] of groupByServer(entries, result)) {
        const entities = group.map(toEvidenceEntity);
        const rows = this.servers.get(serverKey) ?? new Map<string, Entity>();
        this.servers.set(serverKey, rows);
        for (const entity of entities) {
          const id = String(entity.id);
          if (rows.has(id)) {
            result.alreadyPresent++;
          } else {
            rows.set(id, entity);
            result.written++;
          }
        }
      }
      return result;
    });
  }

  list(serverKey: string): Promise<EvidenceEntry[]> {
    const rows = this.servers.get(serverKey) ?? new Map<string, Entity>();
    return Promise.resolve([...rows.values()].map(fromEvidenceEntity).sort(compareEvidence));
  }
}
