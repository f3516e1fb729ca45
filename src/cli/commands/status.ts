import { Command } from 'commander';
import { credentialFor } from '../../adapters/azure/credential.js';
import { queueDepths } from '../../adapters/azure/queues/eventQueue.js';
import { wardenStatus, type QueueDepths, type WardenStatus } from '../../jobs/operator.js';
import { disabledJobs, type Wired } from '../../wiring.js';
import { cliDeps } from '../context.js';
import { outputOption, print, processIo, renderTable, type OutputFormat } from '../output.js';
import { localOption, type OperatorCommandOptions } from './restore.js';

export interface StatusCommandOptions extends OperatorCommandOptions {
  /** How queue depths are read (default: the events queue and its `-poison` twin in the configured storage). */
  readonly queues?: (wired: Wired) => () => Promise<QueueDepths>;
}

/**
 * `pitr-warden status [--output json|table] [--local]`: last run and last success of every job, queue depths, clones by
 * state. Exit status 1 when a job has not succeeded within twice its schedule or never succeeded.
 * @example program.addCommand(statusCommand());
 */
export function statusCommand(options: StatusCommandOptions = {}): Command {
  const io = options.io ?? processIo;
  const setExitCode = options.setExitCode ?? ((code: number) => void (process.exitCode = code));
  return new Command('status')
    .description(
      'Health of the warden: jobs (last run, last success, stale?), event and poison queue depths, clones by state',
    )
    .addOption(outputOption())
    .addOption(localOption())
    .action(async (opts: { output: OutputFormat; local?: boolean }) => {
      const wired = await (options.deps ?? cliDeps)({ ...(opts.local !== undefined ? { local: opts.local } : {}) });
      const status = await wardenStatus(
        {
          schedules: wired.config.schedules,
          disabled: disabledJobs(wired),
          queues: (options.queues ?? storageQueueDepths)(wired),
        },
        { ...wired, drills: wired.stores.drills },
      );
      print(io, opts.output, status, () => renderStatus(status));
      if (!status.healthy) setExitCode(1);
    });
}

/** Depths from Azure Storage queues (`approximateMessagesCount`); a queue that does not exist counts as null. */
export function storageQueueDepths(wired: Wired): () => Promise<QueueDepths> {
  return queueDepths(wired.config, credentialFor(wired.config));
}

function renderStatus(s: WardenStatus): string {
  const depth = (q: { name: string; depth: number | null }) => `${q.name} ${q.depth ?? '(no queue)'}`;
  const states = Object.entries(s.clones)
    .filter(([state]) => state !== 'total')
    .map(([state, n]) => `${state} ${n}`)
    .join(', ');
  return [
    `Status at ${s.now}: ${s.healthy ? 'healthy' : 'UNHEALTHY'}`,
    '',
    renderTable(
      s.jobs.map((j) => ({
        job: j.job,
        schedule: j.schedule ?? '',
        lastRun: j.lastStartedAt ?? '',
        outcome: j.lastOutcome ?? '',
        lastSuccess: j.lastSucceededAt ?? '',
        dueBy: j.dueBy ?? '',
        status: j.status,
      })),
    ),
    '',
    `queues: ${depth(s.queues.events)}; ${depth(s.queues.poison)}`,
    `clones: ${s.clones.total}${states ? ` (${states})` : ''}`,
    ...(s.drills.length
      ? [
          '',
          'Last drill of each source:',
          renderTable(
            s.drills.map((d) => ({
              source: d.sourceName,
              drill: d.drillId,
              at: d.at,
              status: d.status,
              healthy: d.healthy ? 'yes' : 'NO',
              detail: d.detail,
            })),
          ),
        ]
      : []),
    ...s.problems.map((p) => `problem: ${p}`),
    ...s.warnings.map((w) => `warning: ${w}`),
  ].join('\n');
}
