import type { DrillRecord } from '../../../domain/drills.js';
import type { DrillsPort } from '../../../ports/drills.js';
import type { CountedTable, Entity } from './countedTable.js';
import { statusOf } from '../errors.js';
import { tableError } from './tableErrors.js';
import { encodeKey } from './tableKeys.js';
import { getJson, putJson } from './tableFields.js';

export const DRILLS_PARTITION = 'drills';
export const CLAIMS_PARTITION = 'claims';
const DAY_MS = 86_400_000;

/** A drill row: searchable columns plus the whole record as JSON (split over properties when long). */
export function drillEntity(record: DrillRecord): Entity {
  const entity: Entity = {
    partitionKey: DRILLS_PARTITION,
    rowKey: encodeKey(record.id),
    sourceId: record.sourceId,
    plan: record.plan,
    status: record.status,
    startedAt: record.startedAt,
  };
  putJson(entity, 'record', record);
  return entity;
}

export function fromDrillEntity(entity: Record<string, unknown>): DrillRecord | undefined {
  return getJson<DrillRecord>(entity, 'record');
}

const newestFirst = (a: DrillRecord, b: DrillRecord): number =>
  a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : a.id < b.id ? 1 : -1;

/**
 * Drills in Table Storage: PartitionKey `drills` (RowKey the drill id) and `claims` (RowKey the source key). A claim is
 * an insert (409 when another drill holds it), so two runners never both start a drill of one server.
 */
export class DrillsTable implements DrillsPort {
  constructor(private readonly table: CountedTable) {}

  async get(id: string): Promise<DrillRecord | undefined> {
    try {
      const entity = await this.table.get(DRILLS_PARTITION, encodeKey(id));
      return entity ? fromDrillEntity(entity) : undefined;
    } catch (error) {
      throw tableError('Drills', 'get', id, error);
    }
  }

  async list(options: { sourceId?: string } = {}): Promise<DrillRecord[]> {
    const records: DrillRecord[] = [];
    try {
      for await (const entity of this.table.query(DRILLS_PARTITION)) {
        const record = fromDrillEntity(entity);
        if (record && (!options.sourceId || record.sourceId.toLowerCase() === options.sourceId.toLowerCase()))
          records.push(record);
      }
    } catch (error) {
      throw tableError('Drills', 'list', DRILLS_PARTITION, error);
    }
    return records.sort(newestFirst);
  }

  async put(record: DrillRecord): Promise<void> {
    try {
      await this.table.upsert(drillEntity(record), 'Replace');
    } catch (error) {
      throw tableError('Drills', 'put', record.id, error);
    }
  }

  async claim(sourceKey: string, drillId: string, at: Date, staleAfterMs = DAY_MS): Promise<boolean> {
    const entity: Entity = {
      partitionKey: CLAIMS_PARTITION,
      rowKey: encodeKey(sourceKey),
      drillId,
      claimedAt: at.toISOString(),
    };
    try {
      await this.table.create(entity);
      return true;
    } catch (error) {
      if (statusOf(error) !== 409) throw tableError('Drills', 'claim', sourceKey, error);
    }
    const held = await this.table.get(CLAIMS_PARTITION, encodeKey(sourceKey));
    if (!held) return this.claim(sourceKey, drillId, at, staleAfterMs);
    const claimedAt = Date.parse(String(held.claimedAt));
    if (held.drillId === drillId) return true;
    if (!(at.getTime() - claimedAt > staleAfterMs) || !held.etag) return false;
    try {
      await this.table.replace(entity, held.etag);
      return true;
    } catch {
      return false;
    }
  }

  async release(sourceKey: string, drillId: string): Promise<void> {
    const held = await this.table.get(CLAIMS_PARTITION, encodeKey(sourceKey));
    if (!held || held.drillId !== drillId) return;
    try {
      await this.table.client.deleteEntity(CLAIMS_PARTITION, encodeKey(sourceKey), { etag: held.etag });
    } catch (error) {
      if (statusOf(error) !== 404 && statusOf(error) !== 412) throw tableError('Drills', 'release', sourceKey, error);
    }
  }
}
