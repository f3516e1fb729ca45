/** Table operations made through one set of stores: what a benchmark prints as "Table operations". */
export interface TableStats {
  /** Point reads and query pages. */
  readonly reads: number;
  /** Single-entity writes (create, update, upsert, merge), successful or not. */
  readonly writes: number;
  /** Transactions (entity group batches) submitted. */
  readonly batches: number;
  /** Entities actually written, by single writes and batches together. */
  readonly entitiesWritten: number;
}

export class TableCounter {
  reads = 0;
  writes = 0;
  batches = 0;
  entitiesWritten = 0;

  snapshot(): TableStats {
    return { reads: this.reads, writes: this.writes, batches: this.batches, entitiesWritten: this.entitiesWritten };
  }

  reset(): void {
    this.reads = this.writes = this.batches = this.entitiesWritten = 0;
  }
}
