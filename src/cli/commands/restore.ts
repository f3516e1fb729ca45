import { Command, InvalidArgumentError, Option } from 'commander';
import { credentialFor } from '../../adapters/azure/credential.js';
import { ENGINES, parseEngine, type Engine } from '../../domain/engines.js';
import { PreflightError } from '../../domain/operator.js';
import { operatorName, restoreClone, type OperatorDeps, type RestoreRecord } from '../../jobs/operator.js';
import { UnprovenError } from '../../jobs/gate.js';
import type { Wired } from '../../wiring.js';
import { cliDeps } from '../context.js';
import { outputOption, print, processIo, renderTable, type Io, type OutputFormat } from '../output.js';

/** How the operator commands are run; tests inject deps built on a local stack and capture io and the exit status. */
export interface OperatorCommandOptions {
  readonly io?: Io;
  /** The composition root (default `cliDeps`: the environment, or the `npm start` stack with --local). */
  readonly deps?: (options: { local?: boolean }) => Promise<Wired>;
  /** Sets the exit status (default `process.exitCode`). */
  readonly setExitCode?: (code: number) => void;
  /** Where USER comes from (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export const localOption = (): Option =>
  new Option('--local', 'talk to the stack `npm start` runs (its Azurite and emulator) instead of Azure');
const EMAIL = /^[^\s@<>"(),;:]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+$/i;
const OBJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Commander parser of a principal: an e-mail address or an Entra object id (GUID); anything else is refused input (exit 2). */
export function emailOrObjectId(value: string): string {
  const v = value.trim();
  if (EMAIL.test(v) || OBJECT_ID.test(v)) return v;
  throw new InvalidArgumentError('give an e-mail address (alice@contoso.com) or an Entra object id (a GUID).');
}

export const asOption = (): Option =>
  new Option(
    '--as <email-or-object-id>',
    'who you are, when the sign-in carries no user name (default: $USER): an e-mail address or an Entra object id',
  ).argParser(emailOrObjectId);

/** Wired deps plus the operator's name (from the sign-in, --as or USER). */
export async function operatorDeps(
  options: OperatorCommandOptions,
  opts: { local?: boolean; as?: string },
): Promise<OperatorDeps & { wired: Wired }> {
  const wired = await (options.deps ?? cliDeps)({ ...(opts.local !== undefined ? { local: opts.local } : {}) });
  const operator = await operatorName(credentialFor(wired.config), opts.as ?? (options.env ?? process.env).USER);
  return { ...wired, operator, wired };
}

/** Runs an action; a refused request prints every problem on stderr and exits 2 (nothing was changed). */
export async function refusalsExit2(
  options: OperatorCommandOptions,
  command: string,
  action: () => Promise<void>,
): Promise<void> {
  try {
    await action();
  } catch (error) {
    // Refused input, nothing changed: a failed preflight, or a change asked for a server not proven a clone.
    if (!(error instanceof PreflightError) && !(error instanceof UnprovenError)) throw error;
    (options.io ?? processIo).err(`pitr-warden ${command}: ${error.message}`);
    (options.setExitCode ?? ((code: number) => void (process.exitCode = code)))(2);
  }
}

interface RestoreOpts {
  engine?: Engine;
  server?: string;
  source: string;
  time: string;
  name: string;
  resourceGroup?: string;
  owner: string;
  incident?: string;
  purpose?: string;
  ttl?: string;
  wait?: boolean;
  as?: string;
  output: OutputFormat;
  local?: boolean;
}

/**
 * `pitr-warden restore --source <server> --time <ISO with Z or offset> --name <new> --owner <email> (--incident <id> | --purpose <text>)`:
 * a governed point-in-time restore. Every preflight problem is reported at once before anything is created; the clone
 * is born with its lineage, owner, reason and expiry tags; the evidence record is printed and logged.
 * @example program.addCommand(restoreCommand());
 */
export function restoreCommand(options: OperatorCommandOptions = {}): Command {
  const io = options.io ?? processIo;
  return (
    new Command('restore')
      .description(
        'Governed point-in-time restore: preflight every check, then create the clone with its lineage, owner and expiry tags',
      )
      .requiredOption('--source <server>', 'source server name or resource id')
      .requiredOption(
        '--time <iso>',
        'restore point, ISO 8601 in UTC (2026-11-20T08:00:00Z) or with an offset (2026-11-20T09:00:00+01:00)',
      )
      .requiredOption(
        '--name <new>',
        'name of the new server (3-63 lower-case letters, digits, hyphens), or of the new database',
      )
      .addOption(
        new Option(
          '--engine <engine>',
          `the source's engine (${ENGINES.join(', ')}); sql-database restores a database on its logical server (--server)`,
        ).argParser((value: string) => {
          try {
            return parseEngine(value);
          } catch (error) {
            throw new InvalidArgumentError((error as Error).message);
          }
        }),
      )
      .option(
        '--server <logical-server>',
        'SQL Database: the logical server of --source; the new database goes on the same server',
      )
      .option(
        '--resource-group <rg>',
        "target resource group (default: the source's; others only when the policy allows them)",
      )
      .addOption(
        new Option('--owner <email>', 'who answers for the clone: an e-mail address in an allowed mail domain')
          .argParser(emailOrObjectId)
          .makeOptionMandatory(),
      )
      // Not commander conflicts: the preflight reports "both" together with every other problem.
      .option('--incident <id>', 'incident the clone serves (give this or --purpose)')
      .option('--purpose <text>', 'why the clone exists, when there is no incident')
      .option('--ttl <lifetime>', 'lifetime such as 36h, 7d, 2w (default: the policy default; at most its maximum)')
      .option('--wait', 'wait until the clone is Ready, with progress on stderr')
      .addOption(asOption())
      .addOption(outputOption())
      .addOption(localOption())
      .action((opts: RestoreOpts) =>
        refusalsExit2(options, 'restore', async () => {
          const deps = await operatorDeps(options, opts);
          const started = Date.now();
          const record = await restoreClone(
            {
              source: opts.source,
              ...(opts.engine !== undefined ? { engine: opts.engine } : {}),
              ...(opts.server !== undefined ? { server: opts.server } : {}),
              time: opts.time,
              name: opts.name,
              owner: opts.owner,
              ...(opts.resourceGroup !== undefined ? { resourceGroup: opts.resourceGroup } : {}),
              ...(opts.incident !== undefined ? { incident: opts.incident } : {}),
              ...(opts.purpose !== undefined ? { purpose: opts.purpose } : {}),
              ...(opts.ttl !== undefined ? { ttl: opts.ttl } : {}),
              ...(opts.wait
                ? {
                    wait: true,
                    onProgress: (state: string) =>
                      io.err(`restore ${opts.name}: ${state} after ${Math.round((Date.now() - started) / 1000)}s`),
                  }
                : {}),
            },
            deps,
          );
          print(io, opts.output, record, () => renderRestoreRecord(record));
        }),
      )
  );
}

/** The evidence record as aligned lines, for a person or a ticket pasted as text. */
export function renderRestoreRecord(r: RestoreRecord): string {
  const rows: [string, string][] = [
    ['source', r.sourceServerId],
    ['requested', r.requestedRestorePoint],
    ['restore point (UTC)', r.effectiveRestorePointUtc],
    ['new server', r.newServerId],
    ['state', r.state],
    ['restored by', r.restoredBy],
    ['owner', r.owner],
    [r.incident !== undefined ? 'incident' : 'purpose', r.incident ?? r.purpose ?? ''],
    ['expires on', r.expiresOn],
    ['started', r.startedAt],
    ['finished', r.finishedAt],
    ['duration', `${r.durationSeconds}s`],
  ];
  const tags = renderTable(Object.entries(r.tags).map(([tag, value]) => ({ tag, value })));
  return [...rows.map(([k, v]) => `${k.padEnd(20)}${v}`), '', tags].join('\n');
}
