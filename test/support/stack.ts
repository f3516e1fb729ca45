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
/** The worker's emulator (vitest.config.ts keeps a worker's modules from file to file), reseeded for each stack. */
let workerEmulator: Promise<Emulator> | undefined;

/**
 * The worker's Azurite (emptied) plus a local Azure emulator and settings for the app that point at both. The emulator
 * is the worker's own, reseeded with `snapshot` and `now` (as fresh as a new one: state, logs, faults, clock); one with
 * real PostgreSQL behind the snapshot's `dataPlanes` (`dataPlane`) or on virtual time (`virtualTime`) is started for
 * the stack alone and closed with it.
 */
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
  const events = { connectionString: azurite.connectionString, queueName: 'resource-events' };
  const own = Boolean(options.dataPlane) || Boolean(options.virtualTime);
  let emulator: Emulator;
  if (own) {
    emulator = await startEmulator({
      snapshot: options.snapshot,
      now: options.now,
      ...(options.dataPlane ? { dataPlane: options.dataPlane } : {}),
      ...(options.virtualTime ? { virtualTime: true } : {}),
      events,
    });
  } else {
    const started = (workerEmulator ??= startEmulator({ events }).catch((error: unknown) => {
      workerEmulator = undefined;
      throw error;
    }));
    emulator = await started;
    await emulator.reseed({ snapshot: options.snapshot, now: options.now });
  }
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
      if (own) await emulator.close();
      else await emulator.events.flushed();
      await azurite.close();
    },
  };
}
