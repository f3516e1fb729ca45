import { app, type InvocationContext, type Timer } from '@azure/functions';

/** The expiry sweep on its timer: dry-run unless SWEEP_MODE=enforce; caps and checks from the SWEEP_* settings. */
export async function deleteExpiredClones(_timer: Timer, context: InvocationContext): Promise<void> {
  const [{ wire }, job] = await Promise.all([import('../src/wiring.js'), import('../src/jobs/sweep.js')]);
  const wired = await wire();
  const outcome = await job.sweep(wired, wired.config.sweep);
  if (outcome.stoppedBecause)
    context.warn(`deleteExpiredClones (${outcome.mode}): stopped, nothing deleted: ${outcome.stoppedBecause}`);
  const requested = outcome.deleted.filter((d) => d.outcome === 'requested').length;
  context.log(
    `deleteExpiredClones (${outcome.mode}): ${outcome.planned.length} eligible, ${outcome.deleted.length} deleted` +
      `${requested > 0 ? ` (${requested} accepted by ARM, recorded when gone)` : ''}, ` +
      `${outcome.wouldDelete.length} would delete, ${outcome.held.length} held, ${outcome.skipped.length} skipped, ${outcome.failed.length} failed`,
  );
  for (const d of outcome.deleted)
    context.log(`${d.outcome === 'requested' ? 'delete requested' : 'deleted'} ${d.id} (${d.outcome}): ${d.reason}`);
  for (const f of outcome.failed) context.warn(`${f.id}: ${f.reason}`);
}

app.timer('deleteExpiredClones', { schedule: '%SWEEP_SCHEDULE%', handler: deleteExpiredClones });
