import type { DrillRecord } from '../domain/drills.js';

/**
 * The drills table: one row per drill (what `drill list` and `drill report` read, and the dashboard), and a claim
 * per source so two drills of one server never overlap.
 * @example
 *   if (!(await drills.claim(source.key, id, now))) throw new Error('a drill of this server is running');
 *   await drills.put(record); ...; await drills.release(source.key, id);
 */
export interface DrillsPort {
  get(id: string): Promise<DrillRecord | undefined>;
  /** Every drill, newest first; only one source's with `sourceId`. */
  list(options?: { sourceId?: string }): Promise<DrillRecord[]>;
  put(record: DrillRecord): Promise<void>;
  /**
   * Claims the source for the drill `drillId`; false when another drill holds it. A claim older than
   * `staleAfterMs` (a drill that died half-way) is taken over.
   */
  claim(sourceKey: string, drillId: string, at: Date, staleAfterMs?: number): Promise<boolean>;
  /** Gives the claim up if `drillId` holds it. */
  release(sourceKey: string, drillId: string): Promise<void>;
}
