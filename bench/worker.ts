import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../src/config.js';
import type { GovernDeps } from '../src/jobs/deps.js';
import { reconcile, runLimited } from '../src/jobs/reconcile.js';
import { sweep } from '../src/jobs/sweep.js';
import { fixedClock, type Clock } from '../src/ports/clock.js';
import { build, type Wired } from '../src/wiring.js';
import { EmulatorRequests, type ArmCounter } from './emulatorRequests.js';

/**
 * The warden's side of a benchmark, in a process of its own (the sandbox runs Azurite and the emulator in another), so
 * the RSS measured is the warden's alone.
 */
export type Job =
  /** The reconcile job: a first run that records and governs, then a run 5 minutes later with nothing changed. */
  | 'reconcile'
  /** One GET of every server, and the firewall rules and locks of every clone, as a reconcile that trusts nothing would. */
  | 'reconcile-naive'
  /** The sweep job in enforce mode. */
  | 'sweep'
  /** The reads of a sweep that trusts nothing: one GET of every server, the rules and locks of every clone (no deletions). */
  | 'sweep-naive';

export interface WorkerSpec {
  readonly job: Job;
  readonly settings: Record<string, string>;
  /**
   * V8's old-space limit of the warden's process (`--max-old-space-size`, which a Functions app takes from the
   * languageWorkers__node__arguments setting, which the benches pass by default: report.ts `maxOldSpaceOf`); left out,
   * V8's own sizing for this machine.
   */
  readonly maxOldSpaceMb?: number;
  /** The sandbox process (emulator and Azurite), whose CPU time each run reads from /proc. */
  readonly sandboxPid?: number;
  /** Sweep: the fixed "now", caps and concurrency. */
  readonly sweep?: { readonly now: string; readonly maxDeletions: number; readonly concurrency?: number };
}

/** The figures of one measured run. */
export interface RunFigures {
  readonly label: string;
  readonly wallMs: number;
  /** CPU time (user and system) of the warden's process during the run. */
  readonly cpuMs: number;
  /** CPU time of the sandbox process (emulator and Azurite) during the run, when /proc shows it. */
  readonly sandboxCpuMs?: number;
  /** Peak V8 heap in use (sampled with the RSS): what the warden holds, without the heap's slack and the code. */
  readonly peakHeapMb: number;
  /** Peak RSS of the warden's process while the run lasted (sampled every 100 ms). */
  readonly peakRssMb: number;
  readonly arm: { readonly total: number; readonly counters: ArmCounter[] };
  readonly table: {
    readonly reads: number;
    readonly writes: number;
    readonly batches: number;
    readonly entitiesWritten: number;
  };
  readonly outcome: Record<string, unknown>;
}

export interface WorkerResult {
  readonly runs: RunFigures[];
  /** The process's own peak RSS over its life (getrusage maxrss). */
  readonly maxRssMb: number;
}

/** Runs one job in a child process and returns its figures. */
export function runWorker(spec: WorkerSpec): Promise<WorkerResult> {
  const execArgv = [...process.execArgv, ...(spec.maxOldSpaceMb ? [`--max-old-space-size=${spec.maxOldSpaceMb}`] : [])];
  const child = fork(process.argv[1]!, ['__worker', JSON.stringify(spec)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv,
  });
  return new Promise((resolve, reject) => {
    let result: WorkerResult | undefined;
    child.on('message', (message: { type: string; result?: WorkerResult; error?: string }) => {
      if (message.type === 'result') result = message.result;
      if (message.type === 'error') reject(new Error(`${spec.job}: ${message.error}`));
    });
    child.once('exit', (code) =>
      result ? resolve(result) : reject(new Error(`the ${spec.job} worker exited with code ${code} and no result`)),
    );
  });
}

