/**
 * The emulator's notion of "now" for every timestamp it writes (systemData, Activity Log, restore windows).
 * Starts from the `now` option (or the system clock); admin calls can pin or advance it.
 */
export class EmulatorClock {
  private pinned: Date | undefined;
  private offsetMs = 0;

  constructor(private readonly base: () => Date = () => new Date()) {}

  now(): Date {
    return new Date((this.pinned ?? this.base()).getTime() + this.offsetMs);
  }

  pin(at: Date): void {
    this.pinned = new Date(at);
    this.offsetMs = 0;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  reset(): void {
    this.pinned = undefined;
    this.offsetMs = 0;
  }
}
