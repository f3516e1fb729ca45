import { PostgreSQLManagementFlexibleServerClient } from '@azure/arm-postgresql-flexible';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTables, type TableStores } from '../../src/adapters/azure/tables/tables.js';
import { armClientOptions, type EmulatorOptions } from '../../src/local/emulator/index.js';
import { startLocalHost, type LocalHost } from '../../src/local/functionsHost.js';
import { SUB1 } from './estate.js';
import { startStack, type TestStack } from './stack.js';

/** Writes a policy document (`{ rules }`) to a temporary file and returns its path, for POLICY_PATH. */
export function policyFile(rules: readonly unknown[]): string {
  const path = join(mkdtempSync(join(tmpdir(), 'warden-policy-')), 'policy.json');
  writeFileSync(path, JSON.stringify({ rules }));
  return path;
}

export interface EventPipeline {
  readonly stack: TestStack;
  readonly host: LocalHost;
  /** The app's tables, read as the tests see them. */
  readonly stores: TableStores;
  /** An SDK client on subscription 1 of the emulator, to restore and change servers as people do. */
  readonly pg: PostgreSQLManagementFlexibleServerClient;
  close(): Promise<void>;
}

/**
 * The event path of the app on the emulator and Azurite: a change made through the SDK is emitted by the emulator,
 * queued in Azurite and handled by `onResourceEvent` on the local host, polled briskly.
 */
export async function startEventPipeline(options: { snapshot: EmulatorOptions['snapshot']; rules?: readonly unknown[] }): Promise<EventPipeline> {
  const stack = await startStack({ snapshot: options.snapshot, settings: options.rules ? { POLICY_PATH: policyFile(options.rules) } : {} });
  const entry = new URL('../../functions/onResourceEvent.ts', import.meta.url).pathname;
  const host = await startLocalHost({ entry, settings: stack.settings, queueSettings: { maxPollingIntervalInMs: 20, visibilityTimeoutInMs: 0 } });
  const stores = await openTables({ connectionString: stack.azurite.connectionString, prefix: stack.config.tablePrefix });
  const pg = new PostgreSQLManagementFlexibleServerClient(stack.emulator.credential, SUB1, armClientOptions(stack.emulator));
  return {
    stack,
    host,
    stores,
    pg,
    close: async () => {
      await host.close();
      await stack.close();
    },
  };
}
