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
