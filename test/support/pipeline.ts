import { PostgreSQLManagementFlexibleServerClient } from '@azure/arm-postgresql-flexible';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { createAcsMailer } from '../../src/adapters/azure/email/mailer.js';
import { openTables, type TableStores } from '../../src/adapters/azure/tables/tables.js';
import { loadConfig } from '../../src/config.js';
import { armClientOptions, emailClientOptions, type EmulatorOptions } from '../../src/local/emulator/index.js';
import { startLocalHost, type LocalHost } from '../../src/local/functionsHost.js';
import { fixedClock } from '../../src/ports/clock.js';
import { build, type Wired } from '../../src/wiring.js';
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
  /** A point-in-time restore of `sourceId` an hour back, made through the SDK as a person makes it, to `name` in rg-prod. */
  restore(sourceId: string, name: string): Promise<void>;
  /**
   * Waits until every event emitted so far was delivered and handled (the warden's own writes emit events too,
   * handled in turn), `extra` deliveries more (redeliveries a test queued itself); no invocation may have failed.
   */
  settled(extra?: number): Promise<void>;
  /** The app's job deps (as `build` wires them) on a clock of the test's choosing, mail through the emulator's ACS. */
  jobDeps(at: Date): Promise<Wired>;
  close(): Promise<void>;
}

/**
 * The event path of the app on the emulator and Azurite: a change made through the SDK is emitted by the emulator,
 * queued in Azurite and handled by `onResourceEvent` on the local host, polled briskly.
 */
export async function startEventPipeline(options: {
  snapshot: EmulatorOptions['snapshot'];
  rules?: readonly unknown[];
}): Promise<EventPipeline> {
  const stack = await startStack({
    snapshot: options.snapshot,
    settings: options.rules ? { POLICY_PATH: policyFile(options.rules) } : {},
  });
  const entry = new URL('../../functions/onResourceEvent.ts', import.meta.url).pathname;
  const host = await startLocalHost({
    entry,
    settings: stack.settings,
    queueSettings: { maxPollingIntervalInMs: 20, visibilityTimeoutInMs: 0 },
  });
  const stores = await openTables({
    connectionString: stack.azurite.connectionString,
    prefix: stack.config.tablePrefix,
  });
  const pg = new PostgreSQLManagementFlexibleServerClient(
    stack.emulator.credential,
    SUB1,
    armClientOptions(stack.emulator),
  );
  return {
    stack,
    host,
    stores,
    pg,
    restore: async (sourceId, name) => {
      await pg.servers.beginCreateOrUpdateAndWait(
        'rg-prod',
        name,
        {
          location: 'eastus',
          createMode: 'PointInTimeRestore',
          sourceServerResourceId: sourceId,
          pointInTimeUTC: new Date(Date.now() - 3_600_000),
        },
        { updateIntervalInMs: 5 },
      );
    },
    settled: async (extra = 0) => {
      await expect
        .poll(
          async () => {
            await stack.emulator.events.flushed();
            return host.invocations.length === stack.emulator.events.emitted().length + extra;
          },
          { timeout: 60_000, interval: 20 },
        )
        .toBe(true);
      expect(host.invocations.filter((i) => i.outcome === 'failed')).toEqual([]);
    },
    jobDeps: async (at) => {
      const wired = await build(loadConfig(stack.settings));
      const mailer = createAcsMailer({
        sender: wired.config.mail.sender,
        connectionString: stack.emulator.acsConnectionString,
        clientOptions: emailClientOptions(stack.emulator),
        pollIntervalInMs: 10,
      });
      return { ...wired, clock: fixedClock(at.toISOString()), mailer };
    },
    close: async () => {
      await host.close();
      await stack.close();
    },
  };
}
