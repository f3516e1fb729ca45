import { Command, Option } from 'commander';
import { PreflightError } from '../../domain/operator.js';
import { confirmServer, promoteServer, type DecisionOutcome } from '../../jobs/decisions.js';
import { outputOption, print, processIo, type OutputFormat } from '../output.js';
import { asOption, localOption, operatorDeps, refusalsExit2, type OperatorCommandOptions } from './restore.js';

interface ConfirmOpts {
  clone?: boolean;
  notAClone?: boolean;
  source?: string;
  point?: string;
  reason: string;
  output: OutputFormat;
  local?: boolean;
  as?: string;
}

/**
 * `pitr-warden confirm <server> --clone [--source <id>] [--point <UTC>] --reason "..."` makes a server proven;
 * `pitr-warden confirm <server> --not-a-clone --reason "..."` dismisses it for good. Both are recorded (who, when, why)
 * and take effect on the next event or reconcile.
 * @example program.addCommand(confirmCommand());
 */
export function confirmCommand(options: OperatorCommandOptions = {}): Command {
  const io = options.io ?? processIo;
  return new Command('confirm')
    .description(
      'Settle a server on the review list: --clone makes it a proven clone the warden governs, --not-a-clone dismisses it for good',
    )
    .argument('<server>', 'server name or resource id')
    .addOption(
      new Option('--clone', 'it is a restored copy: prove it (the warden then governs it)').conflicts('notAClone'),
    )
    .addOption(
      new Option(
        '--not-a-clone',
        'it is not a restored copy: dismiss it for good (the warden never changes it)',
      ).conflicts('clone'),
    )
    .option('--source <server>', 'with --clone: the server it was restored from (name or resource id)')
    .option('--point <utc>', 'with --clone: the UTC restore point, ISO 8601 with Z or an offset')
    .requiredOption('--reason <text>', 'why (what was checked, by whom): kept in the evidence log')
    .addOption(asOption())
    .addOption(outputOption())
    .addOption(localOption())
    .action((server: string, opts: ConfirmOpts) =>
      refusalsExit2(options, 'confirm', async () => {
        if (!opts.clone && !opts.notAClone)
          throw new PreflightError(
            ['give --clone (it is a restored copy) or --not-a-clone (it is not)'],
            `confirmation of ${server}`,
          );
        const deps = await operatorDeps(options, opts);
        const outcome = await confirmServer(
          {
            server,
            verdict: opts.clone ? 'clone' : 'not-a-clone',
            reason: opts.reason,
            ...(opts.source !== undefined ? { source: opts.source } : {}),
            ...(opts.point !== undefined ? { point: opts.point } : {}),
          },
          deps,
        );
        print(io, opts.output, outcome, () => renderDecision('confirm', outcome));
      }),
    );
}

/**
 * `pitr-warden promote <server> --reason "..."`: the clone became a service (the runbook's cutover). Its clone lifecycle
 * ends for good; the warden removes ExpiresOn and keeps the lineage tags as history.
 * @example program.addCommand(promoteCommand());
 */
export function promoteCommand(options: OperatorCommandOptions = {}): Command {
  const io = options.io ?? processIo;
  return new Command('promote')
    .description(
      'A clone became a service: end its clone lifecycle for good (no expiry, reminders, deletion or clone network policy); removes ExpiresOn',
    )
    .argument('<server>', 'server name or resource id')
    .requiredOption('--reason <text>', 'why (the change or cutover that made it a service): kept in the evidence log')
    .addOption(asOption())
    .addOption(outputOption())
    .addOption(localOption())
    .action((server: string, opts: { reason: string; output: OutputFormat; local?: boolean; as?: string }) =>
      refusalsExit2(options, 'promote', async () => {
        const deps = await operatorDeps(options, opts);
        const outcome = await promoteServer({ server, reason: opts.reason }, deps);
        print(io, opts.output, outcome, () => renderDecision('promote', outcome));
      }),
    );
}

function renderDecision(command: string, o: DecisionOutcome): string {
  const lines = [
    `${command} ${o.name}: ${o.outcome === 'recorded' ? o.effect : `already recorded (${o.effect})`}`,
    o.serverId,
  ];
  lines.push(`decision: ${o.decision.kind} by ${o.decision.by} at ${o.decision.at}: ${o.decision.reason}`);
  if (o.decision.sourceServerId)
    lines.push(
      `source: ${o.decision.sourceServerId}${o.decision.restorePointUtc ? ` at ${o.decision.restorePointUtc}` : ''}`,
    );
  if (o.removedTags)
    lines.push(
      `removed tags: ${Object.entries(o.removedTags)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
    );
  return lines.join('\n');
}
