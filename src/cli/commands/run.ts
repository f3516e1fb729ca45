import { Command, Option } from 'commander';
import type { JobRun } from '../../ports/inventory.js';
import { cliDeps } from '../context.js';
import { runningLocalStack } from '../../local/stackFile.js';
import { outputOption, print, processIo, type Io, type OutputFormat } from '../output.js';
import { errorMessage } from '../../errorMessage.js';

export interface RunCommandOptions {
  readonly io?: Io;
  readonly setExitCode?: (code: number) => void;
  /** The running stack's settings (default: .local/settings.json of `npm start`). */
  readonly stack?: () => Record<string, string | undefined>;
  /** The runs table, for --wait (default: the local stack's). */
  readonly runs?: () => Promise<{ list(): Promise<JobRun[]> }>;
  /** Pause between two reads of the runs table while waiting (default 500 ms). */
  readonly pollIntervalInMs?: number;
}

interface RunOutcome {
  readonly function: string;
  readonly accepted: boolean;
  readonly at: string;
  readonly outcome?: 'succeeded' | 'failed';
  readonly error?: string;
  readonly counts?: Readonly<Record<string, number>>;
}

/**
 * `pitr-warden run <function> --local [--input <text>] [--wait]`: runs a function of the local stack now, through the
 * host's `POST /admin/functions/<name>` as Core Tools serves it (202: started). With --wait, follows the job's row in the
 * runs table until it finishes; exit status 1 when it failed.
 * @example program.addCommand(runCommand());
 */
export function runCommand(options: RunCommandOptions = {}): Command {
  const io = options.io ?? processIo;
  const setExitCode = options.setExitCode ?? ((code: number) => void (process.exitCode = code));
  return new Command('run')
    .description("Run a timer (or queue) function of the local stack now, as the Functions host's admin endpoint does")
    .argument(
      '<function>',
      'function name: reconcile, sendOwnerNotices, sendReviewDigest, sendFinopsSummary, deleteExpiredClones, onResourceEvent',
    )
    .option('--input <text>', "trigger input (a queue function's message)", '')
    .option('--wait', 'wait until the job has finished and show its outcome (timer jobs that record runs)')
    .addOption(
      new Option('--local', "run it on the stack `npm start` runs (required: in Azure use the portal's Test/Run)"),
    )
    .addOption(outputOption('table'))
    .action(async (name: string, opts: { input: string; wait?: boolean; local?: boolean; output: OutputFormat }) => {
      const local = opts.local ?? process.env.PITR_WARDEN_LOCAL === '1';
      if (!local) {
        io.err(
          `pitr-warden run: add --local to run ${name} on the stack \`npm start\` runs; in Azure, use the portal's Code + Test > Test/Run, or POST https://<app>.azurewebsites.net/admin/functions/${name} with the master key`,
        );
        setExitCode(2);
        return;
      }
      const stack = (options.stack ?? runningLocalStack)();
      const base = stack.PITR_WARDEN_LOCAL_HTTP_URL;
      if (!base)
        throw new Error(
          'the local stack did not publish its HTTP address (PITR_WARDEN_LOCAL_HTTP_URL); restart it with `npm start`',
        );
      const at = new Date();
      const response = await fetch(`${base}/admin/functions/${encodeURIComponent(name)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ input: opts.input }),
      }).catch((error: unknown) => {
        throw new Error(
          `the local host at ${base} does not answer (${errorMessage(error)}); is \`npm start\` still running?`,
          { cause: error },
        );
      });
      if (response.status !== 202) {
        io.err(`pitr-warden run: ${name}: ${response.status} ${(await response.text()).trim()}`);
        setExitCode(response.status === 404 || response.status === 400 ? 2 : 1);
        return;
      }
      let outcome: RunOutcome = { function: name, accepted: true, at: at.toISOString() };
      if (opts.wait) {
        io.err(`${name}: started at ${at.toISOString()}; waiting for it to finish...`);
        const runs = await (options.runs ?? (async () => (await cliDeps({ local: true })).runs))();
        const run = await finishedRun(runs, name, at, options.pollIntervalInMs ?? 500);
        outcome = {
          ...outcome,
          outcome: run.lastOutcome ?? 'failed',
          ...(run.lastError ? { error: run.lastError } : {}),
          ...(run.counts ? { counts: run.counts } : {}),
        };
        if (outcome.outcome === 'failed') setExitCode(1);
      }
      print(io, opts.output, outcome, () => renderOutcome(outcome, base));
    });
}

/** Reads the job's run row until a run that started at or after `since` has finished. */
async function finishedRun(
  runs: { list(): Promise<JobRun[]> },
  job: string,
  since: Date,
  intervalMs: number,
): Promise<JobRun> {
  // A job that records no run (a queue function) would never finish here: give up after a while, saying so.
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    const row = (await runs.list()).find((r) => r.job === job);
    const started = row?.lastStartedAt ? Date.parse(row.lastStartedAt) : NaN;
    const finished = row?.lastFinishedAt ? Date.parse(row.lastFinishedAt) : NaN;
    // Seconds precision in the table: a run that began in the same second as the request counts.
    if (row && started >= Math.floor(since.getTime() / 1000) * 1000 && finished >= started) return row;
    if (Date.now() > deadline)
      throw new Error(
        `${job} has not recorded a finished run since ${since.toISOString()}; see the \`npm start\` terminal`,
      );
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function renderOutcome(o: RunOutcome, base: string): string {
  if (!o.outcome)
    return `${o.function}: started on the local host (${base}) at ${o.at}; its outcome is logged in the \`npm start\` terminal (add --wait to wait for it)`;
  const counts = o.counts
    ? ` (${Object.entries(o.counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`
    : '';
  return `${o.function}: ${o.outcome}${counts}${o.error ? `: ${o.error}` : ''}`;
}
