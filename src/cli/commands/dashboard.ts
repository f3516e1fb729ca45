import { Command, Option } from 'commander';
import { dashboardReader, type DashboardReader } from '../../jobs/dashboard.js';
import { dashboardDeps } from '../../wiring.js';
import { cliDeps } from '../context.js';
import { processIo, renderTable, type Io } from '../output.js';

const VIEWS = ['summary', 'clones', 'cost', 'expiring', 'review', 'drills'] as const;

export interface DashboardCommandOptions {
  readonly io?: Io;
  /** The reader of the dashboard's data (default: the tables of the environment, or of `npm start` with --local). */
  readonly reader?: (options: { local?: boolean }) => Promise<DashboardReader>;
}

interface Opts {
  output: 'json' | 'table' | 'csv';
  local?: boolean;
  all?: boolean;
  owner?: string;
  state?: string;
  engine?: string;
  proof?: string;
  text?: string;
  sort?: string;
  desc?: boolean;
  page?: string;
  pageSize?: string;
}

/**
 * `pitr-warden dashboard <view>`: the dashboard's views in a terminal, from the same read model (the tables only, no
 * ARM call). Every view of the web dashboard names the command that prints its data.
 * @example program.addCommand(dashboardCommand());
 */
export function dashboardCommand(options: DashboardCommandOptions = {}): Command {
  const io = options.io ?? processIo;
  return new Command('dashboard')
    .description(
      "the dashboard's views: summary, clones, cost, expiring, review, drills (health: pitr-warden status; a clone's timeline: pitr-warden evidence)",
    )
    .addArgument(new Command().createArgument('<view>', 'which view').choices(VIEWS))
    .addOption(
      new Option('-o, --output <format>', 'output format (csv: clones only)')
        .choices(['json', 'table', 'csv'])
        .default('table'),
    )
    .addOption(new Option('--local', 'talk to the stack `npm start` runs (its Azurite and emulator)'))
    .option('--all', 'clones: servers that are not clones too')
    .option('--owner <mail>', 'clones: only this owner')
    .option('--state <state>', 'clones: only this state')
    .option('--engine <engine>', 'clones: only this engine')
    .option('--proof <proof>', 'clones: only this proof (proven, claimed, suspected)')
    .option('--text <text>', 'clones: part of the name, resource group, owner or reason')
    .option('--sort <column>', 'clones: name, owner, state, expiresOn, costPerDay, costToDate, createdAt')
    .option('--desc', 'clones: sort descending')
    .option('--page <n>', 'clones: page number (pages of --page-size)')
    .option('--page-size <n>', 'clones: rows per page (default 50, at most 500)')
    .action(async (view: (typeof VIEWS)[number], opts: Opts) => {
      const reader = await (options.reader ?? defaultReader)({
        ...(opts.local !== undefined ? { local: opts.local } : {}),
      });
      const query: Record<string, string> = {
        ...(opts.all ? { scope: 'all' } : {}),
        ...Object.fromEntries(
          (['owner', 'state', 'engine', 'proof', 'text', 'sort', 'page'] as const).flatMap((k) =>
            opts[k] ? [[k, opts[k]]] : [],
          ),
        ),
        ...(opts.desc ? { dir: 'desc' } : {}),
        ...(opts.pageSize ? { pageSize: opts.pageSize } : {}),
      };
      if (opts.output === 'csv') {
        if (view !== 'clones')
          throw new Error(
            `--output csv is for the clones view; for one clone's evidence use the dashboard's CSV export`,
          );
        io.out(await reader.inventoryCsv(query));
        return;
      }
      const data = (await reader.view(view, query)) as Record<string, unknown>;
      io.out(opts.output === 'json' ? JSON.stringify(data, null, 2) : renderView(view, data));
    });
}

async function defaultReader(options: { local?: boolean }): Promise<DashboardReader> {
  return dashboardReader(dashboardDeps(await cliDeps(options)));
}

type Rows = Array<Record<string, unknown>>;

function renderView(view: (typeof VIEWS)[number], data: Record<string, unknown>): string {
  const items = (data.items ?? []) as Rows;
  switch (view) {
    case 'summary': {
      const counts = data.counts as { servers: number; clones: number; byState: Rows; byOwner: Rows };
      const cost = data.cost as { perDay: number; toDate: number; currency: string };
      return [
        `${counts.clones} clones of ${counts.servers} servers; ${data.expiring as number} expiring within 14 days; ${data.review as number} waiting for review`,
        `cost (estimate): ${cost.perDay} ${cost.currency} per day, ${cost.toDate} ${cost.currency} to date`,
        '',
        renderTable(counts.byState.map((c) => ({ state: c.value, clones: c.count }))),
      ].join('\n');
    }
    case 'clones':
      return [
        renderTable(
          items.map((r) => ({
            name: r.name,
            owner: r.owner,
            state: r.state,
            engine: r.engine,
            proof: r.proof ?? r.classification,
            expiresOn: r.expiresOn ?? r.expiresOnInvalid,
            perDay: r.costPerDay,
            toDate: r.costToDate,
          })),
        ),
        `page ${data.page as number} of ${data.pages as number} (${data.total as number} rows)`,
      ].join('\n');
    case 'cost': {
      const series = data.series as Rows;
      const sources = (data.priceSources as Rows).map((s) => `${s.kind as string} ${s.asOf as string}`).join(', ');
      return [
        `${data.perDay as number} ${data.currency as string} per day, ${data.toDate as number} to date (estimate at list prices: ${sources || 'no prices'})`,
        renderTable(
          (data.byOwner as Rows).map((o) => ({ owner: o.owner, clones: o.clones, perDay: o.perDay, toDate: o.toDate })),
        ),
        '',
        renderTable(series.slice(-14)),
      ].join('\n');
    }
    case 'expiring':
      return renderTable(
        items.map((r) => ({
          name: r.name,
          owner: r.owner,
          expiresOn: r.expiresOn ?? r.expiresOnInvalid,
          note: r.note,
        })),
      );
    case 'review':
      return renderTable(
        items.map((r) => ({
          name: r.name,
          owner: r.owner,
          proof: r.proof ?? r.classification,
          confirm: r.confirm,
          dismiss: r.dismiss,
        })),
      );
    case 'drills':
      return renderTable(
        (data.recent as Rows).map((d) => ({
          requestedAt: d.requestedAt,
          source: d.sourceName,
          outcome: d.outcome,
          minutesToReady: d.minutesToReady,
          minutesToValidated: d.minutesToValidated,
        })),
      );
  }
}
