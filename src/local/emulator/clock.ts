/** How far one poll of an unfinished operation moves virtual time (invented: Azure's polling intervals are not recorded). */
export const VIRTUAL_POLL_STEP_MS = 30_000;

/** A moment on both of the emulator's timelines: its clock, and the real time of this process. */
export interface TimeMark {
  readonly clockMs: number;
  readonly realMs: number;
}

/** A moment by the clock and in real time (at the time scale it was taken at); see `EmulatorClock.dueAt`. */
export interface Due {
  readonly clockMs: number;
  readonly realMs: number;
  readonly scale: number;
}

/**
 * The emulator's notion of "now" for every timestamp it writes (systemData, Activity Log, restore windows), and of how
 * much Azure time has passed since a moment, for long-running operations that take as long as they take in Azure.
 *
 * One setting scales every duration: `timeScale` is the real time one millisecond of Azure time takes here. 1 runs
 * operations as long as Azure does (a restore about 6.5 minutes), 0.01 a hundred times faster, and 0 (the default)
 * completes them at the first poll. Independently, pinning or advancing the clock moves Azure time forward, so a test
 * can walk an operation through its phases without waiting: `clock.advance(3 * 60_000)` finishes a stop.
 *
 * Virtual time (`virtual`): Azure time stands still (pinned at the start) and moves only when someone waits for it:
 * a test's `advance`, or a client polling an operation that has not finished, which moves it one poll step (at most
 * the operation's remaining time). A client that polls a restore to the end sees it take its 6.5 Azure minutes, at no
 * real wait and the same every run: durations measured on this clock depend on no wall clock.
 */
export class EmulatorClock {
  private pinned: Date | undefined;
  private offsetMs = 0;
  private scale: number;
  private readonly listeners = new Set<() => void>();
  /** Since the last pin: where the pinned clock started (clock and real ms) and each move forward, oldest first. */
  private origin: { clockMs: number; realMs: number } | undefined;
  private moves: { fromMs: number; toMs: number; realMs: number }[] = [];
  readonly virtual: boolean;

  constructor(
    private base: () => Date = () => new Date(),
    timeScale = 0,
    options: { virtual?: boolean } = {},
  ) {
    this.scale = checkedScale(timeScale);
    this.virtual = options.virtual ?? false;
    if (this.virtual) this.pin(base());
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
    this.origin = { clockMs: this.pinned.getTime(), realMs: Date.now() };
    this.moves = [];
    this.changed();
  }

  advance(ms: number): void {
    const fromMs = this.now().getTime();
    this.offsetMs += ms;
    if (this.pinned && ms > 0) this.moves.push({ fromMs, toMs: fromMs + ms, realMs: Date.now() });
    this.changed();
  }

  /** Another base clock and time scale (an emulator reseeded for another test), then `reset()`. */
  rebase(base: (() => Date) | undefined, timeScale: number): void {
    this.base = base ?? (() => new Date());
    this.scale = checkedScale(timeScale);
    this.reset();
  }

  /** Back to the base clock (a virtual clock pins itself again at the base's now). */
  reset(): void {
    this.pinned = undefined;
    this.offsetMs = 0;
    this.origin = undefined;
    this.moves = [];
    if (this.virtual) this.pin(this.base());
  }

  /**
   * A client polled an operation started at `since` that takes `durationMs` of Azure time. In virtual time that poll
   * is the client's wait: the clock moves one poll step, never past the operation's end. Otherwise nothing happens.
   */
  polled(since: TimeMark, durationMs: number, stepMs = VIRTUAL_POLL_STEP_MS): void {
    if (!this.virtual) return;
    const remainingMs = durationMs - (this.now().getTime() - since.clockMs);
    if (remainingMs > 0) this.advance(Math.min(remainingMs, stepMs));
  }

  /**
   * The real instant of this process at which the clock showed `at` (the last such instant, when the clock was pinned
   * there a while): what a real engine's timestamps (PostgreSQL's WAL) call that moment. A future instant is as far
   * ahead of the real now.
   */
  realTimeOf(at: Date): Date {
    const atMs = at.getTime();
    const nowMs = this.now().getTime();
    if (!this.pinned || atMs >= nowMs) return new Date(Date.now() - (nowMs - atMs));
    const move = this.moves.find((m) => m.fromMs <= atMs && atMs < m.toMs);
    if (move) return new Date(move.realMs);
    const origin = this.origin!;
    return new Date(origin.realMs - Math.max(0, origin.clockMs - atMs));
  }

  mark(): TimeMark {
    return { clockMs: this.now().getTime(), realMs: performance.now() };
  }

  /** Azure time since `since`: the clock's own progress or real time over the scale, whichever went further. */
  elapsedMs(since: TimeMark): number {
    const byClock = this.now().getTime() - since.clockMs;
    if (this.virtual) return byClock;
    if (this.scale === 0) return Number.POSITIVE_INFINITY;
    return Math.max(byClock, (performance.now() - since.realMs) / this.scale);
  }

  /**
   * When `azureMs` of Azure time since `since` will have passed: by the clock, or (not in virtual time) in real time at
   * the current scale; `reached` tells whether either has come.
   */
  dueAt(since: TimeMark, azureMs: number): Due {
    return {
      clockMs: since.clockMs + azureMs,
      realMs: this.virtual ? Number.POSITIVE_INFINITY : since.realMs + azureMs * this.scale,
      scale: this.scale,
    };
  }

  /** Whether `due` has come; a due taken at another time scale has, so that it is taken again. */
  reached(due: Due): boolean {
    return due.scale !== this.scale || this.now().getTime() >= due.clockMs || performance.now() >= due.realMs;
  }

  /** Azure time since `since` for what the service does on its own schedule (backups): never instant, even at scale 0. */
  scheduleElapsedMs(since: TimeMark): number {
    const byClock = this.now().getTime() - since.clockMs;
    return this.scale === 0 || this.virtual
      ? byClock
      : Math.max(byClock, (performance.now() - since.realMs) / this.scale);
  }

  /** Real milliseconds until `azureMs` of Azure time have passed since `since` (0 when they have). */
  realMsUntil(since: TimeMark, azureMs: number): number {
    if (this.virtual) return 0;
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
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`timeScale must be a number >= 0 (real ms per Azure ms); got ${value}`);
  return value;
}
