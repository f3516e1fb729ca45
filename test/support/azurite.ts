// The Azurite of this test worker (started by test/support/globalSetup.ts), emptied each time a test asks for it.
import { QueueServiceClient } from '@azure/storage-queue';
import { TableServiceClient } from '@azure/data-tables';
import { inject } from 'vitest';
import type { AzuriteHandle } from '../../src/local/azurite.js';

/**
 * Azurite for a test file: the worker's shared instance, emptied of every table and queue (files of one worker run one
 * after another). `close()` does nothing: the run's teardown stops it. Hold one at a time: a second call empties it.
 * @example const azurite = await workerAzurite(); const stores = await openTables({ connectionString: azurite.connectionString, prefix: 'x1' });
 */
export async function workerAzurite(): Promise<AzuriteHandle> {
  const all = inject('azurites');
  const worker = Number(process.env.VITEST_POOL_ID ?? '1');
  const shared = all[(worker - 1) % all.length];
  if (!shared)
    throw new Error(
      'No shared Azurite: run the tests through vitest.config.ts (its globalSetup starts one per worker).',
    );
  await empty(shared.connectionString);
  return { ...shared, close: () => Promise.resolve() };
}

async function empty(connectionString: string): Promise<void> {
  const tables = TableServiceClient.fromConnectionString(connectionString, { allowInsecureConnection: true });
  for await (const table of tables.listTables()) if (table.name) await tables.deleteTable(table.name);
  const queues = QueueServiceClient.fromConnectionString(connectionString);
  for await (const queue of queues.listQueues()) await queues.deleteQueue(queue.name);
}
