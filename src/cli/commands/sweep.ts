import { Command, Option } from 'commander';
import type { Config } from '../../config.js';
import { sweep, type SweepDeletion, type SweepDeps, type SweepResult } from '../../jobs/sweep.js';
import { cliDeps } from '../context.js';
import { outputOption, print, processIo, progress, renderTable, type Io, type OutputFormat } from '../output.js';

export interface SweepCommandOptions {
  readonly io?: Io;
  /** Where the job's ports come from (default: the environment, or the `npm start` stack with --local). */
  readonly deps?: (options: { local?: boolean }) => Promise<SweepDeps & { readonly config: Pick<Config, 'sweep'> }>;
  /** Sets the exit status (default `process.exitCode`). */
  readonly setExitCode?: (code: number) => void;
  readonly onProgress?: (done: number, total: number, label: string) => void;
}

/**
 * `pitr-warden sweep [--dry-run|--enforce] [--output json|table] [--local]`: the deleteExpiredClones job from a
 * terminal. Dry-run unless --enforce (whatever SWEEP_MODE says); caps and checks from the SWEEP_* settings.
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
    .addOption(outputOption())
    .addOption(new Option('--local', 'talk to the stack `npm start` runs (its Azurite and emulator)'))
    .action(async (opts: { dryRun?: boolean; enforce?: boolean; output: OutputFormat; local?: boolean }) => {
      if (opts.dryRun && opts.enforce) {
        io.err('pitr-warden sweep: give --dry-run or --enforce, not both');
        setExitCode(2);
        return;
      }
      const deps = await (options.deps ?? cliDeps)({ local: opts.local });
      const result = await sweep(deps, {
        ...deps.config.sweep,
        mode: opts.enforce ? 'enforce' : 'dry-run',
        onProgress: options.onProgress ?? progress(io),
      });
      print(io, opts.output, result, () => renderSweepTable(result));
      if (result.stoppedBecause || result.failed.length > 0) setExitCode(1);
    });
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
