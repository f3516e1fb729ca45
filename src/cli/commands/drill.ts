import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { drillTrend, planCovers, type DrillRecord } from '../../domain/drills.js';
import { phaseRows, renderDrillHtml, renderDrillText } from '../../domain/drillReport.js';
import { PreflightError } from '../../domain/operator.js';
import { adhocPlan, drillDeps, runDrill } from '../../jobs/drills.js';
import { locateServer } from '../../jobs/operator.js';
import { cliDeps } from '../context.js';
import { outputOption, print, processIo, renderTable, type OutputFormat } from '../output.js';
import { asOption, localOption, operatorDeps, refusalsExit2, type OperatorCommandOptions } from './restore.js';

interface RunOpts {
  source: string;
  plan?: string;
  point?: string;
  owner?: string;
  wait?: boolean;
  as?: string;
  output: OutputFormat;
  local?: boolean;
}

/**
 * `pitr-warden drill run|list|report`: restore drills of production servers, measured and validated, cleaned up.
 * @example program.addCommand(drillCommand());
 */
export function drillCommand(options: OperatorCommandOptions = {}): Command {
  const io = options.io ?? processIo;
  const setExitCode = options.setExitCode ?? ((code: number) => void (process.exitCode = code));
  const drill = new Command('drill').description(
    'Restore drills: a governed restore, measured phase by phase, validated on its data, then deleted',
  );

  drill
    .command('run')
    .description(
      'Run a drill now: restore through the warden, wait for Ready, connect, validate, record, mail the owner, delete the clone',
    )
    .requiredOption('--source <server>', 'server to drill (name or resource id); never touched itself')
    .option('--plan <name>', 'drill plan of the policy (default: the plan covering the source, else an ad-hoc drill)')
    .option('--point <utc|latest>', "restore point: latest, or ISO 8601 with Z or an offset (default: the plan's)")
    .option('--owner <email>', 'who hears the outcome of an ad-hoc drill (default: the fallback mailbox)')
    .option(
      '--wait',
      "also wait out the plan's keep period and delete the clone (else the runRestoreDrills timer deletes a kept clone)",
    )
    .addOption(asOption())
    .addOption(outputOption())
    .addOption(localOption())
    .action((opts: RunOpts) =>
      refusalsExit2(options, 'drill run', async () => {
        const deps = await operatorDeps(options, opts);
        const plans = deps.policy.drills;
        let plan = opts.plan ? plans.find((p) => p.name === opts.plan) : undefined;
        if (opts.plan && !plan)
          throw new PreflightError(
            [
              `--plan: no drill plan named ${opts.plan} in the policy (${plans.map((p) => p.name).join(', ') || 'it has none'})`,
            ],
            'drill',
          );
        if (!plan) {
          const located = await locateServer(opts.source, deps);
          plan = located.server ? plans.find((p) => planCovers(p, located.server!)) : undefined;
        }
        plan ??= adhocPlan(opts.owner ?? deps.settings.fallbackMailbox);
        const record = await runDrill(
          {
            plan,
            source: opts.source,
            ...(opts.point !== undefined ? { point: opts.point } : {}),
            ...(opts.wait ? { waitForCleanup: true } : {}),
            onPhase: (phase, at) => io.err(`drill ${plan.name} of ${opts.source}: ${phase} at ${at}`),
          },
          drillDeps(deps.wired, deps.operator),
        );
        print(io, opts.output, record, () => renderDrillText(record));
        if (record.status !== 'passed') setExitCode(1);
      }),
    );

  drill
    .command('list')
    .description('Drills, newest first, with their outcome and phase times; --source for one server and its trend')
    .option('--source <server>', 'only drills of this server (name or resource id)')
    .addOption(outputOption())
    .addOption(localOption())
    .action(async (opts: { source?: string; output: OutputFormat; local?: boolean }) => {
      const wired = await (options.deps ?? cliDeps)({ ...(opts.local !== undefined ? { local: opts.local } : {}) });
      let records = await wired.stores.drills.list();
      if (opts.source) {
        const wanted = opts.source.toLowerCase();
        records = records.filter((r) => r.sourceId.toLowerCase() === wanted || r.sourceName.toLowerCase() === wanted);
      }
      const trend = opts.source && records[0] ? drillTrend(records, records[0].sourceId) : undefined;
      print(io, opts.output, trend ? { drills: records, trend } : records, () => renderDrillList(records));
    });

  drill
    .command('report')
    .description('One drill: facts, phases as a timeline, objectives, checks (--output html writes a page)')
    .argument('<id>', 'drill id (drill list shows them)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json', 'table', 'html']).default('table'))
    .option('--out <file>', 'write the report to this file instead of stdout')
    .addOption(localOption())
    .action(async (id: string, opts: { output: 'json' | 'table' | 'html'; out?: string; local?: boolean }) => {
      const wired = await (options.deps ?? cliDeps)({ ...(opts.local !== undefined ? { local: opts.local } : {}) });
      const record = await wired.stores.drills.get(id);
      if (!record) {
        io.err(`pitr-warden drill report: no drill ${id} (pitr-warden drill list shows them)`);
        setExitCode(2);
        return;
      }
      const text =
        opts.output === 'html'
          ? renderDrillHtml(record)
          : opts.output === 'json'
            ? JSON.stringify(record, null, 2)
            : renderDrillText(record);
      if (opts.out) {
        writeFileSync(opts.out, text, 'utf8');
        io.err(`wrote ${opts.out}`);
      } else io.out(text);
    });
  return drill;
}

export function renderDrillList(records: readonly DrillRecord[]): string {
  return renderTable(
    records.map((r) => {
      const phases = new Map(phaseRows(r).map((p) => [p.phase, p.minutes]));
      return {
        id: r.id,
        source: r.sourceName,
        plan: r.plan,
        started: r.startedAt,
        status: r.status,
        readyMin: phases.get('ready') ?? '',
        validatedMin: phases.get('validated') ?? '',
        clone: r.cloneState,
        why: r.failures[0] ?? '',
      };
    }),
  );
}
