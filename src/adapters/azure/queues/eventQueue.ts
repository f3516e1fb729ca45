import type { QueueClient } from '@azure/storage-queue';
import type { TokenCredential } from '@azure/core-auth';
import type { Config } from '../../../config.js';
import type { QueueDepths } from '../../../jobs/operator.js';
import { statusOf } from '../errors.js';
import { errorMessage } from '../../../errorMessage.js';

/**
 * The events queue the Event Grid subscription delivers to; the HTTP alert endpoint adds to it too.
 * `@azure/storage-queue` is loaded here, on first use: the jobs that never touch the queue do not load it.
 */
export async function eventsQueue(config: Config, credential: TokenCredential): Promise<QueueClient> {
  const { QueueServiceClient } = await import('../sdk/queues.js');
  const { connectionString, accountName } = config.storage;
  if (connectionString)
    return QueueServiceClient.fromConnectionString(connectionString).getQueueClient(config.eventsQueueName);
  return new QueueServiceClient(`https://${accountName}.queue.core.windows.net`, credential).getQueueClient(
    config.eventsQueueName,
  );
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
  let queue: Promise<QueueClient> | undefined;
  let ready: Promise<unknown> | undefined;
  return async (body) => {
    queue ??= eventsQueue(config, credential).catch((error: unknown) => {
      queue = undefined;
      throw error;
    });
    const q = await queue;
    ready ??= q.createIfNotExists().catch(() => undefined);
    await ready;
    await enqueue(q, body);
  };
}

/**
 * Depths of the events queue and its `-poison` twin (`approximateMessagesCount`); a queue that does not exist counts
 * as null. For `pitr-warden status` and the dashboard.
 * @example const depths = await queueDepths(config, credential)();
 */
export function queueDepths(config: Config, credential: TokenCredential): () => Promise<QueueDepths> {
  const depth = async (queue: QueueClient): Promise<{ name: string; depth: number | null }> => {
    try {
      return { name: queue.name, depth: (await queue.getProperties()).approximateMessagesCount ?? 0 };
    } catch (error) {
      if (statusOf(error) === 404) return { name: queue.name, depth: null };
      throw new Error(`Could not read the depth of queue ${queue.name}: ${errorMessage(error)}`, { cause: error });
    }
  };
  let queues: Promise<[QueueClient, QueueClient]> | undefined;
  return async () => {
    queues ??= Promise.all([
      eventsQueue(config, credential),
      eventsQueue({ ...config, eventsQueueName: `${config.eventsQueueName}-poison` }, credential),
    ]).catch((error: unknown) => {
      queues = undefined;
      throw error;
    });
    const [events, poison] = await queues;
    const [e, p] = await Promise.all([depth(events), depth(poison)]);
    return { events: e, poison: p };
  };
}
