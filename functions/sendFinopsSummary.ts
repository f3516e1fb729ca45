import { app, type InvocationContext, type Timer } from '@azure/functions';

/** The weekly FinOps summary: clones alive and their cost, deleted and cost avoided, past expiry and why. */
export async function sendFinopsSummary(_timer: Timer, context: InvocationContext): Promise<void> {
  const [{ wire }, job] = await Promise.all([import('../src/wiring.js'), import('../src/jobs/notices.js')]);
  const outcome = await job.sendFinopsSummary(await wire());
  if (outcome.sent) context.log(`sendFinopsSummary: sent to ${outcome.to} (${outcome.clones} clone(s))`);
  else if (outcome.error) context.warn(`sendFinopsSummary: sending to ${outcome.to} failed: ${outcome.error}`);
  else context.log(`sendFinopsSummary: skipped: ${outcome.skipped}`);
}

app.timer('sendFinopsSummary', { schedule: '%FINOPS_SUMMARY_SCHEDULE%', handler: sendFinopsSummary });
