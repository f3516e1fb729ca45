import { SWEEP_NOW } from './estates.js';
import { listingOf, maxOldSpaceOf, printRun, summary } from './report.js';
import { startSandbox } from './sandbox.js';
import { runWorker } from './worker.js';

/**
 * `npm run bench -- sweep [servers] [subscriptions] [expired] [concurrency] [--throttle=off] [--listing=arm|resource-graph] [--max-old-space-mb=N|v8]`: an enforce sweep over
 * an estate on the emulator and Azurite (default 10,000 servers over 20 subscriptions, every third one a MySQL flexible
 * server, 1,000 expired clones whose notices went out long ago, caps raised), with the emulator throttling like ARM;
 * the inventory per engine (servers, clones, deleting, deleted) after the sweep. Then the next sweep, which records
 * the deletions ARM finished (the sweep asks ARM and does not wait). The warden runs in a process of its own, so peak
 * RSS is the warden's. In the same run, before the sweep deletes anything, the naive strategy's reads (one GET of
 * every server, rules and locks of every clone) on the same estate. The last line is JSON.
 * `--max-old-space-mb=N`: V8's old-space limit of the warden's processes; by default the app's own setting (the
 * languageWorkers__node__arguments of infra/app/function-app.bicep), `v8` for V8's sizing for this machine.
 * `--listing`: how the warden lists servers (SERVER_LISTING; default resource-graph, one query for every subscription;
 * arm: a list per subscription and engine). `concurrency`: deletions in flight at once (default the sweep's own, 32 in
 * all and 8 per subscription).
 */
export async function run(args: string[]): Promise<void> {
  const [servers = 10_000, subscriptions = 20, expired = 1_000, concurrency] = args
    .filter((a) => /^\d+$/.test(a))
    .map(Number);
  const throttle = args.includes('--throttle=off') ? 'off' : 'arm';
  const listing = listingOf(args);
  const maxOldSpaceMb = maxOldSpaceOf(args);
  const heap = maxOldSpaceMb ? { maxOldSpaceMb } : {};
  const seedStarted = performance.now();
  const sandbox = await startSandbox({
    estate: { kind: 'sweep', servers, subscriptions, expired },
    throttle,
    tablePrefix: `bench${process.pid}`,
  });
  try {
    console.log(
      `sweep: seeded ${servers} servers over ${subscriptions} subscriptions and their inventory rows in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s; ` +
        `${expired} expired; concurrency ${concurrency ?? 'default (32, 8 per subscription)'}; listing ${listing}; ARM throttling ${throttle === 'arm' ? "on (ARM's buckets)" : 'off'}; warden heap ${maxOldSpaceMb ? `--max-old-space-size=${maxOldSpaceMb}` : "V8's default"}; sandbox process ${(await sandbox.rssMb()).toFixed(0)} MB`,
    );
    const settings = { ...sandbox.settings, SERVER_LISTING: listing };
    const naive = await runWorker({ job: 'sweep-naive', sandboxPid: sandbox.pid, ...heap, settings: sandbox.settings });
    const ours = await runWorker({
      job: 'sweep',
      sandboxPid: sandbox.pid,
      ...heap,
      settings,
      sweep: { now: SWEEP_NOW, maxDeletions: expired, ...(concurrency ? { concurrency } : {}) },
    });
    for (const r of ours.runs) printRun(r, servers);
    for (const r of naive.runs) printRun(r, servers);
    const [mine, next] = ours.runs;
    const [naiveRun] = naive.runs;
    const lockReads = (mine?.arm.counters ?? [])
      .filter((c) => c.operation === 'ManagementLocks_List')
      .reduce((n, c) => n + c.count, 0);
    console.log(
      `\nlock reads: ${lockReads} for ${String(mine?.outcome.deleted)} deletions (${String(mine?.outcome.requested)} accepted by ARM, recorded deleted by the next run: ${String(next?.outcome.finished)}); warden process peak RSS over its life: ${ours.maxRssMb.toFixed(0)} MB (naive: ${naive.maxRssMb.toFixed(0)} MB)`,
    );
    console.log(
      JSON.stringify({
        bench: 'sweep',
        servers,
        subscriptions,
        expired,
        concurrency: concurrency ?? 'default',
        listing,
        maxOldSpaceMb: maxOldSpaceMb ?? 'default',
        throttle,
        sweep: mine && {
          ...summary(mine),
          deleted: mine.outcome.deleted,
          requested: mine.outcome.requested,
          failed: mine.outcome.failed,
          lockReads,
        },
        nextSweep: next && { ...summary(next), finished: next.outcome.finished, failed: next.outcome.failed },
        naive: naiveRun && summary(naiveRun),
        maxRssMb: { warden: Math.round(ours.maxRssMb), naive: Math.round(naive.maxRssMb) },
      }),
    );
    // Every eligible clone asked of ARM in the sweep, and recorded deleted by the next run, with no failure in either.
    if (mine?.outcome.deleted !== expired || mine.outcome.failed !== 0) process.exitCode = 1;
    if (next?.outcome.finished !== mine?.outcome.requested || next?.outcome.failed !== 0) process.exitCode = 1;
  } finally {
    await sandbox.close();
  }
}