/** The child side: `node dist/bench/run.js __worker <spec>`. */
export async function workerMain(specJson: string): Promise<void> {
  const spec = JSON.parse(specJson) as WorkerSpec;
  try {
    const wired = await build(loadConfig(spec.settings));
    const requests = new EmulatorRequests(spec.settings, readFileSync(spec.settings.ARM_CA_CERT_PATH!, 'utf8'));
    const runs: RunFigures[] = [];
    const measured = async (label: string, work: () => Promise<Record<string, unknown>>, withEngines = false) => {
      await requests.clear();
      wired.stores.resetStats();
      const figures = await measure(work, spec.sandboxPid);
      const arm = await requests.counters();
      const table = wired.stores.stats();
      // Per engine, from the inventory the run left (read after the figures are taken, so it costs the run nothing).
      const engines = withEngines ? await engineCounts(wired) : undefined;
      runs.push({ label, ...figures, ...(engines ? { outcome: { ...figures.outcome, engines } } : {}), arm, table });
    };
    switch (spec.job) {
      case 'reconcile': {
        const options = { refreshPeriodMs: wired.config.reconcile.refreshPeriodMs };
        await measured('first run (records and governs)', async () => ({ ...(await reconcile(wired, options)) }), true);
        // The next timer run (RECONCILE_SCHEDULE: every 5 minutes), with nothing changed in between.
        const later = shifted(5 * 60_000);
        await measured(
          'unchanged (5 minutes later)',
          async () => ({ ...(await reconcile({ ...wired, clock: later }, options)) }),
          true,
        );
        break;
      }
      case 'reconcile-naive':
        await measured('naive, unchanged', () => naiveReads(wired, 'reconcile'));
        break;
      case 'sweep': {
        const s = spec.sweep!;
        const run = async (at: string) => {
          const result = await sweep(
            { ...wired, clock: fixedClock(at) },
            {
              mode: 'enforce',
              maxDeletionsPerRun: s.maxDeletions,
              maxDeletionPercent: 100,
              maxDisagreementPercent: 25,
              concurrencyPerSubscription: wired.config.sweep.concurrencyPerSubscription,
              ...(s.concurrency ? { concurrency: s.concurrency } : {}),
            },
          );
          const outcomes = (outcome: string) => result.deleted.filter((d) => d.outcome === outcome).length;
          return {
            eligible: result.planned.length,
            // Asked of ARM (202) plus deleted at once (200) or found gone; `finished`: recorded gone after an earlier run.
            deleted: result.deleted.length - outcomes('finished'),
            requested: outcomes('requested'),
            finished: outcomes('finished'),
            held: result.held.length,
            skipped: result.skipped.length,
            failed: result.failed.length,
            ...(result.failed[0] ? { firstFailure: `${result.failed[0].name}: ${result.failed[0].reason}` } : {}),
            ...(result.stoppedBecause ? { stoppedBecause: result.stoppedBecause } : {}),
          };
        };
        await measured('sweep (enforce)', () => run(s.now), true);
        // ARM finishes each delete in about a minute (at once on the bench's emulator); the next timer run records them
        // gone. In Azure the delete events usually record them first, through intake.
        await measured('next sweep (records the deletions ARM finished)', () => run(minutesAfter(s.now, 60)), true);
        break;
      }
      case 'sweep-naive':
        await measured('naive reads (no deletions)', () => naiveReads(wired, 'sweep'));
        break;
    }
    process.send?.({
      type: 'result',
      result: { runs, maxRssMb: process.resourceUsage().maxRSS / 1024 } satisfies WorkerResult,
    });
  } catch (error) {
    process.send?.({ type: 'error', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exitCode = 1;
  }
}

/** Per engine: inventory rows, clones (any proof) and deleted ones, as the run left them. */
export type EngineCounts = Record<
  string,
  { servers: number; clones: number; governed: number; deleting: number; deleted: number }
>;

async function engineCounts(wired: Wired): Promise<EngineCounts> {
  const counts: EngineCounts = {};
  for (const row of await wired.inventory.list()) {
    const c = (counts[row.engine] ??= { servers: 0, clones: 0, governed: 0, deleting: 0, deleted: 0 });
    c.servers++;
    if (row.classification !== 'not-a-clone') c.clones++;
    if (row.state === 'governed') c.governed++;
    if (row.state === 'deleting') c.deleting++;
    if (row.state === 'deleted') c.deleted++;
  }
  return counts;
}

function minutesAfter(at: string, minutes: number): string {
  return new Date(Date.parse(at) + minutes * 60_000).toISOString();
}

/** The system clock moved forward: the timer's next run. */
function shifted(ms: number): Clock {
  return { now: () => new Date(Date.now() + ms) };
}

/**
 * What a reconcile (or sweep) that trusts nothing reads: every subscription's listing and inventory partition (and, for
 * reconcile, its Activity Log), then one GET of every server, with the firewall rules and locks of every clone.
 */
async function naiveReads(deps: Wired, job: 'reconcile' | 'sweep'): Promise<Record<string, unknown>> {
  const counts = { servers: 0, clones: 0, failed: 0 };
  const now = deps.clock.now();
  // Every subscription at once (each has its own ARM budget), or the naive run would take minutes of pacing.
  await Promise.all(
    deps.settings.subscriptionIds.map(async (subscriptionId) => {
      const [servers, rows] = await Promise.all([
        deps.servers.list(subscriptionId),
        deps.inventory.list({ subscriptionId }),
        job === 'reconcile' ? activity(deps, subscriptionId, now) : undefined,
      ]);
      const clones = new Set(
        rows.filter((r) => r.classification !== 'not-a-clone' && r.state !== 'deleted').map((r) => r.key),
      );
      counts.servers += servers.length;
      counts.clones += servers.filter((s) => clones.has(s.key)).length;
      await runLimited(
        servers.map((s) => async () => {
          const clone = clones.has(s.key);
          await deps.servers.get(s.id, { withFirewallRules: clone, withLocks: clone });
        }),
        16,
        () => counts.failed++,
      );
    }),
  );
  return counts;
}

function activity(deps: GovernDeps, subscriptionId: string, now: Date): Promise<unknown[]> {
  return deps.activity.list(subscriptionId, { from: new Date(now.getTime() - 5 * 60_000), to: now });
}

/** Wall time and the peak RSS of this process while `work` runs; the sandbox's CPU time when its pid is given. */
async function measure(
  work: () => Promise<Record<string, unknown>>,
  sandboxPid?: number,
): Promise<{
  wallMs: number;
  cpuMs: number;
  sandboxCpuMs?: number;
  peakRssMb: number;
  peakHeapMb: number;
  outcome: Record<string, unknown>;
}> {
  const mb = (bytes: number) => bytes / 1024 / 1024;
  let peak = mb(process.memoryUsage.rss());
  let heap = mb(process.memoryUsage().heapUsed);
  const sampler = setInterval(() => {
    peak = Math.max(peak, mb(process.memoryUsage.rss()));
    heap = Math.max(heap, mb(process.memoryUsage().heapUsed));
  }, 100);
  const sandboxBefore = cpuOfProcess(sandboxPid);
  const started = performance.now();
  const cpu = process.cpuUsage();
  try {
    const outcome = await work();
    const used = process.cpuUsage(cpu);
    const sandboxAfter = cpuOfProcess(sandboxPid);
    return {
      wallMs: performance.now() - started,
      cpuMs: (used.user + used.system) / 1000,
      ...(sandboxBefore !== undefined && sandboxAfter !== undefined
        ? { sandboxCpuMs: sandboxAfter - sandboxBefore }
        : {}),
      peakRssMb: Math.max(peak, mb(process.memoryUsage.rss())),
      peakHeapMb: Math.max(heap, mb(process.memoryUsage().heapUsed)),
      outcome,
    };
  } finally {
    clearInterval(sampler);
  }
}

/** User and system CPU time of a process in ms, from /proc/<pid>/stat (Linux; undefined elsewhere). */
function cpuOfProcess(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, closed by the last parenthesis): utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}
