import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

/**
 * `--max-old-space-mb=N`: V8's old-space limit of the warden's process (the naive runs get the same). Left out, the
 * deployed app's (`appMaxOldSpaceMb`); `--max-old-space-mb=v8`: none, V8's own sizing for this machine.
 */
export function maxOldSpaceOf(args: readonly string[]): number | undefined {
  const given = args.find((a) => a.startsWith('--max-old-space-mb='))?.slice('--max-old-space-mb='.length);
  if (given === undefined) return appMaxOldSpaceMb();
  if (given === 'v8') return undefined;
  const mb = Number(given);
  if (!Number.isInteger(mb) || mb < 16)
    throw new Error(
      `--max-old-space-mb must be a whole number of MB, at least 16, or v8 (V8's own sizing); got ${JSON.stringify(given)}`,
    );
  return mb;
}

/** The Function App's template, whose app settings give the worker's Node arguments. */
const FUNCTION_APP_BICEP = join('infra', 'app', 'function-app.bicep');

/**
 * The old-space limit the deployed Functions app runs with: its `languageWorkers__node__arguments` setting in
 * infra/app/function-app.bicep (`--max-old-space-size=${instanceMemoryMB / 2}`) at the template's default instance
 * memory. Read from the template itself, so the benchmark measures the warden as it is deployed.
 */
export function appMaxOldSpaceMb(bicepPath = findUp(FUNCTION_APP_BICEP)): number {
  const text = readFileSync(bicepPath, 'utf8');
  const setting = /^\s*languageWorkers__node__arguments:\s*'([^']*)'/m.exec(text)?.[1];
  const instance = /^\s*param instanceMemoryMB int = (\d+)/m.exec(text)?.[1];
  const value = setting?.replace(/\$\{instanceMemoryMB \/ 2\}/g, String(Number(instance) / 2));
  const mb = value === undefined ? undefined : /^--max-old-space-size=(\d+)$/.exec(value)?.[1];
  if (mb === undefined || instance === undefined)
    throw new Error(
      `${bicepPath}: expected languageWorkers__node__arguments '--max-old-space-size=<MB or \${instanceMemoryMB / 2}>' and a default instanceMemoryMB; found ${JSON.stringify(setting)}`,
    );
  return Number(mb);
}

/** A file of the repository, from wherever this module was bundled to (bench/, dist/bench/, dist/shared/). */
function findUp(relativePath: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir))
    if (existsSync(join(dir, relativePath))) return join(dir, relativePath);
  throw new Error(`${relativePath} not found above ${fileURLToPath(import.meta.url)}`);
}
