import type { Reply } from './http.js';
import { armError } from './http.js';

/** One of ARM's request budgets: a bucket of `capacity` requests refilled at `refillPerSecond`. */
export interface Bucket {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

/**
 * How the emulator throttles ARM requests. ARM keeps a token bucket per principal and subscription for reads (GET),
 * writes (PUT, PATCH, POST) and deletes; it reports what is left in `x-ms-ratelimit-remaining-subscription-*` and
 * answers 429 with `Retry-After` when a bucket is empty.
 * @example startEmulator({ throttling: 'arm' }) // ARM's budgets: reads 250 + 25/s, writes and deletes 200 + 10/s
 * @example startEmulator({ throttling: { reads: { capacity: 5, refillPerSecond: 1 }, speedup: 100 } }) // a small budget that refills fast
 */
export interface ThrottlingOptions {
  readonly reads?: Bucket;
  readonly writes?: Bucket;
  readonly deletes?: Bucket;
  /** Refill runs this many times faster than real time (default 1), so tests meet throttling without waiting. */
  readonly speedup?: number;
}

export type BudgetKind = 'reads' | 'writes' | 'deletes';

/** ARM's documented budgets per principal and subscription. */
export const ARM_BUDGETS: Required<Omit<ThrottlingOptions, 'speedup'>> = {
  reads: { capacity: 250, refillPerSecond: 25 },
  writes: { capacity: 200, refillPerSecond: 10 },
  deletes: { capacity: 200, refillPerSecond: 10 },
};

export const budgetKindOf = (method: string): BudgetKind =>
  method === 'GET' || method === 'HEAD' ? 'reads' : method === 'DELETE' ? 'deletes' : 'writes';

const KIND_WORD: Record<BudgetKind, string> = { reads: 'read', writes: 'write', deletes: 'delete' };

/** Token buckets per principal, subscription and kind, refilled on a monotonic clock (scaled by `speedup`). */
export class Throttle {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly budgets: Required<Omit<ThrottlingOptions, 'speedup'>>;
  private readonly speedup: number;

  constructor(
    options: ThrottlingOptions,
    private readonly monotonicMs: () => number = () => performance.now(),
  ) {
    this.budgets = { ...ARM_BUDGETS, ...options };
    this.speedup = options.speedup ?? 1;
  }

  /**
   * Takes one token for a request, or refuses it. Either way the answer carries the remaining-requests header.
   * @returns `{ headers }` to add to the handler's reply, or `{ reply }`: the 429 to send instead.
   */
  take(request: { principal: string; subscriptionId: string; method: string }): {
    headers: Record<string, string>;
    reply?: Reply;
  } {
    const kind = budgetKindOf(request.method);
    const budget = this.budgets[kind];
    const key = `${request.principal}|${request.subscriptionId.toLowerCase()}|${kind}`;
    const now = this.monotonicMs();
    const bucket = this.buckets.get(key) ?? { tokens: budget.capacity, at: now };
    bucket.tokens = Math.min(
      budget.capacity,
      bucket.tokens + ((now - bucket.at) / 1000) * budget.refillPerSecond * this.speedup,
    );
    bucket.at = now;
    this.buckets.set(key, bucket);
    const header = `x-ms-ratelimit-remaining-subscription-${kind}`;
    if (bucket.tokens < 1) {
      const waitMs = ((1 - bucket.tokens) / (budget.refillPerSecond * this.speedup)) * 1000;
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      // ARM sends whole seconds; on a scaled clock the exact wait goes in x-ms-retry-after-ms, which the SDK prefers.
      const scaled: Record<string, string> =
        this.speedup === 1 ? {} : { 'x-ms-retry-after-ms': String(Math.ceil(waitMs)) };
      const message =
        `Number of '${KIND_WORD[kind]}' requests for subscription '${request.subscriptionId}' actor '${request.principal}' exceeded. ` +
        `Please try again after '${seconds}' seconds after the last request.`;
      return {
        headers: { [header]: '0' },
        reply: armError(429, 'SubscriptionRequestsThrottled', message, {
          'Retry-After': String(seconds),
          ...scaled,
          [header]: '0',
        }),
      };
    }
    bucket.tokens -= 1;
    return { headers: { [header]: String(Math.floor(bucket.tokens)) } };
  }

  clear(): void {
    this.buckets.clear();
  }
}
