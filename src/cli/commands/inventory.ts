import { Command, Option } from 'commander';
import { ENGINE_SPECS } from '../../domain/engines.js';
import type { InventoryRecord } from '../../domain/model.js';
import { cliDeps } from '../context.js';
import { outputOption, print, processIo, renderTable, type Io, type OutputFormat } from '../output.js';
import { proofOfRecord } from '../../domain/proof.js';

const localOption = () => new Option('--local', 'talk to the stack `npm start` runs (its Azurite and emulator)');

/** `pitr-warden inventory list|export`: the clones table as people and `plan --snapshot` read it. */
export function inventoryCommand(io: Io = processIo): Command {
  const inventory = new Command('inventory').description(
    'the inventory of servers the warden has seen (Table Storage)',
  );
  inventory
    .command('list')
    .description('list inventory rows (clones first, soonest expiry first)')
    .addOption(outputOption())
    .addOption(localOption())
    .option('--all', 'include servers that are not clones and deleted ones')
    .option('--subscription <id>', 'only this subscription')
    .action(async (opts: { output: OutputFormat; local?: boolean; all?: boolean; subscription?: string }) => {
      const deps = await cliDeps({ local: opts.local });
      const rows = sortRows(
        await deps.inventory.list(opts.subscription ? { subscriptionId: opts.subscription.toLowerCase() } : undefined),
      ).filter((r) => opts.all || (r.classification !== 'not-a-clone' && r.state !== 'deleted'));
      print(io, opts.output, rows, () =>
        renderTable(
          rows.map((r) => ({
            name: r.name,
            engine: ENGINE_SPECS[r.engine].shortLabel,
            resourceGroup: r.resourceGroup,
            class: r.classification,
            proof:
              proofOfRecord(r).level +
              (r.proof?.basis ? ` (${r.proof.basis})` : r.proof ? '' : ' (recorded before proof)'),
            state: r.state,
            owner: r.owner ? `${r.owner} (${r.ownerSource})` : '',
            expiresOn: r.expiresOn ?? (r.expiresOnTag ? `invalid: ${r.expiresOnTag}` : ''),
            violations: r.violations.length,
            notices: r.noticesSent.map((n) => n.stage).join(','),
          })),
        ),
      );
    });
  inventory
    .command('export')
    .description('every row as JSON (the "inventory" array that `plan --snapshot` accepts)')
    .addOption(localOption())
    .action(async (opts: { local?: boolean }) => {
      const deps = await cliDeps({ local: opts.local });
      io.out(JSON.stringify(sortRows(await deps.inventory.list()), null, 2));
    });
  return inventory;
}

/** `pitr-warden evidence <server>`: the evidence log of one server, by name or id. */
export function evidenceCommand(io: Io = processIo): Command {
  return new Command('evidence')
    .description('the evidence log of one server: every decision and action, oldest first')
    .argument('<server>', 'server name or resource id')
    .addOption(outputOption())
    .addOption(localOption())
    .action(async (server: string, opts: { output: OutputFormat; local?: boolean }) => {
      const deps = await cliDeps({ local: opts.local });
      const row = findServer(await deps.inventory.list(), server);
      const entries = await deps.evidence.list(row.key);
      print(io, opts.output, { server: row.id, entries }, () =>
        [
          `${row.id}`,
          renderTable(
            entries.map((e) => ({
              at: e.at,
              kind: e.kind,
              actor: e.actor,
              summary: e.summary,
              reason: e.reason ?? '',
            })),
          ),
        ].join('\n'),
      );
    });
}

export function findServer(rows: readonly InventoryRecord[], nameOrId: string): InventoryRecord {
  const wanted = nameOrId.trim().toLowerCase();
  const matches = rows.filter((r) => r.key === wanted || r.name.toLowerCase() === wanted);
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0)
    throw new Error(
      `No server named ${nameOrId} in the inventory (run the reconcile job, or give the full resource id)`,
    );
  throw new Error(
    `${matches.length} servers are named ${nameOrId}; give the resource id: ${matches.map((m) => m.id).join(', ')}`,
  );
}

function sortRows(rows: InventoryRecord[]): InventoryRecord[] {
  const rank = (r: InventoryRecord) =>
    r.classification === 'clone' ? 0 : r.classification === 'probable-clone' ? 1 : 2;
  return [...rows].sort(
    (a, b) =>
      rank(a) - rank(b) || (a.expiresOn ?? '9999').localeCompare(b.expiresOn ?? '9999') || a.key.localeCompare(b.key),
  );
}
