import { listingOf, maxOldSpaceOf, printRun, summary } from './report.js';
import { startSandbox } from './sandbox.js';
import { runWorker } from './worker.js';

/**
 * `npm run bench -- reconcile [servers] [subscriptions] [--throttle=off] [--listing=arm|resource-graph] [--max-old-space-mb=N|v8]`: reconcile over an emulated estate (default
 * 10,000 servers in 20 subscriptions, a third of them MySQL flexible servers and the rest PostgreSQL, 10% of them clones
 * with lineage tags, a third of those with an open firewall rule)
 * into Azurite tables, with the emulator throttling like ARM (token buckets per principal and subscription).
 * The warden runs in a process of its own (Azurite and the emulator in another), so peak RSS is the warden's.
 * Runs: the first reconcile (records and governs), the next one 5 minutes later with nothing changed, and in the same
 * run the naive strategy (one GET of every server, rules and locks of every clone) on the same estate.
 * Prints wall time, ARM calls by kind, Table operations, peak RSS and the inventory per engine of each; the last line is JSON.
 * `--max-old-space-mb=N`: V8's old-space limit of the warden's processes; by default the deployed app's, read from its
 * languageWorkers__node__arguments setting (infra/app/function-app.bicep); `v8`: V8's own sizing for this machine,
 * which on a large machine lets the heap grow to four times what is live.
 * `--listing`: how the warden lists servers (SERVER_LISTING; default resource-graph, one query for every subscription,
 * 1,000 rows a page; arm: a list per subscription and engine, 100 servers a page).
 */
export async function run(args: string[]): Promise<void> {
  const [servers = 10_000, subscriptions = 20] = args.filter((a) => /^\d+$/.test(a)).map(Number);
  const throttle = args.includes('--throttle=off') ? 'off' : 'arm';
  const listing = listingOf(args);
  const maxOldSpaceMb = maxOldSpaceOf(args);
  const heap = maxOldSpaceMb ? { maxOldSpaceMb } : {};
  const tablePrefix = `bench${process.pid}`;
  const sandbox = await startSandbox({ estate: { kind: 'reconcile', servers, subscriptions }, throttle, tablePrefix });
  try {
    console.log(
      `reconcile: ${servers} servers (${servers - servers / 10} production, ${servers / 10} clones; every third one MySQL) over ${subscriptions} subscriptions; ` +
        `listing ${listing}, emulator pages of 100 (ARM) and 1,000 (Resource Graph), ARM throttling ${throttle === 'arm' ? "on (ARM's buckets)" : 'off'}; warden heap ${maxOldSpaceMb ? `--max-old-space-size=${maxOldSpaceMb}` : "V8's default"}; sandbox process ${(await sandbox.rssMb()).toFixed(0)} MB`,
    );
    const ours = await runWorker({
      job: 'reconcile',
      sandboxPid: sandbox.pid,
      ...heap,
      settings: { ...sandbox.settings, SERVER_LISTING: listing },
    });
    const naive = await runWorker({
      job: 'reconcile-naive',
      sandboxPid: sandbox.pid,
      ...heap,
      settings: sandbox.settings,
    });
    for (const r of ours.runs) printRun(r, servers);
    for (const r of naive.runs) printRun(r, servers);
    const [first, unchanged] = ours.runs;
    const [naiveRun] = naive.runs;
    console.log(
      `\nwarden process peak RSS over its life: ${ours.maxRssMb.toFixed(0)} MB (naive: ${naive.maxRssMb.toFixed(0)} MB)`,
    );
    if (unchanged && naiveRun) {
      console.log(
        `unchanged run vs naive: ${unchanged.arm.total} vs ${naiveRun.arm.total} ARM calls, ` +
          `${(unchanged.wallMs / 1000).toFixed(2)} s vs ${(naiveRun.wallMs / 1000).toFixed(2)} s (${((unchanged.wallMs / naiveRun.wallMs) * 100).toFixed(0)}% of naive)`,
      );
    }
    console.log(
      JSON.stringify({
        bench: 'reconcile',
        servers,
        subscriptions,
        listing,
        maxOldSpaceMb: maxOldSpaceMb ?? 'default',
        throttle,
        first: first && summary(first),
        unchanged: unchanged && {
          ...summary(unchanged),
          cloneReads: unchanged.outcome.cloneReads,
          refreshed: unchanged.outcome.refreshed,
        },
        naive: naiveRun && summary(naiveRun),
        maxRssMb: { warden: Math.round(ours.maxRssMb), naive: Math.round(naive.maxRssMb) },
      }),
    );
  } finally {
    await sandbox.close();
  }
}
