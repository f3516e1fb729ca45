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
  /**
   * Chance (0..1) a matching request is hit; 1 when left out. The draw is a hash of the emulator's seed, the fault's
   * place in the list, the request (method and path) and how often that request came before, so one seed gives the
   * same faults on every run, however concurrent requests interleave.
   */
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

/** The seed of an emulator started without one: `EMULATOR_SEED` when set, else 1. */
export function defaultFaultSeed(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.EMULATOR_SEED;
  if (value === undefined || value === '') return 1;
  const seed = Number(value);
  if (!Number.isSafeInteger(seed)) throw new Error(`EMULATOR_SEED must be an integer, got "${value}".`);
  return seed;
}

export class Faults {
  private rules: { id: string; rule: FaultRule; hits: number; ordinal: number; seen: Map<string, number> }[] = [];
  private added = 0;

  /** `seed` fixes every probabilistic fault; `GET /_emulator/faults` shows it. */
  constructor(readonly seed: number = defaultFaultSeed()) {}

  add(rule: FaultRule): string {
    const id = randomUUID();
    this.rules.push({ id, rule, hits: 0, ordinal: this.added++, seen: new Map() });
    return id;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length < before;
  }

  clear(): void {
    this.rules = [];
    this.added = 0;
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
      if (rule.operation && rule.operation !== '*' && rule.operation.toLowerCase() !== request.operation.toLowerCase())
        continue;
      if (rule.method && rule.method.toUpperCase() !== request.method) continue;
      if (rule.pathContains && !request.path.toLowerCase().includes(rule.pathContains.toLowerCase())) continue;
      if (rule.probability !== undefined && this.draw(entry, request) >= rule.probability) continue;
      if (rule.status !== undefined && reply) continue;
      if (rule.failLro && failLro) continue;
      entry.hits += 1;
      applied.push(entry.id);
      latencyMs += rule.latencyMs ?? 0;
      if (rule.status !== undefined) reply = faultReply(rule);
      if (rule.failLro) {
        failLro = {
          code: rule.errorCode ?? 'InternalServerError',
          message:
            rule.errorMessage ?? 'An unexpected error occured while processing the request (injected by the emulator).',
        };
      }
    }
    return { latencyMs, applied, ...(reply ? { reply } : {}), ...(failLro ? { failLro } : {}) };
  }

  /** A number in [0, 1) fixed by the seed, the fault, the request and its repetition. */
  private draw(entry: Faults['rules'][number], request: { method: string; path: string }): number {
    const key = `${request.method} ${request.path.toLowerCase()}`;
    const nth = entry.seen.get(key) ?? 0;
    entry.seen.set(key, nth + 1);
    return unitHash(`${this.seed}|${entry.ordinal}|${key}|${nth}`);
  }
}

/** FNV-1a over the text, finished with a murmur3 mix, scaled to [0, 1). */
function unitHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000;
}

function faultReply(rule: FaultRule): Reply {
  const status = rule.status ?? 500;
  const retryAfter = rule.retryAfterSeconds ?? (status === 429 ? 0 : undefined);
  const headers: Record<string, string> = retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) };
  const code = rule.errorCode ?? STATUS_CODES[status] ?? 'InjectedFault';
  const message =
    rule.errorMessage ??
    (status === 429
      ? 'Number of requests exceeded the limit (injected by the emulator). Please retry after some time.'
      : `Injected fault: HTTP ${status}.`);
  return armError(status, code, message, headers);
}
