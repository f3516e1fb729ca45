import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import type { TokenCredential } from '@azure/core-auth';
import type { Config } from '../../config.js';

/** The events queue the Event Grid subscription delivers to; the HTTP alert endpoint adds to it too. */
export function eventsQueue(config: Config, credential: TokenCredential): QueueClient {
  const { connectionString, accountName } = config.storage;
  if (connectionString) return QueueServiceClient.fromConnectionString(connectionString).getQueueClient(config.eventsQueueName);
  return new QueueServiceClient(`https://${accountName}.queue.core.windows.net`, credential).getQueueClient(config.eventsQueueName);
}

/** Base64, as the Functions host's queue trigger decodes by default. */
export async function enqueue(queue: QueueClient, body: string): Promise<void> {
  await queue.sendMessage(Buffer.from(body, 'utf8').toString('base64'));
}

/**
 * A sender onto the events queue, built once per process. It makes sure the queue exists on first use (Bicep
 * creates it in Azure; locally the first alert may come before any event), and carries on if it may not create it.
 */
export function eventsSender(config: Config, credential: TokenCredential): (body: string) => Promise<void> {
  const queue = eventsQueue(config, credential);
  let ready: Promise<unknown> | undefined;
  return async (body) => {
    ready ??= queue.createIfNotExists().catch(() => undefined);
    await ready;
    await enqueue(queue, body);
  };
}
