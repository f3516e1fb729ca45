import type { DrillRecord } from '../../domain/drills.js';
import type { DrillsPort } from '../../ports/drills.js';
import { jsonCopy } from '../azure/tables/tableFields.js';

/**
 * The drills twin for unit tests: records by id, one claim per source.
 * @example const drills = new MemoryDrills(); await drills.claim(key, 'd1', now) // true; await drills.claim(key, 'd2', now) // false
 */
export class MemoryDrills implements DrillsPort {
  private readonly records = new Map<string, DrillRecord>();
  private readonly claims = new Map<string, { drillId: string; at: Date }>();

  get(id: string): Promise<DrillRecord | undefined> {
    const record = this.records.get(id);
    return Promise.resolve(record ? jsonCopy(record) : undefined);
  }

  list(options: { sourceId?: string } = {}): Promise<DrillRecord[]> {
    const all = [...this.records.values()].filter(
      (r) => !options.sourceId || r.sourceId.toLowerCase() === options.sourceId.toLowerCase(),
    );
    return Promise.resolve(all.sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1)).map((r) => jsonCopy(r)));
  }

  put(record: DrillRecord): Promise<void> {
    this.records.set(record.id, jsonCopy(record));
    return Promise.resolve();
  }

  claim(sourceKey: string, drillId: string, at: Date, staleAfterMs = 86_400_000): Promise<boolean> {
    const held = this.claims.get(sourceKey);
    if (held && held.drillId !== drillId && at.getTime() - held.at.getTime() <= staleAfterMs)
      return Promise.resolve(false);
    this.claims.set(sourceKey, { drillId, at });
    return Promise.resolve(true);
  }

  release(sourceKey: string, drillId: string): Promise<void> {
    if (this.claims.get(sourceKey)?.drillId === drillId) this.claims.delete(sourceKey);
    return Promise.resolve();
  }
}
