import { randomUUID } from 'node:crypto';
import type { Reply } from './http.js';
import { armError } from './http.js';

/**
 * A fault to inject into matching requests. Matching is on the REST operation id, the method and a path fragment;
 * every field left out matches everything.
 * @example emulator.faults.add({ operation: 'Servers_ListBySubscription', status: 429, retryAfterSeconds: 0, times: 2 })
 * @example emulator.faults.add({ operation: 'Servers_Delete', failLro: true, times: 1 })
 * @example emulator.faults.add({ latencyMs: 50, probability: 0.1 })
 */
export interface FaultRule {
  /** REST operation id (`Servers_Get`, `Email_Send`, …) or `*`. */
  readonly operation?: string;
  readonly method?: string;
  /** Case-insensitive fragment of the request path. */
  readonly pathContains?: string;
  /** Answer with this status instead of handling the request (429, 500, 503, …). */
  readonly status?: number;
  /** `Retry-After` seconds sent with the status (429 defaults to 0, so SDK retries are immediate). */
  readonly retryAfterSeconds?: number;
  /** Delay before the request is handled. */
  readonly latencyMs?: number;
  /** Accept a long-running operation, then end it `Failed` without changing anything. */
  readonly failLro?: boolean;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  /** How many matching requests the fault hits; unlimited when left out. */
  readonly times?: number;
  /** Chance (0..1) a matching request is hit; 1 when left out. */
  readonly probability?: number;
}

export interface FaultEntry extends FaultRule {
  readonly id: string;
  readonly hits: number;
}

/** What the router does to one request. */
export interface FaultDecision {
  readonly latencyMs: number;
  readonly reply?: Reply;
  readonly failLro?: { code: string; message: string };
  /** Ids of the faults that hit, for the request log. */
  readonly applied: string[];
}

const STATUS_CODES: Record<number, string> = {
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

export class Faults {
  private rules: { id: string; rule: FaultRule; hits: number }[] = [];

  constructor(private readonly random: () => number = Math.random) {}

  add(rule: FaultRule): string {
    const id = randomUUID();
    this.rules.push({ id, rule, hits: 0 });
    return id;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length < before;
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultEntry[] {
    return this.rules.map((r) => ({ ...r.rule, id: r.id, hits: r.hits }));
  }

  /** Decides, and counts down, the faults for one request. */
  decide(request: { operation: string; method: string; path: string }): FaultDecision {
    let latencyMs = 0;
    let reply: Reply | undefined;
    let failLro: FaultDecision['failLro'];
    const applied: string[] = [];
    for (const entry of this.rules) {
      const { rule } = entry;
      if (rule.times !== undefined && entry.hits >= rule.times) continue;
      if (rule.operation && rule.operation !== '*' && rule.operation.toLowerCase() !== request.operation.toLowerCase()) continue;
      if (rule.method && rule.method.toUpperCase() !== request.method) continue;
      if (rule.pathContains && !request.path.toLowerCase().includes(rule.pathContains.toLowerCase())) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      if (rule.status !== undefined && reply) continue;
      if (rule.failLro && failLro) continue;
      entry.hits += 1;
      applied.push(entry.id);
      latencyMs += rule.latencyMs ?? 0;
      if (rule.status !== undefined) reply = faultReply(rule);
      if (rule.failLro) {
        failLro = {
          code: rule.errorCode ?? 'InternalServerError',
          message: rule.errorMessage ?? 'An unexpected error occured while processing the request (injected by the emulator).',
        };
      }
    }
    return { latencyMs, applied, ...(reply ? { reply } : {}), ...(failLro ? { failLro } : {}) };
  }
}

function faultReply(rule: FaultRule): Reply {
  const status = rule.status ?? 500;
  const retryAfter = rule.retryAfterSeconds ?? (status === 429 ? 0 : undefined);
  const headers: Record<string, string> = retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) };
  const code = rule.errorCode ?? STATUS_CODES[status] ?? 'InjectedFault';
  const message =
    rule.errorMessage ??
    (status === 429 ? 'Number of requests exceeded the limit (injected by the emulator). Please retry after some time.' : `Injected fault: HTTP ${status}.`);
  return armError(status, code, message, headers);
}
