import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from '@azure/core-rest-pipeline';

export type BudgetKind = 'reads' | 'writes' | 'deletes';

/** ARM's refill per principal and subscription (per second): reads 25, writes and deletes 10. */
const REFILL_PER_SECOND: Record<BudgetKind, number> = { reads: 25, writes: 10, deletes: 10 };

/**
 * How the warden spends ARM's budgets.
 * @example armBudgetPolicy({ concurrencyPerSubscription: 8 })
 */
export interface ArmBudgetOptions {
  /** Requests in flight at once per subscription (ARM_CONCURRENCY_PER_SUBSCRIPTION). */
  readonly concurrencyPerSubscription: number;
  /**
   * Below this many remaining requests (as ARM's `x-ms-ratelimit-remaining-subscription-*` headers report them) the
   * warden paces itself at the bucket's refill rate, leaving the rest for the event path's remediations.
   * Default: reads 50, writes 40, deletes 40 (a fifth of ARM's buckets).
   */
  readonly reserve?: Partial<Record<BudgetKind, number>>;
  /** ARM's refill rates (reads 25/s, writes and deletes 10/s); a test against a faster emulator may raise them. */
  readonly refillPerSecond?: Partial<Record<BudgetKind, number>>;
  /** Test seams. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly nowMs?: () => number;
}

/** What the policy did, for logs and benchmarks. */
export interface ArmBudgetStats {
  /** Requests held back because a budget ran low, and for how long in all. */
  paced: number;
  pacedMs: number;
  /** 429 answers seen (the SDK's retry policy waits their Retry-After and tries again). */
  throttled: number;
  /** Lowest remaining count reported, per kind. */
  lowest: Partial<Record<BudgetKind, number>>;
}

interface Budget {
  /** Estimated requests left: the last header value, refilled since at the ARM rate, less what was sent since. */
  tokens: number;
  at: number;
  /** Requests sent and not answered yet: a header value does not count them. */
  inFlight: number;
}

/**
 * A pipeline policy for every ARM client of the warden: at most `concurrencyPerSubscription` requests in flight per
 * subscription, and pacing from ARM's remaining-requests headers, so a reconcile or sweep slows down before ARM throttles
 * it. 429s themselves are retried by the SDK's retry policy, which honours `Retry-After`.
 * Added per retry, so each attempt waits for a slot and each answer updates the budget.
 */
export function armBudgetPolicy(options: ArmBudgetOptions): PipelinePolicy & { readonly stats: ArmBudgetStats } {
  const reserve: Record<BudgetKind, number> = { reads: 50, writes: 40, deletes: 40, ...options.reserve };
  const refill: Record<BudgetKind, number> = { ...REFILL_PER_SECOND, ...options.refillPerSecond };
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const nowMs = options.nowMs ?? (() => performance.now());
  const slots = new Map<string, { active: number; waiting: Array<() => void> }>();
  const budgets = new Map<string, Budget>();
  const stats: ArmBudgetStats = { paced: 0, pacedMs: 0, throttled: 0, lowest: {} };

  const acquire = async (subscription: string) => {
    let slot = slots.get(subscription);
    if (!slot) slots.set(subscription, (slot = { active: 0, waiting: [] }));
    if (slot.active >= options.concurrencyPerSubscription)
      await new Promise<void>((resolve) => slot.waiting.push(resolve));
    else slot.active++;
    return () => {
      const next = slot.waiting.shift();
      if (next) next();
      else slot.active--;
    };
  };

  const budgetOf = (subscription: string, kind: BudgetKind): Budget => {
    const key = `${subscription}|${kind}`;
    let budget = budgets.get(key);
    if (!budget) budgets.set(key, (budget = { tokens: Infinity, at: nowMs(), inFlight: 0 }));
    return budget;
  };

  const pace = async (budget: Budget, kind: BudgetKind) => {
    if (budget.tokens === Infinity) return;
    const rate = refill[kind];
    const now = nowMs();
    budget.tokens += ((now - budget.at) / 1000) * rate;
    budget.at = now;
    budget.tokens -= 1;
    if (budget.tokens >= reserve[kind]) return;
    // Spend no faster than the bucket refills: this request waits for the token it takes below the reserve.
    const waitMs = Math.ceil(((reserve[kind] - budget.tokens) / rate) * 1000);
    stats.paced++;
    stats.pacedMs += waitMs;
    await sleep(waitMs);
  };

  const observe = (budget: Budget, kind: BudgetKind, response: PipelineResponse) => {
    if (response.status === 429) stats.throttled++;
    const header = response.headers.get(`x-ms-ratelimit-remaining-subscription-${kind}`);
    const remaining = header === undefined ? NaN : Number(header);
    if (!Number.isFinite(remaining)) return;
    // The others still in flight may not be counted in the header yet: assume they will be.
    budget.tokens = remaining - budget.inFlight;
    budget.at = nowMs();
    stats.lowest[kind] = Math.min(stats.lowest[kind] ?? Infinity, remaining);
  };

  return {
    name: 'pitrWardenArmBudget',
    stats,
    async sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
      const subscription = subscriptionOf(request.url);
      if (!subscription) return next(request);
      const kind = kindOf(request.method);
      const release = await acquire(subscription);
      const budget = budgetOf(subscription, kind);
      try {
        await pace(budget, kind);
        budget.inFlight++;
        let response: PipelineResponse;
        try {
          response = await next(request);
        } finally {
          budget.inFlight--;
        }
        observe(budget, kind, response);
        return response;
      } finally {
        release();
      }
    },
  };
}

function subscriptionOf(url: string): string | undefined {
  try {
    return /^\/subscriptions\/([^/]+)/i.exec(new URL(url).pathname)?.[1]?.toLowerCase();
  } catch {
    return undefined;
  }
}

function kindOf(method: string): BudgetKind {
  return method === 'GET' || method === 'HEAD' ? 'reads' : method === 'DELETE' ? 'deletes' : 'writes';
}
