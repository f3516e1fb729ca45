import { app, type InvocationContext, type Timer } from '@azure/functions';

/** At most once a day: the servers not proven to be restores (claimed, suspected), to REVIEW_MAILBOX, with the commands to settle each. */
export async function sendReviewDigest(_timer: Timer, context: InvocationContext): Promise<void> {
  const [{ wire }, job] = await Promise.all([import('../src/wiring.js'), import('../src/jobs/review.js')]);
  const outcome = await job.sendReviewDigest(await wire());
  if (outcome.sent) context.log(`sendReviewDigest: sent to ${outcome.to} (${outcome.servers} server(s) to review)`);
  else if (outcome.error) context.warn(`sendReviewDigest: sending to ${outcome.to} failed: ${outcome.error}`);
  else context.log(`sendReviewDigest: skipped: ${outcome.skipped}`);
  for (const p of outcome.problems) context.warn(`${p.id}: ${p.reason}`);
}

app.timer('sendReviewDigest', { schedule: '%NOTICES_SCHEDULE%', handler: sendReviewDigest });
