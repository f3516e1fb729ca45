import type { ArmCounter } from './emulatorRequests.js';
import type { RunFigures } from './worker.js';

/**
 * ARM calls grouped by kind: reads (GET), writes (PUT, PATCH, POST) and deletes, as ARM's budgets count them, and
 * Resource Graph queries (a POST that reads, under Resource Graph's own quota).
 */
export function armByKind(counters: readonly ArmCounter[]): {
  reads: number;
  writes: number;
  deletes: number;
  queries: number;
  throttled: number;
} {
  const out = { reads: 0, writes: 0, deletes: 0, queries: 0, throttled: 0 };
  for (const c of counters) {
    if (c.status === 429) out.throttled += c.count;
    if (c.operation === 'Resources_Query') out.queries += c.count;
    else if (c.method === 'GET') out.reads += c.count;
    else if (c.method === 'DELETE') out.deletes += c.count;
    else out.writes += c.count;
  }
  return out;
}

/** Prints one run: wall time, outcome, ARM calls by kind and operation, Table operations, peak RSS. */
export function printRun(run: RunFigures, servers: number): void {
  const kinds = armByKind(run.arm.counters);
  console.log(`\n${run.label}`);
  const sandboxCpu =
    run.sandboxCpuMs === undefined
      ? ''
      : `; of the sandbox, emulator and Azurite, ${(run.sandboxCpuMs / 1000).toFixed(2)} s`;
  console.log(
    `  wall time        ${(run.wallMs / 1000).toFixed(2)} s (CPU time of the warden's process ${(run.cpuMs / 1000).toFixed(2)} s${sandboxCpu})`,
  );
  console.log(
    `  outcome          ${Object.entries(run.outcome)
      .filter(([, v]) => typeof v !== 'object')
      .map(([k, v]) => `${k} ${String(v)}`)
      .join(', ')}`,
  );
  const engines = run.outcome.engines as Record<string, Record<string, number>> | undefined;
  for (const [engine, c] of Object.entries(engines ?? {})) {
    console.log(
      `  ${engine.padEnd(20)} ${Object.entries(c)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  }
  console.log(
    `  ARM calls        ${run.arm.total} (${(run.arm.total / servers).toFixed(3)} per server): ${kinds.reads} reads, ${kinds.writes} writes, ${kinds.deletes} deletes` +
      (kinds.throttled > 0 ? `, ${kinds.throttled} answered 429` : ''),
  );
  for (const c of run.arm.counters)
    console.log(`    ${`${c.method} ${c.operation} ${c.status}`.padEnd(46)} ${String(c.count).padStart(6)}`);
  console.log(
    `  Table operations ${run.table.reads} reads, ${run.table.writes} single writes, ${run.table.batches} batches, ${run.table.entitiesWritten} entities written`,
  );
  console.log(
    `  peak RSS         ${run.peakRssMb.toFixed(0)} MB (the warden's process; Azurite and the emulator run in another); peak V8 heap in use ${run.peakHeapMb.toFixed(0)} MB`,
  );
}

/** The JSON summary of a run, for the last line. */
export function summary(run: RunFigures): Record<string, unknown> {
  return {
    wallMs: Math.round(run.wallMs),
    cpuMs: Math.round(run.cpuMs),
    ...(run.sandboxCpuMs === undefined ? {} : { sandboxCpuMs: Math.round(run.sandboxCpuMs) }),
    armCalls: run.arm.total,
    armByKind: armByKind(run.arm.counters),
    armByOperation: Object.fromEntries(
      run.arm.counters.map((c) => [`${c.method} ${c.operation} ${c.status}`, c.count]),
    ),
    table: run.table,
    peakRssMb: Math.round(run.peakRssMb),
    peakHeapMb: Math.round(run.peakHeapMb),
    ...(run.outcome.engines ? { engines: run.outcome.engines } : {}),
  };
}

/** `--listing=arm|resource-graph` (SERVER_LISTING of the warden under measure); default resource-graph. */
export function listingOf(args: readonly string[]): 'arm' | 'resource-graph' {
  const given = args.find((a) => a.startsWith('--listing='))?.slice('--listing='.length);
  if (given === undefined) return 'resource-graph';
  if (given !== 'arm' && given !== 'resource-graph')
    throw new Error(`--listing must be arm or resource-graph; got ${JSON.stringify(given)}`);
  return given;
}

/** `--max-old-space-mb=N`: V8's old-space limit of the warden's process (the naive runs get the same). */
export function maxOldSpaceOf(args: readonly string[]): number | undefined {
  const given = args.find((a) => a.startsWith('--max-old-space-mb='))?.slice('--max-old-space-mb='.length);
  if (given === undefined) return undefined;
  const mb = Number(given);
  if (!Number.isInteger(mb) || mb < 16)
    throw new Error(`--max-old-space-mb must be a whole number of MB, at least 16; got ${JSON.stringify(given)}`);
  return mb;
}
