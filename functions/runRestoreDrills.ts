import { app, type InvocationContext, type Timer } from '@azure/functions';
import { errorMessage } from '../src/errorMessage.js';

/** Restore drills on their timer: deletes kept drill clones whose time is up, then runs every plan that came due. */
export async function runRestoreDrills(_timer: Timer, context: InvocationContext): Promise<void> {
  const [{ wire }, job] = await Promise.all([import('../src/wiring.js'), import('../src/jobs/drills.js')]);
  const wired = await wire();
  const started = new Date().toISOString();
  await wired.runs.started('runRestoreDrills', started);
  try {
    const outcome = await job.runDueDrills(job.drillDeps(wired, wired.actor, (line) => context.log(line)));
    context.log(
      `runRestoreDrills: ${outcome.started.length} drill(s) run, ${outcome.cleaned.length} kept clone(s) deleted, ${outcome.failed.length} could not start`,
    );
    for (const d of outcome.started)
      context[d.status === 'passed' ? 'log' : 'warn'](
        `drill ${d.id} of ${d.sourceName}: ${d.status}${d.failures.length ? `: ${d.failures.join('; ')}` : ''}`,
      );
    for (const f of outcome.failed) context.warn(`drill ${f.plan} of ${f.source} did not start: ${f.reason}`);
    const counts = {
      drills: outcome.started.length,
      passed: outcome.started.filter((d) => d.status === 'passed').length,
      cleaned: outcome.cleaned.length,
      failed: outcome.failed.length,
    };
    await wired.runs.finished('runRestoreDrills', new Date().toISOString(), { ok: true, counts });
  } catch (error) {
    await wired.runs.finished('runRestoreDrills', new Date().toISOString(), { ok: false, error: errorMessage(error) });
    throw error;
  }
}

app.timer('runRestoreDrills', { schedule: '%DRILLS_SCHEDULE%', handler: runRestoreDrills });
