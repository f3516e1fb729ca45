import { ConcurrencyError } from '../../ports/inventory.js';
import type { CheckpointsPort, Versioned } from '../../ports/inventory.js';
import type { Entity } from '../azure/tables/countedTable.js';
import { fromCheckpointEntity, toCheckpointEntity } from '../azure/tables/checkpointsTable.js';
import { nextEtag, settle } from './memoryEtags.js';

/**
 * The checkpoints twin: same size limit, same ETag semantics as Table Storage.
 * @example const etag = await checkpoints.set('reconcile:activity-log', at, { ifMatch: null });
 */
export class MemoryCheckpoints implements CheckpointsPort {
  private readonly rows = new Map<string, { entity: Entity; etag: string }>();

  get(name: string): Promise<Versioned<string> | undefined> {
    const row = this.rows.get(name);
    return Promise.resolve(row && { value: fromCheckpointEntity(row.entity), etag: row.etag });
  }

  set(name: string, value: string, options: { ifMatch?: string | null } = {}): Promise<string> {
    return settle(() => {
      const entity = toCheckpointEntity(name, value);
      const current = this.rows.get(name);
      const stale =
        options.ifMatch === null
          ? current !== undefined
          : typeof options.ifMatch === 'string' && current?.etag !== options.ifMatch;
      if (stale) throw new ConcurrencyError(name, { what: 'Checkpoint' });
      const etag = nextEtag();
      this.rows.set(name, { entity, etag });
      return etag;
    });
  }
}
