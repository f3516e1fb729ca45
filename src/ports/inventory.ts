import type { EvidenceEntry, InventoryRecord } from '../domain/model.js';
import type { JobRunFacts } from '../domain/operator.js';

/** Thrown by `upsert` when the row changed since it was read (Table Storage answered 412). */
export class ConcurrencyError extends Error {
  override name = 'ConcurrencyError';
  /** `what` names the kind of row in the message (default "Inventory row"; checkpoints pass "Checkpoint"). */
  constructor(
    readonly key: string,
    options?: { cause?: unknown; what?: string },
  ) {
    super(
      `${options?.what ?? 'Inventory row'} for ${key} changed since it was read; re-read and decide again`,
      options,
    );
  }
}

export interface Versioned<T> {
  readonly value: T;
  /** Opaque version (the Table Storage ETag); pass back as `ifMatch` to write only over what was read. */
  readonly etag: string;
}

/**
 * One row per server the warden has seen.
 * @example
 *   const row = await inventory.get(key);
 *   await inventory.upsert({ ...row.value, owner }, { ifMatch: row.etag });
 */
export interface InventoryPort {
  /** Undefined when the server was never seen. */
  get(key: string): Promise<Versioned<InventoryRecord> | undefined>;
  /** Every row, optionally only one subscription's. */
  list(options?: { subscriptionId?: string }): Promise<InventoryRecord[]>;
  /**
   * Inserts or replaces the row. With `ifMatch` it writes only over that version (throws ConcurrencyError
   * otherwise); with `ifMatch: null` it inserts only when no row exists (ConcurrencyError when one does).
   * Returns the new version.
   */
  upsert(record: InventoryRecord, options?: { ifMatch?: string | null }): Promise<string>;
  /** Like `list`, with each row's version, so a reconcile can write back only over what it read. */
  listVersioned(options?: { subscriptionId?: string }): Promise<Versioned<InventoryRecord>[]>;
  /**
   * Many upserts, batched per subscription where Table Storage allows; `ifMatch` as in `upsert`, per write.
   * A conflicting write does not stop the others: its outcome carries the ConcurrencyError.
   * Outcomes come in the order of `writes`; a key may appear once per call.
   * @example
   *   const outcomes = await inventory.upsertMany(changed.map((row) => ({ record: row.value, ifMatch: row.etag })));
   *   const conflicts = outcomes.filter((o) => 'conflict' in o);
   */
  upsertMany(writes: readonly InventoryWrite[]): Promise<InventoryWriteOutcome[]>;
}

export interface InventoryWrite {
  readonly record: InventoryRecord;
  readonly ifMatch?: string | null;
}

export type InventoryWriteOutcome =
  { readonly key: string; readonly etag: string } | { readonly key: string; readonly conflict: ConcurrencyError };

/**
 * Append-only log of decisions and actions. Entries are keyed by (serverKey, id): writing an entry whose id
 * is already there changes nothing, so replays never duplicate evidence.
 * @example await evidence.append([{ serverKey, id: `tag:${correlationId}`, at, actor: 'pitr-warden', kind: 'tag', summary }]);
 */
export interface EvidencePort {
  /** Returns how many entries were new. Batches by server where Table Storage allows. */
  append(entries: readonly EvidenceEntry[]): Promise<{ written: number; alreadyPresent: number }>;
  /** Entries of one server, oldest first (by `at`, then by `id`: see `compareEvidence`). */
  list(serverKey: string): Promise<EvidenceEntry[]>;
}

/**
 * The order `EvidencePort.list` returns: oldest `at` first, ties by `id`; unparseable times sort as text, last.
 * @example entries.sort(compareEvidence)
 */
export function compareEvidence(a: EvidenceEntry, b: EvidenceEntry): number {
  const ta = Date.parse(a.at);
  const tb = Date.parse(b.at);
  if (Number.isNaN(ta) !== Number.isNaN(tb)) return Number.isNaN(ta) ? 1 : -1;
  const byTime = Number.isNaN(ta) ? compareText(a.at, b.at) : ta - tb;
  return byTime !== 0 ? byTime : compareText(a.id, b.id);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A job's run row: what the health check reads, and the counts of the last run. */
export interface JobRun extends JobRunFacts {
  /** Counts of the last run, by name (servers seen, deleted, failed, ...). */
  readonly counts?: Readonly<Record<string, number>>;
}

/** Heartbeat of each job: a dashboard (and `pitr-warden status`) reads it. */
export interface RunsPort {
  started(job: string, at: string): Promise<void>;
  finished(
    job: string,
    at: string,
    outcome: { ok: boolean; error?: string; counts?: Record<string, number> },
  ): Promise<void>;
  list(): Promise<JobRun[]>;
}

/**
 * Small named values that survive between runs (the reconcile's Activity Log checkpoint, the price cache).
 * A value holds at most CHECKPOINT_VALUE_MAX_BYTES (UTF-8); `set` throws beyond that. `ifMatch` as in inventory.
 * @example
 *   const last = await checkpoints.get('reconcile:activity-log');
 *   await checkpoints.set('reconcile:activity-log', until, { ifMatch: last?.etag ?? null });
 */
export interface CheckpointsPort {
  get(name: string): Promise<Versioned<string> | undefined>;
  set(name: string, value: string, options?: { ifMatch?: string | null }): Promise<string>;
}

/** What one table row can hold of a checkpoint value (Table Storage entities are at most 1 MiB). */
export const CHECKPOINT_VALUE_MAX_BYTES = 960_000;

/**
 * The four inventory stores, as the composition root builds them (Table Storage, or the memory twins in tests).
 * @example const { inventory, evidence } = await openTables({ connectionString, prefix: 'warden' });
 */
export interface InventoryStores {
  readonly inventory: InventoryPort;
  readonly evidence: EvidencePort;
  readonly runs: RunsPort;
  readonly checkpoints: CheckpointsPort;
}
