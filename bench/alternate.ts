import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** One measurement: the CPU time of this process and the wall time. */
export interface Measured {
  readonly cpuMs: number;
  readonly wallMs: number;
}

/**
 * Runs `work` and measures it; a full garbage collection before and after, so it pays for collecting what it made
 * and for nothing the one before left.
 */
export async function measured(work: () => Promise<void>): Promise<Measured> {
  collectGarbage();
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  collectGarbage();
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - started };
}

/**
 * Each way measured `rounds` times, after two unmeasured rounds (the JIT and the connections warm up), in turns whose
 * order flips every round, so drift in the machine's speed falls on every way alike. Returns each way's figures.
 * @example const figures = await alternate({ sdk: () => measured(...), lean: () => measured(...) }, 5)
 */
export async function alternate(
  ways: Record<string, () => Promise<Measured>>,
  rounds: number,
): Promise<Map<string, { cpuMs: number[]; wallMs: number[] }>> {
  for (let i = 0; i < 2; i++) for (const way of Object.values(ways)) await way();
  const results = new Map<string, { cpuMs: number[]; wallMs: number[] }>();
  for (let round = 0; round < rounds; round++) {
    const order = Object.entries(ways);
    if (round % 2 === 1) order.reverse();
    for (const [name, way] of order) {
      const figures = await way();
      const slot = results.get(name) ?? { cpuMs: [], wallMs: [] };
      slot.cpuMs.push(figures.cpuMs);
      slot.wallMs.push(figures.wallMs);
      results.set(name, slot);
    }
  }
  return results;
}

/** A full collection (V8's gc(), exposed for this process). */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
