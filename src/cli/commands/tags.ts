import { Command } from 'commander';
import { extendClone, holdClone, releaseClone, type OperatorDeps, type TagChangeOutcome } from '../../jobs/operator.js';
import { outputOption, print, processIo, type OutputFormat } from '../output.js';
import { asOption, localOption, operatorDeps, refusalsExit2, type OperatorCommandOptions } from './restore.js';

interface CommonOpts {
  output: OutputFormat;
  local?: boolean;
  as?: string;
}

/**
 * `pitr-warden extend|hold|release <server>`: the owner's side exits of the lifecycle, each one Tags API write on the live
 * server and one evidence entry. Server by name (the inventory, else the governed subscriptions) or resource id.
 * @example for (const command of tagCommands()) program.addCommand(command);
 */
export function tagCommands(options: OperatorCommandOptions = {}): Command[] {
  return [extendCommand(options), holdCommand(options), releaseCommand(options)];
}

function tagCommand(
  name: string,
  description: string,
  options: OperatorCommandOptions,
  run: (server: string, opts: CommonOpts & Record<string, string>, deps: OperatorDeps) => Promise<TagChangeOutcome>,
): Command {
  const io = options.io ?? processIo;
  return new Command(name)
    .description(description)
    .argument('<server>', 'server name or resource id')
    .addOption(asOption())
    .addOption(outputOption())
    .addOption(localOption())
    .action((server: string, opts: CommonOpts & Record<string, string>) =>
      refusalsExit2(options, name, async () => {
        const deps = await operatorDeps(options, opts);
        const outcome = await run(server, opts, deps);
        print(io, opts.output, outcome, () => renderOutcome(name, outcome));
      }),
    );
}

export function extendCommand(options: OperatorCommandOptions = {}): Command {
  return tagCommand(
    'extend',
    "Move a clone's expiry later (ExpiresOn), within its maximum lifetime",
    options,
    (server, opts, deps) =>
      extendClone({ server, until: opts.until!, ...(opts.reason ? { reason: opts.reason } : {}) }, deps),
  )
    .requiredOption(
      '--until <date>',
      'new expiry: a UTC date (2026-12-10, meaning 00:00 UTC) or a date-time with Z or an offset',
    )
    .option('--reason <text>', 'why, for the evidence log');
}

export function holdCommand(options: OperatorCommandOptions = {}): Command {
  return tagCommand(
    'hold',
    'Put a clone under legal hold (LegalHold tag = the reason): it is never deleted',
    options,
    (server, opts, deps) => holdClone({ server, reason: opts.reason! }, deps),
  ).requiredOption('--reason <text>', 'why the clone must be kept (at most 256 characters)');
}

export function releaseCommand(options: OperatorCommandOptions = {}): Command {
  return tagCommand(
    'release',
    'Release a legal hold (deletes the LegalHold tag); the expiry applies again',
    options,
    (server, opts, deps) => releaseClone({ server, ...(opts.reason ? { reason: opts.reason } : {}) }, deps),
  ).option('--reason <text>', 'why, for the evidence log');
}

function renderOutcome(command: string, o: TagChangeOutcome): string {
  const change = Object.keys({ ...o.before, ...o.after })
    .map((key) => `${key}: ${o.before[key] ?? '(none)'} -> ${o.after[key] ?? '(deleted)'}`)
    .join('; ');
  const head =
    o.outcome === 'changed'
      ? `${command} ${o.name}: ${change}`
      : `${command} ${o.name}: nothing to change (${o.note ?? change})`;
  return [head, o.serverId, ...(o.outcome === 'changed' && o.note ? [`note: ${o.note}`] : [])].join('\n');
}
