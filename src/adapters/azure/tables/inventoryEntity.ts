import { DEFAULT_ENGINE, isEngine } from '../../../domain/engines.js';
import { engineOfId } from '../../../domain/ids.js';
import type { InventoryRecord } from '../../../domain/model.js';
import type { InventoryWrite, Versioned } from '../../../ports/inventory.js';
import type { Entity } from './countedTable.js';
import { encodeKey, inventoryPartition, partitionOfRecord } from './tableKeys.js';
import { entitySizeBytes, getJson, MAX_ENTITY_BYTES, putJson } from './tableFields.js';

/** Plain (string, number, boolean) fields of a record, stored as properties of the same name. */
const SCALARS = [
  'key',
  'id',
  'engine',
  'subscriptionId',
  'resourceGroup',
  'name',
  'location',
  'classification',
  'owner',
  'ownerSource',
  'expiresOn',
  'expiresOnTag',
  'compliant',
  'skuName',
  'skuTier',
  'storageSizeGb',
  'createdAt',
  'state',
  'serverState',
  'lockSignature',
  'checkedAt',
  'firstSeenAt',
  'observedAt',
  'updatedAt',
  'deletedAt',
  'deletedBy',
  'deleteReason',
] as const satisfies readonly (keyof InventoryRecord)[];

/** Structured fields, stored as JSON strings (split when long). */
const STRUCTURED = [
  'classificationEvidence',
  'proof',
  'decisions',
  'lineage',
  'violations',
  'noticesSent',
  'tags',
  'exposure',
] as const satisfies readonly (keyof InventoryRecord)[];

/**
 * One inventory row: PartitionKey = subscription id, RowKey = the encoded server key.
 * @example toInventoryEntity(record) // { partitionKey: '0000...', rowKey: '|subscriptions|0000...|flexibleservers|pg', ... }
 */
export function toInventoryEntity(record: InventoryRecord): Entity {
  const entity: Entity = { partitionKey: partitionOfRecord(record), rowKey: encodeKey(record.key) };
  for (const field of SCALARS) {
    const value = record[field];
    if (value !== undefined && value !== null) entity[field] = value;
  }
  for (const field of STRUCTURED) putJson(entity, field, record[field]);
  const size = entitySizeBytes(entity);
  if (size > MAX_ENTITY_BYTES) {
    throw new Error(
      `Inventory row for ${record.key} would be ${size} bytes; Table Storage takes at most ${MAX_ENTITY_BYTES}`,
    );
  }
  return entity;
}

export function fromInventoryEntity(entity: Record<string, unknown>): InventoryRecord {
  const record: Record<string, unknown> = {};
  for (const field of SCALARS) {
    const value = entity[field];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') record[field] = value;
  }
  record.classificationEvidence = getJson<string[]>(entity, 'classificationEvidence') ?? [];
  // Rows written before proof was recorded have none: proofOfRecord migrates them when they are read for a decision.
  const proof = getJson(entity, 'proof');
  if (proof !== undefined) record.proof = proof;
  const decisions = getJson(entity, 'decisions');
  if (decisions !== undefined) record.decisions = decisions;
  record.lineage = getJson(entity, 'lineage') ?? {};
  record.violations = getJson(entity, 'violations') ?? [];
  record.noticesSent = getJson(entity, 'noticesSent') ?? [];
  record.tags = getJson(entity, 'tags') ?? {};
  const exposure = getJson(entity, 'exposure');
  if (exposure !== undefined) record.exposure = exposure;
  record.compliant = entity.compliant === true;
  // Rows written before engines existed have no engine column: they are PostgreSQL (their ids say so too).
  if (!isEngine(record.engine))
    record.engine = (typeof record.id === 'string' ? engineOfId(record.id) : undefined) ?? DEFAULT_ENGINE;
  return record as unknown as InventoryRecord;
}

/** Rejects a key written twice in one call: a transaction cannot touch one row twice, and the intent is unclear. */
export function checkedWrites(writes: readonly InventoryWrite[]): readonly InventoryWrite[] {
  const seen = new Set<string>();
  for (const { record } of writes) {
    if (seen.has(record.key))
      throw new Error(`Inventory upsertMany got ${record.key} twice; write each row once per call`);
    seen.add(record.key);
  }
  return writes;
}

export function byKey(a: Versioned<InventoryRecord>, b: Versioned<InventoryRecord>): number {
  const pa = inventoryPartition(a.value.key) ?? '';
  const pb = inventoryPartition(b.value.key) ?? '';
  if (pa !== pb) return pa < pb ? -1 : 1;
  return a.value.key < b.value.key ? -1 : a.value.key > b.value.key ? 1 : 0;
}
