import { Command, Option } from 'commander';
import type { Config } from '../../config.js';
import { awaitDeletions, sweep, type SweepDeletion, type SweepDeps, type SweepResult } from '../../jobs/sweep.js';
import { cliDeps } from '../context.js';
import { outputOption, print, processIo, progress, renderTable, type Io, type OutputFormat } from '../output.js';

export interface SweepCommandOptions {
  readonly io?: Io;
  /** Where the job's ports come from (default: the environment, or the `npm start` stack with --local). */
  readonly deps?: (options: { local?: boolean }) => Promise<SweepDeps & { readonly config: Pick<Config, 'sweep'> }>;
  /** Sets the exit status (default `process.exitCode`). */
  readonly setExitCode?: (code: number) => void;
  readonly onProgress?: (done: number, total: number, label: string) => void;
  /** Between two reads while `--wait` waits (default `awaitDeletions`' 10 s). */
  readonly pollIntervalMs?: number;
}

/**
 * `pitr-warden sweep [--dry-run|--enforce [--wait [--wait-timeout <minutes>]]] [--output json|table] [--local]`: the
 * deleteExpiredClones job from a terminal. Dry-run unless --enforce (whatever SWEEP_MODE says); caps and checks from
 * the SWEEP_* settings. --wait waits for ARM to finish the deletes it accepted and records them.
 * Exit status 1 when the run stopped or an item failed.
 * @example program.addCommand(sweepCommand());
 */
export function sweepCommand(options: SweepCommandOptions = {}): Command {
  const io = options.io ?? processIo;
  const setExitCode = options.setExitCode ?? ((code: number) => void (process.exitCode = code));
  return new Command('sweep')
    .description('delete clones past expiry and grace, after a live re-check (dry-run unless --enforce)')
    .option('--dry-run', 'record and show what would be deleted (the default)')
    .option('--enforce', 'delete for real, within the SWEEP_MAX_* caps')
    .option(
      '--wait',
      'with --enforce: wait until ARM has deleted what it accepted (about a minute each) and record it; without it the delete event or the next run records it',
    )
    .addOption(
      new Option('--wait-timeout <minutes>', 'give up waiting after this long (the rest is recorded later)').default(
        '10',
      ),
    )
    .addOption(outputOption())
    .addOption(new Option('--local', 'talk to the stack `npm start` runs (its Azurite and emulator)'))
    .action(async (opts: SweepFlags) => {
      const invalid = flagProblem(opts);
      if (invalid) {
        io.err(`pitr-warden sweep: ${invalid}`);
        setExitCode(2);
        return;
      }
      const deps = await (options.deps ?? cliDeps)({ local: opts.local });
      const onProgress = options.onProgress ?? progress(io);
      let result = await sweep(deps, {
        ...deps.config.sweep,
        mode: opts.enforce ? 'enforce' : 'dry-run',
        onProgress,
      });
      let pending = 0;
      if (opts.wait && result.deleted.some((d) => d.outcome === 'requested')) {
        const waited = await awaitDeletions(deps, result.deleted, {
          timeoutMs: Number(opts.waitTimeout) * 60_000,
          onProgress,
          ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
        });
        result = { ...result, deleted: waited.deletions };
        pending = waited.pending;
      }
      print(io, opts.output, result, () => renderSweepTable(result));
      if (pending > 0)
        io.err(
          `${pending} deletion(s) still under way after ${opts.waitTimeout} minute(s): the delete event or the next run records them`,
        );
      if (result.stoppedBecause || result.failed.length > 0) setExitCode(1);
    });
}

interface SweepFlags {
  dryRun?: boolean;
  enforce?: boolean;
  wait?: boolean;
  waitTimeout: string;
  output: OutputFormat;
  local?: boolean;
}

/** What is wrong with the flags given together, or undefined. */
function flagProblem(opts: SweepFlags): string | undefined {
  if (opts.dryRun && opts.enforce) return 'give --dry-run or --enforce, not both';
  if (opts.wait && !opts.enforce) return '--wait waits for deletions: give it with --enforce';
  const minutes = Number(opts.waitTimeout);
  if (!Number.isFinite(minutes) || minutes <= 0)
    return `--wait-timeout must be a number of minutes above 0; got ${JSON.stringify(opts.waitTimeout)}`;
  return undefined;
}

/** How the table names each deletion outcome. */
const SWEEP_ACTIONS: Record<SweepDeletion['outcome'], string> = {
  requested: 'delete requested (ARM deleting)',
  deleted: 'deleted',
  'already-gone': 'deleted (already gone)',
  finished: 'deleted (ARM finished)',
};

/** A summary line, then one row per server the run acted on or reported: server, action, reason. */
export function renderSweepTable(result: SweepResult): string {
  const rows = [
    ...result.deleted.map((d) => ({
      server: d.name,
      action: SWEEP_ACTIONS[d.outcome],
      reason: d.reason,
    })),
    ...result.wouldDelete.map((w) => ({ server: w.name, action: 'would delete', reason: w.reason })),
    ...result.held.map((h) => ({ server: h.name, action: 'held', reason: h.reason })),
    ...result.failed.map((f) => ({ server: f.name || f.id, action: 'failed', reason: f.reason })),
    ...result.skipped.map((s) => ({
      server: s.name,
      action: s.reason.startsWith('deferred') ? 'deferred' : 'skipped',
      reason: s.reason,
    })),
  ];
  const c = result.counts;
  const head = `Sweep (${result.mode}) at ${result.at}: ${c.servers} server(s) in ${c.subscriptions} subscription(s), ${c.knownClones} known clone(s), ${result.planned.length} eligible, cap ${c.cap}`;
  const stopped = result.stoppedBecause ? [`STOPPED, nothing deleted: ${result.stoppedBecause}`] : [];
  return [head, ...stopped, '', renderTable(rows, ['server', 'action', 'reason'])].join('\n');
}
