import type { Clock } from '../ports/clock.js';
import { ConcurrencyError, type CheckpointsPort } from '../ports/inventory.js';

/** Checkpoint holding the send times of the last hour, so the hourly limit spans runs (and the FinOps summary). */
export const SEND_LOG_CHECKPOINT = 'notices:send-log';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

export interface SendBudgetOptions {
  readonly checkpoints: CheckpointsPort;
  readonly clock: Clock;
  /** Waits `ms`; tests pass one that advances their clock. */
  readonly sleep: (ms: number) => Promise<void>;
  readonly limitPerMinute: number;
  readonly limitPerHour: number;
  /** No send starts after this: the rest waits for the next run. */
  readonly deadline: Date;
}

/**
 * The ACS sending limits as a budget: at most `limitPerMinute` sends in any 60 seconds and `limitPerHour` in any
 * hour, counting the sends of earlier runs (read from a checkpoint).
 * @example
 *   const budget = await SendBudget.open({ checkpoints, clock, sleep, limitPerMinute: 30, limitPerHour: 100, deadline });
 *   while (await budget.acquire()) { await mailer.send(next()); await budget.record(); }
 */
export class SendBudget {
  private constructor(
    private readonly options: SendBudgetOptions,
    private times: number[],
  ) {}

  static async open(options: SendBudgetOptions): Promise<SendBudget> {
    return new SendBudget(options, parseLog((await options.checkpoints.get(SEND_LOG_CHECKPOINT))?.value));
  }

  /** Sends already counted in the hour before now (this run's and earlier runs'). */
  usedThisHour(): number {
    const now = this.options.clock.now().getTime();
    return this.times.filter((t) => t > now - HOUR_MS).length;
  }

  /**
   * Waits until one more send fits both limits and returns true; false, without waiting, when it would not fit
   * before the deadline (the hour's budget is spent, or the run is out of time).
   */
  async acquire(): Promise<boolean> {
    const { clock, deadline } = this.options;
    for (;;) {
      const now = clock.now().getTime();
      const freeAt = this.nextFreeAt(now);
      if (freeAt <= now) return true;
      if (freeAt > deadline.getTime()) return false;
      await this.options.sleep(freeAt - now);
      // A clock that does not move would make this loop forever: defer instead.
      if (clock.now().getTime() <= now) return false;
    }
  }

  /** Counts one send attempt at the clock's now and saves the log (merging with a concurrent run's). */
  async record(): Promise<void> {
    const at = this.options.clock.now().getTime();
    this.times.push(at);
    const { checkpoints } = this.options;
    for (let attempt = 0; ; attempt++) {
      const stored = await checkpoints.get(SEND_LOG_CHECKPOINT);
      const merged = union(parseLog(stored?.value), this.times).filter((t) => t > at - HOUR_MS);
      try {
        await checkpoints.set(SEND_LOG_CHECKPOINT, JSON.stringify(merged.map((t) => new Date(t).toISOString())), {
          ifMatch: stored?.etag ?? null,
        });
        this.times = merged;
        return;
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= 4) throw error;
      }
    }
  }

  /** When the next send may start: once the oldest sends that fill a window have left it. */
  private nextFreeAt(now: number): number {
    const { limitPerMinute, limitPerHour } = this.options;
    return Math.max(
      now,
      freeAt(this.times, now, MINUTE_MS, limitPerMinute),
      freeAt(this.times, now, HOUR_MS, limitPerHour),
    );
  }
}

/** A send at `t` counts in the window until `t + windowMs`; the window has room once fewer than `limit` count. */
function freeAt(times: readonly number[], now: number, windowMs: number, limit: number): number {
  const inWindow = times.filter((t) => t > now - windowMs).sort((a, b) => a - b);
  if (inWindow.length < limit) return now;
  return inWindow[inWindow.length - limit]! + windowMs;
}

/** Multiset union: sends at the same millisecond each count; a time in both logs is the same send. */
function union(a: readonly number[], b: readonly number[]): number[] {
  const counts = new Map<number, number>();
  const tally = (list: readonly number[]) => {
    const mine = new Map<number, number>();
    for (const t of list) mine.set(t, (mine.get(t) ?? 0) + 1);
    for (const [t, n] of mine) counts.set(t, Math.max(counts.get(t) ?? 0, n));
  };
  tally(a);
  tally(b);
  return [...counts.entries()].flatMap(([t, n]) => Array<number>(n).fill(t)).sort((x, y) => x - y);
}

function parseLog(value: string | undefined): number[] {
  if (!value) return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.map((t) => Date.parse(String(t))).filter(Number.isFinite) : [];
  } catch {
    return []; // an unreadable log only loses the previous runs' count for one hour
  }
}
