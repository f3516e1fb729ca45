/** A moment on both of the emulator's timelines: its clock, and the real time of this process. */
export interface TimeMark {
  readonly clockMs: number;
  readonly realMs: number;
}

/**
 * The emulator's notion of "now" for every timestamp it writes (systemData, Activity Log, restore windows), and of how
 * much Azure time has passed since a moment, for long-running operations that take as long as they take in Azure.
 *
 * One setting scales every duration: `timeScale` is the real time one millisecond of Azure time takes here. 1 runs
 * operations as long as Azure does (a restore about 6.5 minutes), 0.01 a hundred times faster, and 0 (the default)
 * completes them at the first poll. Independently, pinning or advancing the clock moves Azure time forward, so a test
 * can walk an operation through its phases without waiting: `clock.advance(3 * 60_000)` finishes a stop.
 */
export class EmulatorClock {
  private pinned: Date | undefined;
  private offsetMs = 0;
  private scale: number;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly base: () => Date = () => new Date(),
    timeScale = 0,
  ) {
    this.scale = checkedScale(timeScale);
  }

  now(): Date {
    return new Date((this.pinned ?? this.base()).getTime() + this.offsetMs);
  }

  /** Real milliseconds per millisecond of Azure time (0: operations end at their first poll). */
  get timeScale(): number {
    return this.scale;
  }

  set timeScale(value: number) {
    this.scale = checkedScale(value);
    this.changed();
  }

  pin(at: Date): void {
    this.pinned = new Date(at);
    this.offsetMs = 0;
    this.changed();
  }

  advance(ms: number): void {
    this.offsetMs += ms;
    this.changed();
  }

  reset(): void {
    this.pinned = undefined;
    this.offsetMs = 0;
  }

  mark(): TimeMark {
    return { clockMs: this.now().getTime(), realMs: performance.now() };
  }

  /** Azure time since `since`: the clock's own progress or real time over the scale, whichever went further. */
  elapsedMs(since: TimeMark): number {
    const byClock = this.now().getTime() - since.clockMs;
    if (this.scale === 0) return Number.POSITIVE_INFINITY;
    return Math.max(byClock, (performance.now() - since.realMs) / this.scale);
  }

  /** Azure time since `since` for what the service does on its own schedule (backups): never instant, even at scale 0. */
  scheduleElapsedMs(since: TimeMark): number {
    const byClock = this.now().getTime() - since.clockMs;
    return this.scale === 0 ? byClock : Math.max(byClock, (performance.now() - since.realMs) / this.scale);
  }

  /** Real milliseconds until `azureMs` of Azure time have passed since `since` (0 when they have). */
  realMsUntil(since: TimeMark, azureMs: number): number {
    const remaining = azureMs - this.elapsedMs(since);
    return remaining <= 0 ? 0 : remaining * this.scale;
  }

  /** Called after the clock is pinned, advanced or rescaled (operations that became due complete then). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}

function checkedScale(value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new Error(`timeScale must be a number >= 0 (real ms per Azure ms); got ${value}`);
  return value;
}
