import type { EvidenceEntry } from '../../../domain/model.js';
import type { Entity } from './countedTable.js';
import { encodeKey } from './tableKeys.js';
import { entitySizeBytes, fittedEvidence, getJson, MAX_ENTITY_BYTES, putLongString } from './tableFields.js';

/**
 * One evidence row: PartitionKey = the encoded server key, RowKey = the encoded entry id. The RowKey holds no time,
 * so a replay of the same id (even with another `at`) lands on the same row and writes nothing; `list` sorts by `at`.
 * @example toEvidenceEntity({ serverKey, id: 'tag:corr-1', ... }) // { partitionKey: '|subscriptions|...', rowKey: 'tag:corr-1', ... }
 */
export function toEvidenceEntity(entry: EvidenceEntry): Entity {
  // fitEvidence's entry, written as its JSON is made (not parsed back to be written again).
  const { fields, json } = fittedEvidence(entry);
  const entity: Entity = { partitionKey: encodeKey(entry.serverKey), rowKey: encodeKey(entry.id), ...fields };
  for (const name of ['before', 'after', 'details'] as const) {
    const text = json[name];
    if (text !== undefined) putLongString(entity, name, text);
  }
  const size = entitySizeBytes(entity);
  if (size > MAX_ENTITY_BYTES) {
    throw new Error(
      `Evidence ${entry.id} for ${entry.serverKey} would be ${size} bytes; Table Storage takes at most ${MAX_ENTITY_BYTES}`,
    );
  }
  return entity;
}

export function fromEvidenceEntity(entity: Record<string, unknown>): EvidenceEntry {
  const text = (name: string) => (typeof entity[name] === 'string' ? entity[name] : '');
  const before = getJson(entity, 'before');
  const after = getJson(entity, 'after');
  const details = getJson(entity, 'details');
  return {
    serverKey: text('serverKey'),
    id: text('id'),
    at: text('at'),
    actor: text('actor'),
    kind: text('kind'),
    summary: text('summary'),
    ...(typeof entity.reason === 'string' ? { reason: entity.reason } : {}),
    ...(before === undefined ? {} : { before }),
    ...(after === undefined ? {} : { after }),
    ...(details === undefined ? {} : { details }),
  };
}

/**
 * Entries grouped by server, an id repeated within the call kept once (the first) and counted as already present.
 * Shared with the memory twin so both count the same.
 */
export function groupByServer(
  entries: readonly EvidenceEntry[],
  result: { alreadyPresent: number },
): Map<string, EvidenceEntry[]> {
  const groups = new Map<string, EvidenceEntry[]>();
  const seen = new Set<string>();
  for (const entry of entries) {
    const identity = `${entry.serverKey}\n${entry.id}`;
    if (seen.has(identity)) {
      result.alreadyPresent++;
      continue;
    }
    seen.add(identity);
    const group = groups.get(entry.serverKey);
    if (group) group.push(entry);
    else groups.set(entry.serverKey, [entry]);
  }
  return groups;
}
