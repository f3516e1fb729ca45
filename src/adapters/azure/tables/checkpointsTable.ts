import { CHECKPOINT_VALUE_MAX_BYTES, ConcurrencyError } from '../../../ports/inventory.js';
import type { CheckpointsPort, Versioned } from '../../../ports/inventory.js';
import type { CountedTable, Entity } from './countedTable.js';
import { statusOf } from '../errors.js';
import { tableError } from './tableErrors.js';
import { encodeKey } from './tableKeys.js';
import { JSON_CHUNK_CHARS } from './tableFields.js';

export const CHECKPOINTS_PARTITION = 'checkpoints';
/** Binary properties hold at most 64 KiB each. */
const BYTES_PER_PART = 64_000;

/**
 * Named values in Table Storage (PartitionKey 'checkpoints', RowKey the encoded name), with ETags like inventory.
 * A value up to 32K characters is one readable string property `value`; a longer one is stored as UTF-8 in
 * binary properties `bytes__0..n` (64 KB each), up to CHECKPOINT_VALUE_MAX_BYTES.
 * @example const etag = await checkpoints.set('prices', json, { ifMatch: previous?.etag ?? null });
 */
export class CheckpointsTable implements CheckpointsPort {
  constructor(private readonly table: CountedTable) {}

  async get(name: string): Promise<Versioned<string> | undefined> {
    try {
      const entity = await this.table.get(CHECKPOINTS_PARTITION, encodeKey(name));
      return entity && { value: fromCheckpointEntity(entity), etag: entity.etag };
    } catch (error) {
      throw tableError('Checkpoints', 'get', name, error);
    }
  }

  async set(name: string, value: string, options: { ifMatch?: string | null } = {}): Promise<string> {
    const entity = toCheckpointEntity(name, value);
    try {
      if (options.ifMatch === undefined) return await this.table.upsert(entity);
      if (options.ifMatch === null) return await this.table.create(entity);
      return await this.table.replace(entity, options.ifMatch);
    } catch (error) {
      const status = statusOf(error);
      const conflict =
        options.ifMatch === null ? status === 409 : options.ifMatch !== undefined && (status === 412 || status === 404);
      if (conflict) throw new ConcurrencyError(name, { cause: error, what: 'Checkpoint' });
      throw tableError('Checkpoints', 'set', name, error);
    }
  }
}

export function toCheckpointEntity(name: string, value: string): Entity {
  const entity: Entity = { partitionKey: CHECKPOINTS_PARTITION, rowKey: encodeKey(name), name };
  if (value.length <= JSON_CHUNK_CHARS) {
    entity.value = value;
    return entity;
  }
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.byteLength > CHECKPOINT_VALUE_MAX_BYTES) {
    throw new Error(
      `Checkpoint ${name} is ${bytes.byteLength} bytes; one table row holds at most ${CHECKPOINT_VALUE_MAX_BYTES}`,
    );
  }
  const parts = Math.ceil(bytes.byteLength / BYTES_PER_PART);
  for (let i = 0; i < parts; i++)
    entity[`bytes__${i}`] = new Uint8Array(bytes.subarray(i * BYTES_PER_PART, (i + 1) * BYTES_PER_PART));
  entity.bytes__parts = parts;
  return entity;
}

export function fromCheckpointEntity(entity: Record<string, unknown>): string {
  if (typeof entity.value === 'string') return entity.value;
  const parts = typeof entity.bytes__parts === 'number' ? entity.bytes__parts : 0;
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < parts; i++) {
    const part = entity[`bytes__${i}`];
    if (!(part instanceof Uint8Array))
      throw new Error(`Checkpoint ${String(entity.name)} is missing part ${i} of ${parts}`);
    chunks.push(part);
  }
  return Buffer.concat(chunks).toString('utf8');
}
