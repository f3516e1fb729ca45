import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { armFromServer } from '../../domain/snapshot.js';
import { locksOn, type ScopedLock } from '../../domain/locks.js';
import type { Server } from '../../domain/model.js';
import { runLimited } from '../../jobs/reconcile.js';
import { cliDeps } from '../context.js';
import { processIo, progress, type Io } from '../output.js';

/**
 * `pitr-warden snapshot`: the governed subscriptions as a plan snapshot (the emulator's seed format), with only
 * read calls: list pages, firewall rules and locks per server, the Activity Log of the window.
 */
export function snapshotCommand(io: Io = processIo): Command {
  return new Command('snapshot')
    .description('write a snapshot of the governed subscriptions (read-only) for `plan --snapshot` and the emulator')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--subscription <id...>', 'only these subscriptions (default: GOVERNED_SUBSCRIPTION_IDS)')
    .option('--activity-days <n>', 'days of Activity Log to include (restore evidence)', '7')
    .option('--with-inventory', 'include the inventory rows (notice history) from Table Storage')
    .addOption(new Option('--local', 'read the stack `npm start` runs'))
    .action(
      async (opts: {
        out?: string;
        subscription?: string[];
        activityDays: string;
        withInventory?: boolean;
        local?: boolean;
      }) => {
        const days = Number(opts.activityDays);
        if (!Number.isFinite(days) || days < 0 || days > 90)
          throw new Error(`--activity-days: ${opts.activityDays} is not a number of days from 0 to 90`);
        const deps = await cliDeps({ local: opts.local });
        const subscriptions = opts.subscription?.map((s) => s.toLowerCase()) ?? [...deps.settings.subscriptionIds];
        const now = deps.clock.now();
        const servers: Server[] = [];
        const activityLog: unknown[] = [];
        // One lock list per subscription instead of one read per server.
        const subscriptionLocks: ScopedLock[] = [];
        for (const subscriptionId of subscriptions) {
          servers.push(...(await deps.servers.list(subscriptionId)));
          subscriptionLocks.push(...(await deps.servers.listSubscriptionLocks(subscriptionId)));
          if (days > 0)
            activityLog.push(
              ...(await deps.activity.list(subscriptionId, {
                from: new Date(now.getTime() - days * 86_400_000),
                to: now,
              })),
            );
        }
        const firewallRules: Record<string, unknown[]> = {};
        const locks: Record<string, unknown[]> = {};
        const show = progress(io);
        let done = 0;
        await runLimited(
          servers.map((server) => async () => {
            const rules = await deps.servers.listFirewallRules(server.id);
            const serverLocks = locksOn(server.key, subscriptionLocks);
            if (rules.length > 0)
              firewallRules[server.id] = rules.map((r) => ({
                name: r.name,
                properties: { startIpAddress: r.startIpAddress, endIpAddress: r.endIpAddress },
              }));
            if (serverLocks.length > 0)
              locks[server.id] = serverLocks.map((l) => ({
                name: l.name,
                properties: { level: l.level, ...(l.notes ? { notes: l.notes } : {}) },
              }));
            show(++done, servers.length, 'servers read');
          }),
          8,
          (error) => {
            throw error;
          },
        );
        const snapshot = {
          takenAt: now.toISOString(),
          servers: servers.map(armFromServer),
          firewallRules,
          locks,
          activityLog,
          ...(opts.withInventory ? { inventory: await deps.inventory.list() } : {}),
        };
        const text = JSON.stringify(snapshot, null, 2);
        if (opts.out) {
          writeFileSync(opts.out, text);
          io.err(`wrote ${servers.length} servers from ${subscriptions.length} subscription(s) to ${opts.out}`);
        } else io.out(text);
      },
    );
}

/** `pitr-warden reconcile`: the reconcile job from a terminal, with progress. */
export function reconcileCommand(io: Io = processIo): Command {
  return new Command('reconcile')
    .description(
      'list every governed subscription and the Activity Log, and govern what is new or changed (as the timer does)',
    )
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json', 'table']).default('table'))
    .addOption(new Option('--local', 'run against the stack `npm start` runs'))
    .action(async (opts: { output: 'json' | 'table'; local?: boolean }) => {
      const [{ reconcile }, deps] = await Promise.all([
        import('../../jobs/reconcile.js'),
        cliDeps({ local: opts.local }),
      ]);
      const outcome = await reconcile(deps, {
        onProgress: progress(io),
        refreshPeriodMs: deps.config.reconcile.refreshPeriodMs,
      });
      if (opts.output === 'json') io.out(JSON.stringify(outcome, null, 2));
      else {
        io.out(
          `${outcome.servers} servers in ${outcome.subscriptions} subscriptions: ${outcome.clones} clones, ${outcome.added} added, ` +
            `${outcome.updated} updated, ${outcome.vanished} vanished, ${outcome.unchanged} unchanged, ${outcome.failed.length} failed`,
        );
        for (const f of outcome.failed) io.out(`  failed ${f.id}: ${f.reason}`);
      }
      if (outcome.failed.length > 0) process.exitCode = 1;
    });
}
