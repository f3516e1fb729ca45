/** One request the emulator answered (admin calls under /_emulator are not logged). */
export interface RequestRecord {
  readonly at: string;
  readonly method: string;
  /** REST operation id, e.g. `Servers_ListBySubscription`, `Email_Send`; `Unknown` when no route matched. */
  readonly operation: string;
  readonly path: string;
  readonly status: number;
  readonly durationMs: number;
  /** Set when an injected fault answered or delayed the request. */
  readonly fault?: string;
}

export interface RequestCounter {
  readonly method: string;
  readonly operation: string;
  readonly status: number;
  readonly count: number;
}

export interface RequestFilter {
  readonly operation?: string;
  readonly method?: string;
  readonly status?: number;
}

const matches = (r: { method: string; operation: string; status: number }, f: RequestFilter = {}): boolean =>
  (f.operation === undefined || f.operation.toLowerCase() === r.operation.toLowerCase()) &&
  (f.method === undefined || f.method.toUpperCase() === r.method) &&
  (f.status === undefined || f.status === r.status);

/**
 * Requests and counters by (method, operation, status). Counters are exact; the entry list keeps the latest
 * `capacity` requests so a 10,000-server benchmark does not grow memory without bound.
 * @example emulator.requests.count({ operation: 'Servers_Get', status: 429 }) // 2
 */
export class RequestLog {
  private records: RequestRecord[] = [];
  private readonly counts = new Map<string, { method: string; operation: string; status: number; count: number }>();
  private totalCount = 0;

  constructor(private readonly capacity = 20_000) {}

  record(entry: RequestRecord): void {
    this.totalCount += 1;
    this.records.push(entry);
    if (this.records.length > this.capacity) this.records = this.records.slice(-Math.floor(this.capacity / 2));
    const key = `${entry.method} ${entry.operation} ${entry.status}`;
    const counter = this.counts.get(key);
    if (counter) counter.count += 1;
    else this.counts.set(key, { method: entry.method, operation: entry.operation, status: entry.status, count: 1 });
  }

  get total(): number {
    return this.totalCount;
  }

  entries(filter?: RequestFilter): RequestRecord[] {
    return this.records.filter((r) => matches(r, filter));
  }

  count(filter?: RequestFilter): number {
    let sum = 0;
    for (const c of this.counts.values()) if (matches(c, filter)) sum += c.count;
    return sum;
  }

  counters(): RequestCounter[] {
    return [...this.counts.values()]
      .map((c) => ({ ...c }))
      .sort((a, b) => a.operation.localeCompare(b.operation) || a.status - b.status);
  }

  clear(): void {
    this.records = [];
    this.counts.clear();
    this.totalCount = 0;
  }
}
