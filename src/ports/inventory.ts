import type { EvidenceEntry, InventoryRecord } from '../domain/model.js';

/** Thrown by `upsert` when the row changed since it was read (Table Storage answered 412). */
export class ConcurrencyError extends Error {
  override name = 'ConcurrencyError';
  constructor(readonly key: string, options?: { cause?: unknown }) {
    super(`Inventory row for ${key} changed since it was read; re-read and decide again`, options);
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
}

/**
 * Append-only log of decisions and actions. Entries are keyed by (serverKey, id): writing an entry whose id
 * is already there changes nothing, so replays never duplicate evidence.
 * @example await evidence.append([{ serverKey, id: `tag:${correlationId}`, at, actor: 'pitr-warden', kind: 'tag', summary }]);
 */
export interface EvidencePort {
  /** Returns how many entries were new. Batches by server where Table Storage allows. */
  append(entries: readonly EvidenceEntry[]): Promise<{ written: number; alreadyPresent: number }>;
  /** Entries of one server, oldest first. */
  list(serverKey: string): Promise<EvidenceEntry[]>;
}

export interface JobRun {
  readonly job: string;
  readonly lastStartedAt?: string;
  readonly lastFinishedAt?: string;
  readonly lastSucceededAt?: string;
  readonly lastOutcome?: 'succeeded' | 'failed';
  readonly lastError?: string;
  /** Counts of the last run, by name (servers seen, deleted, failed, ...). */
  readonly counts?: Readonly<Record<string, number>>;
}

/** Heartbeat of each job: a dashboard (and `pitr-warden status`) reads it. */
export interface RunsPort {
  started(job: string, at: string): Promise<void>;
  finished(job: string, at: string, outcome: { ok: boolean; error?: string; counts?: Record<string, number> }): Promise<void>;
  list(): Promise<JobRun[]>;
}

/** Small named values that survive between runs (the reconcile's Activity Log checkpoint, the price cache). */
export interface CheckpointsPort {
  get(name: string): Promise<Versioned<string> | undefined>;
  set(name: string, value: string, options?: { ifMatch?: string | null }): Promise<string>;
}
