import { app, type InvocationContext } from '@azure/functions';

/** One Event Grid (or CloudEvents) event per queue message, or an Activity Log alert forwarded by onActivityLogAlert. */
export async function onResourceEvent(message: unknown, context: InvocationContext): Promise<void> {
  const [{ wire }, { handleQueueMessage }] = await Promise.all([
    import('../src/wiring.js'),
    import('../src/jobs/intake.js'),
  ]);
  let outcome;
  try {
    outcome = await handleQueueMessage(message, await wire());
  } catch (error) {
    // The host retries it (host.json maxDequeueCount), then moves it to the -poison queue: say why on every attempt.
    if (error instanceof Error && error.name === 'EventFormatError')
      context.error(`${describeMessage(context)} cannot be read: ${error.message}`);
    throw error;
  }
  for (const g of outcome.governed)
    context.log(`${g.key}: ${g.classification ?? 'gone'}; done ${g.actionsDone.join(', ') || 'nothing'}`);
  for (const f of outcome.failed) context.warn(`${f.key}: ${f.reason}`);
  if (outcome.ignored.length > 0)
    context.log(`ignored ${outcome.ignored.length}: ${outcome.ignored.map((i) => i.reason).join('; ')}`);
}

/** `queue message <id> (attempt 2)` from the trigger metadata the host passes. */
function describeMessage(context: InvocationContext): string {
  const meta = context.triggerMetadata ?? {};
  const id = typeof meta.id === 'string' ? ` ${meta.id}` : '';
  const attempt = typeof meta.dequeueCount === 'number' ? ` (attempt ${meta.dequeueCount})` : '';
  return `queue message${id}${attempt}`;
}

app.storageQueue('onResourceEvent', {
  queueName: '%EVENTS_QUEUE_NAME%',
  connection: 'AzureWebJobsStorage',
  handler: onResourceEvent,
});
