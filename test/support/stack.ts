import { loadConfig, type Config } from '../../src/config.js';
import type { AzuriteHandle } from '../../src/local/azurite.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/local/emulator/index.js';
import { sandboxSettings } from '../../src/local/sandboxSettings.js';
import { workerAzurite } from './azurite.js';

export interface TestStack {
  readonly azurite: AzuriteHandle;
  readonly emulator: Emulator;
  /** App settings pointing at this stack (what the local runner hands the app). */
  readonly settings: Record<string, string>;
  readonly config: Config;
  close(): Promise<void>;
}

let tablePrefixCounter = 0;

/** The worker's Azurite (emptied) plus a local Azure emulator (with real PostgreSQL behind the snapshot's `dataPlanes` when `dataPlane`, on virtual time when `virtualTime`), and settings for the app that point at both. */
export async function startStack(
  options: {
    snapshot?: EmulatorOptions['snapshot'];
    now?: () => Date;
    settings?: Record<string, string>;
    dataPlane?: EmulatorOptions['dataPlane'];
    virtualTime?: boolean;
  } = {},
): Promise<TestStack> {
  const azurite = await workerAzurite();
  const emulator = await startEmulator({
    snapshot: options.snapshot,
    now: options.now,
    ...(options.dataPlane ? { dataPlane: options.dataPlane } : {}),
    ...(options.virtualTime ? { virtualTime: true } : {}),
    events: { connectionString: azurite.connectionString, queueName: 'resource-events' },
  });
  const settings: Record<string, string> = {
    ...sandboxSettings(azurite, emulator),
    EVENTS_QUEUE_NAME: 'resource-events',
    TABLE_PREFIX: `t${process.pid}x${tablePrefixCounter++}`,
    FALLBACK_MAILBOX: 'dba-team@contoso.com',
    ALLOWED_RECIPIENT_DOMAINS: 'contoso.com,example.com',
    FINOPS_MAILBOX: 'finops@contoso.com',
    ...options.settings,
  };
  return {
    azurite,
    emulator,
    settings,
    config: loadConfig(settings),
    close: async () => {
      await emulator.close();
      await azurite.close();
    },
  };
}
