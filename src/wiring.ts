import { openTables, type TableStores } from './adapters/azure/tables/tables.js';
import { ArmActivityFeed, ArmServers } from './adapters/azure/arm/servers.js';
import { armBudgetPolicy, type ArmBudgetStats } from './adapters/azure/arm/armBudget.js';
import { ResourceGraphListing } from './adapters/azure/arm/resourceGraph.js';
import { armClientOptions, credentialFor } from './adapters/azure/credential.js';
import { acsMailerFor } from './adapters/azure/email/mailer.js';
import { cachedPriceSource, createRetailPriceSource } from './adapters/azure/prices/retailPrices.js';
import type { PriceSource } from './ports/prices.js';
import { eventsSender, queueDepths } from './adapters/azure/queues/eventQueue.js';
import type { DashboardDeps } from './jobs/dashboard.js';
import { drillRunOf } from './domain/dashboard.js';
import { emulatorEndpoint, entraEndpoint, keyVaultEndpoint, PgDatabase } from './adapters/azure/database/database.js';
import type { DatabasePort } from './ports/database.js';
import { loadTemplates } from './adapters/noticeTemplates.js';
import type { NoticeTemplates } from './domain/notices/index.js';
import type { MailerPort } from './ports/mailer.js';
import { config as readConfig, perSettings, type Config } from './config.js';
import { loadPolicy } from './startup.js';
import type { GovernDeps } from './jobs/deps.js';
import { systemClock, type Clock } from './ports/clock.js';

export interface Wired extends GovernDeps {
  readonly config: Config;
  readonly stores: TableStores;
  /** What the ARM budget policy did in this process: requests paced, 429s seen, lowest remaining budgets. */
  readonly armBudget: ArmBudgetStats;
  /** ACS Email; its client is built on the first send. */
  readonly mailer: MailerPort;
  /** Retail prices, cached a day in checkpoints; nothing is fetched until a region is asked for. */
  readonly prices: PriceSource;
  /** The notice templates, read and checked on first call. */
  readonly templates: () => Promise<NoticeTemplates>;
  /** Data plane of restored servers (drills): Entra token or Key Vault password in Azure, the emulator's locally. */
  readonly database: DatabasePort;
}

const wiredPerSettings = perSettings(() =>
  build(readConfig()).catch((error: unknown) => {
    // A failed build is not kept: the next call tries again.
    wiredPerSettings.forget();
    throw error;
  }),
);

/** The process-wide composition root: settings, policy, ARM and Table Storage adapters, built once on first use (per settings). */
export function wire(): Promise<Wired> {
  return wiredPerSettings();
}

/**
 * Builds every adapter from the settings. `createTables: false` opens the tables without creating them: an operator
 * with read rights only can still list (the deployment, or the app's first start, creates them). `clock` is the
 * warden's time (default the system's): tests hand it the emulator's clock, so drills are measured on Azure's time.
 */
export async function build(
  config: Config,
  options: { log?: (line: string) => void; createTables?: boolean; clock?: Clock } = {},
): Promise<Wired> {
  const credential = credentialFor(config);
  // The local emulator finishes long-running operations at once; poll it briskly rather than every 2 s.
  // One budget per process for every ARM client: per-subscription concurrency, paced by ARM's remaining-requests headers.
  const armBudget = armBudgetPolicy({ concurrencyPerSubscription: config.arm.concurrencyPerSubscription });
  const arm = {
    credential,
    clientOptions: {
      ...armClientOptions(config),
      additionalPolicies: [{ policy: armBudget, position: 'perRetry' as const }],
    },
    pollIntervalInMs: config.arm.credential === 'emulator' ? 50 : undefined,
  };
  const stores = await openTables({
    connectionString: config.storage.connectionString,
    accountName: config.storage.accountName,
    credential,
    prefix: config.tablePrefix,
    createIfMissing: options.createTables ?? true,
  });
  const ca = arm.clientOptions.tlsOptions?.ca;
  let templates: Promise<NoticeTemplates> | undefined;
  return {
    config,
    stores,
    armBudget: armBudget.stats,
    clock: options.clock ?? systemClock,
    // SQL databases through their own adapter; flexible servers of every engine through ArmServers.
    servers: new ArmServers(arm),
    ...(config.serverListing === 'resource-graph' ? { listing: new ResourceGraphListing(arm) } : {}),
    activity: new ArmActivityFeed(arm),
    inventory: stores.inventory,
    evidence: stores.evidence,
    runs: stores.runs,
    checkpoints: stores.checkpoints,
    policy: loadPolicy(config.policyPath),
    settings: {
      subscriptionIds: config.subscriptionIds,
      fallbackMailbox: config.mail.fallbackMailbox,
      allowedRecipientDomains: config.mail.allowedRecipientDomains,
      drillClientAddresses: config.drills.clientAddresses,
    },
    actor: config.managedIdentityClientId
      ? `pitr-warden (managed identity ${config.managedIdentityClientId})`
      : 'pitr-warden',
    log: options.log,
    mailer: acsMailerFor(
      config,
      credential,
      arm.clientOptions.tlsOptions ? { tlsOptions: arm.clientOptions.tlsOptions } : {},
    ),
    prices: createRetailPriceSource({
      endpoint: config.retailPricesEndpoint,
      priceTablePath: config.priceTablePath,
      checkpoints: stores.checkpoints,
      clock: systemClock,
      ...(typeof ca === 'string' ? { ca } : {}),
    }),
    database: new PgDatabase(
      config.arm.credential === 'emulator'
        ? emulatorEndpoint(config.arm.endpoint, typeof ca === 'string' ? ca : undefined)
        : config.drills.auth === 'key-vault'
          ? keyVaultEndpoint(credential, config.drills.passwordSecretUri ?? '', config.drills.user)
          : entraEndpoint(credential, config.drills.user ?? ''),
    ),
    templates: () =>
      (templates ??= loadTemplates(config.templatesDir).catch((error: unknown) => {
        templates = undefined;
        throw error;
      })),
  };
}

/**
 * The events queue's sender for the Activity Log alert function: settings and credential only, built once, without
 * the tables and ARM clients of `wire()` (an alert is answered fast).
 */
export const alertQueueSender: () => (body: string) => Promise<void> = perSettings(() => {
  const settings = readConfig();
  return eventsSender(settings, credentialFor(settings));
});

/** The policy file named by POLICY_PATH (see src/startup.ts); kept here for callers that build their own deps. */
export { loadPolicy };

/** What the dashboard reads through: the tables, the cached prices (never fetched), the queue depths. No ARM client. */
export function dashboardDeps(wired: Wired): DashboardDeps {
  const { config } = wired;
  return {
    inventory: wired.inventory,
    evidence: wired.evidence,
    runs: wired.runs,
    prices: cachedPriceSource({ checkpoints: wired.checkpoints, priceTablePath: config.priceTablePath }),
    queues: queueDepths(config, credentialFor(config)),
    clock: wired.clock,
    policy: wired.policy,
    schedules: config.schedules,
    disabledJobs: disabledJobs(wired),
    drills: async () => (await wired.stores.drills.list()).map(drillRunOf),
  };
}

/** Scheduled jobs switched off by this deployment's settings and policy: shown as disabled, never judged. */
export function disabledJobs(wired: Pick<Wired, 'config' | 'policy'>): string[] {
  return [
    ...(wired.config.mail.finopsMailbox ? [] : ['sendFinopsSummary']),
    ...(wired.policy.drills.length > 0 ? [] : ['runRestoreDrills']),
  ];
}
