import { app, type InvocationContext, type Timer } from '@azure/functions';

/** One digest per owner with the notices the plan has due (new clone, reminders, final notice, deleted, non-compliant). */
export async function sendOwnerNotices(_timer: Timer, context: InvocationContext): Promise<void> {
  const [{ wire }, job] = await Promise.all([import('../src/wiring.js'), import('../src/jobs/notices.js')]);
  const outcome = await job.sendOwnerNotices(await wire());
  context.log(
    `sendOwnerNotices: ${outcome.owners} owner(s) due, ${outcome.sent} digest(s) sent covering ${outcome.notices} notice(s), ` +
      `${outcome.failed.length} failed, ${outcome.deferred} deferred to the next run`,
  );
  for (const f of outcome.failed) context.warn(`${f.to}: ${f.reason}`);
  for (const p of outcome.problems) context.warn(`${p.id}: ${p.reason}`);
}

app.timer('sendOwnerNotices', { schedule: '%NOTICES_SCHEDULE%', handler: sendOwnerNotices });
