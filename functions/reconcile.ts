import { app, type InvocationContext, type Timer } from '@azure/functions';

/** Lists every governed subscription and reads the Activity Log, so a dropped event is caught on the next run. */
export async function reconcile(_timer: Timer, context: InvocationContext): Promise<void> {
  const [{ wire }, job] = await Promise.all([import('../src/wiring.js'), import('../src/jobs/reconcile.js')]);
  const deps = await wire();
  const outcome = await job.reconcile(deps, { refreshPeriodMs: deps.config.reconcile.refreshPeriodMs });
  context.log(
    `reconcile: ${outcome.servers} servers in ${outcome.subscriptions} subscriptions, ${outcome.clones} clones, ` +
      `${outcome.added} added, ${outcome.updated} updated, ${outcome.vanished} vanished, ${outcome.failed.length} failed`,
  );
  context.log(
    `reconcile: rules and locks read for ${outcome.cloneReads} of ${outcome.clones} clones (${outcome.refreshed} by the refresh schedule)`,
  );
  for (const f of outcome.failed) context.warn(`${f.id}: ${f.reason}`);
}

app.timer('reconcile', { schedule: '%RECONCILE_SCHEDULE%', handler: reconcile });
