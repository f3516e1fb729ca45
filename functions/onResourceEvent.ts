import { app, type InvocationContext } from '@azure/functions';

/** One Event Grid (or CloudEvents) event per queue message, or an Activity Log alert forwarded by onActivityLogAlert. */
export async function onResourceEvent(message: unknown, context: InvocationContext): Promise<void> {
  const [{ wire }, { handleQueueMessage }] = await Promise.all([import('../src/wiring.js'), import('../src/jobs/intake.js')]);
  const outcome = await handleQueueMessage(message, await wire());
  for (const g of outcome.governed) context.log(`${g.key}: ${g.classification ?? 'gone'}; done ${g.actionsDone.join(', ') || 'nothing'}`);
  for (const f of outcome.failed) context.warn(`${f.key}: ${f.reason}`);
  if (outcome.ignored.length > 0) context.log(`ignored ${outcome.ignored.length}: ${outcome.ignored.map((i) => i.reason).join('; ')}`);
}

app.storageQueue('onResourceEvent', { queueName: '%EVENTS_QUEUE_NAME%', connection: 'AzureWebJobsStorage', handler: onResourceEvent });
