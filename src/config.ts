import { z } from 'zod';
import { parseClientAddresses } from './domain/network.js';
import { PRICE_TABLE_FILE } from './priceTable.js';

/** Thrown when settings are missing or invalid; the message names every bad setting at once. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid settings (${problems.length}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const list = (what: string, itemCheck: (item: string) => boolean) =>
  z
    .string()
    .transform((raw) =>
      raw
        .split(/[,;\s]+/)
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .refine((items) => items.every(itemCheck), { message: `must be a comma-separated list of ${what}` });

const positiveInt = z.coerce.number().int().positive();
const percent = z.coerce.number().min(0).max(100);
const httpsUrl = z.url({ protocol: /^https?$/ });
const email = z.email();
/** NCRONTAB with seconds, as Azure Functions timers use: six fields. */
const ncrontab = z.string().refine((s) => s.trim().split(/\s+/).length === 6, {
  message: 'must be an NCRONTAB expression with six fields ({second} {minute} {hour} {day} {month} {day-of-week})',
});

/** Each setting's default, written once: the schema applies it, and the local sample shows it where they agree. */
export const DEFAULTS = {
  ARM_ENDPOINT: 'https://management.azure.com',
  ARM_CONCURRENCY_PER_SUBSCRIPTION: 8,
  SERVER_LISTING: 'arm',
  WARDEN_CREDENTIAL: 'default',
  TABLE_PREFIX: 'warden',
  RECONCILE_SCHEDULE: '0 */5 * * * *',
  RECONCILE_REFRESH_HOURS: 6,
  NOTICES_SCHEDULE: '0 0 9-17 * * 1-5',
  FINOPS_SUMMARY_SCHEDULE: '0 0 8 * * 1',
  SWEEP_SCHEDULE: '0 30 10-15 * * 1-4',
  SWEEP_MODE: 'dry-run',
  SWEEP_MAX_DELETIONS_PER_RUN: 10,
  SWEEP_MAX_DELETION_PERCENT: 20,
  SWEEP_MAX_DISAGREEMENT_PERCENT: 25,
  DRILLS_SCHEDULE: '0 */15 * * * *',
  DRILL_DB_AUTH: 'entra',
  MAIL_SENDER: 'DoNotReply@warden.example.com',
  MAIL_LIMIT_PER_MINUTE: 30,
  MAIL_LIMIT_PER_HOUR: 100,
  RETAIL_PRICES_ENDPOINT: 'https://prices.azure.com',
  PORTAL_URL: 'https://portal.azure.com',
  TEMPLATES_DIR: 'templates',
  PRICE_TABLE_PATH: PRICE_TABLE_FILE,
  DASHBOARD_AUTH: 'entra',
  EVENTS_QUEUE_NAME: 'resource-events',
} as const;

/**
 * Every app setting the warden reads, with the safe local value written to local.settings.sample.json.
 * Infra (app settings in Bicep) and the sample file are checked against this list by tests.
 */
export const SETTINGS = {
  AzureWebJobsStorage: {
    description:
      'Storage for the Functions host, the inventory tables and the event queue (connection string locally).',
    local: 'UseDevelopmentStorage=true',
  },
  AzureWebJobsStorage__accountName: {
    description: 'In Azure: the storage account name, used with the managed identity instead of a connection string.',
    local: '',
  },
  FUNCTIONS_WORKER_RUNTIME: { description: 'Functions worker language.', local: 'node' },
  AZURE_CLIENT_ID: { description: 'Client id of the user-assigned managed identity (Azure only).', local: '' },
  GOVERNED_SUBSCRIPTION_IDS: {
    description: 'Comma-separated subscription ids (GUIDs) whose flexible servers the warden governs.',
    local: '00000000-0000-4000-8000-000000000001,00000000-0000-4000-8000-000000000002',
  },
  ARM_ENDPOINT: { description: 'Azure Resource Manager endpoint.', local: DEFAULTS.ARM_ENDPOINT },
  ARM_CA_CERT_PATH: {
    description: 'PEM file of an extra CA to trust for ARM and ACS (the local emulator only).',
    local: '',
  },
  ARM_CONCURRENCY_PER_SUBSCRIPTION: {
    description:
      "ARM requests the warden has in flight at once per subscription, and the sweep's deletions (each group shares one lock list); it also slows down when ARM reports its request budget running low.",
    local: String(DEFAULTS.ARM_CONCURRENCY_PER_SUBSCRIPTION),
  },
  SERVER_LISTING: {
    description:
      '"arm" lists each subscription\'s servers through ARM; "resource-graph" lists every subscription in one Azure Resource Graph query (1,000 rows a page), falling back to ARM lists when it fails.',
    local: DEFAULTS.SERVER_LISTING,
  },
  WARDEN_CREDENTIAL: {
    description: '"default" (DefaultAzureCredential) or "emulator" (any token, the local emulator only).',
    local: 'emulator',
  },
  EVENTS_QUEUE_NAME: {
    description: 'Queue the Event Grid subscription delivers resource events to.',
    local: DEFAULTS.EVENTS_QUEUE_NAME,
  },
  TABLE_PREFIX: {
    description: 'Prefix of the inventory, evidence, runs and checkpoint table names.',
    local: DEFAULTS.TABLE_PREFIX,
  },
  POLICY_PATH: {
    description:
      'Path of the policy JSON file; empty for the built-in defaults. Locally the demo policy: the built-in rules plus a restore drill of the demo estate.',
    local: 'examples/demo-policy.json',
  },
  RECONCILE_SCHEDULE: { description: 'NCRONTAB schedule of the reconcile timer.', local: DEFAULTS.RECONCILE_SCHEDULE },
  RECONCILE_REFRESH_HOURS: {
    description:
      "Reconcile reads a clone's firewall rules and locks only when something changed, and every clone's at least once in this many hours, spread over the period.",
    local: String(DEFAULTS.RECONCILE_REFRESH_HOURS),
  },
  NOTICES_SCHEDULE: {
    description: 'NCRONTAB schedule of owner notices (business hours).',
    local: DEFAULTS.NOTICES_SCHEDULE,
  },
  FINOPS_SUMMARY_SCHEDULE: {
    description: 'NCRONTAB schedule of the weekly FinOps summary.',
    local: DEFAULTS.FINOPS_SUMMARY_SCHEDULE,
  },
  SWEEP_SCHEDULE: {
    description: 'NCRONTAB schedule of the expiry sweep (deletion window).',
    local: DEFAULTS.SWEEP_SCHEDULE,
  },
  SWEEP_MODE: {
    description: '"dry-run" (default) or "enforce"; only enforce deletes servers.',
    local: DEFAULTS.SWEEP_MODE,
  },
  SWEEP_MAX_DELETIONS_PER_RUN: {
    description: 'At most this many deletions per sweep run.',
    local: String(DEFAULTS.SWEEP_MAX_DELETIONS_PER_RUN),
  },
  SWEEP_MAX_DELETION_PERCENT: {
    description:
      'At most this percentage of known clones deleted per run (rounded down, but at least one; 0 switches deletion off).',
    local: String(DEFAULTS.SWEEP_MAX_DELETION_PERCENT),
  },
  SWEEP_MAX_DISAGREEMENT_PERCENT: {
    description: 'The sweep deletes nothing when inventory and ARM disagree on more than this percentage of clones.',
    local: String(DEFAULTS.SWEEP_MAX_DISAGREEMENT_PERCENT),
  },
  DRILLS_SCHEDULE: {
    description:
      'NCRONTAB schedule of the restore-drill timer: starts the drills whose plan is due and deletes kept drill clones.',
    local: DEFAULTS.DRILLS_SCHEDULE,
  },
  DRILL_DB_AUTH: {
    description:
      'How drills sign in to a restored server: "entra" (a Microsoft Entra token of the managed identity) or "key-vault" (the password in DRILL_DB_PASSWORD_SECRET_URI). The local emulator gives its own password.',
    local: DEFAULTS.DRILL_DB_AUTH,
  },
  DRILL_DB_USER: {
    description:
      "Database role drills sign in as: the managed identity's Entra principal name (entra), or a login (key-vault; default the server's administrator login).",
    local: '',
  },
  DRILL_DB_PASSWORD_SECRET_URI: {
    description:
      "Key Vault secret URI of the drill login's password (key-vault only), e.g. https://kv.vault.azure.net/secrets/drill-password.",
    local: '',
  },
  DRILL_CLIENT_ADDRESSES: {
    description:
      "The app's outbound IPv4 addresses (comma-separated addresses, a.b.c.d-e.f.g.h ranges or CIDR blocks of at most 256 addresses): a drill of a public server allows them on its own clone with a temporary firewall rule before it connects. Empty: no rule (VNet integration, or the sources' rules already allow the app).",
    local: '',
  },
  ACS_ENDPOINT: { description: 'Azure Communication Services endpoint (managed identity in Azure).', local: '' },
  ACS_CONNECTION_STRING: { description: 'ACS connection string (local runs; leave empty in Azure).', local: '' },
  MAIL_SENDER: { description: 'Sender address on the ACS verified domain.', local: DEFAULTS.MAIL_SENDER },
  ALLOWED_RECIPIENT_DOMAINS: {
    description: 'Comma-separated mail domains owners may be mailed at.',
    local: 'contoso.com,example.com',
  },
  FALLBACK_MAILBOX: { description: 'Mailbox for clones without a mailable owner.', local: 'dba-team@contoso.com' },
  FINOPS_MAILBOX: {
    description: 'Mailbox of the weekly FinOps summary; empty to disable.',
    local: 'finops@contoso.com',
  },
  REVIEW_MAILBOX: {
    description:
      'Mailbox of the daily review digest: servers not proven to be restores (claimed or suspected), with the commands to confirm or dismiss each; empty: FALLBACK_MAILBOX.',
    local: 'dba-team@contoso.com',
  },
  MAIL_LIMIT_PER_MINUTE: {
    description: 'Emails sent per minute at most (ACS default 30).',
    local: String(DEFAULTS.MAIL_LIMIT_PER_MINUTE),
  },
  MAIL_LIMIT_PER_HOUR: {
    description: 'Emails sent per hour at most (ACS default 100).',
    local: String(DEFAULTS.MAIL_LIMIT_PER_HOUR),
  },
  RETAIL_PRICES_ENDPOINT: { description: 'Azure Retail Prices API endpoint.', local: DEFAULTS.RETAIL_PRICES_ENDPOINT },
  PORTAL_URL: { description: 'Azure portal base URL used in links.', local: DEFAULTS.PORTAL_URL },
  TEMPLATES_DIR: {
    description: 'Folder of the notice email templates, relative to the app root.',
    local: DEFAULTS.TEMPLATES_DIR,
  },
  PRICE_TABLE_PATH: {
    description: 'Dated retail price table used when the Retail Prices API fails, relative to the app root.',
    local: DEFAULTS.PRICE_TABLE_PATH,
  },
  DASHBOARD_AUTH: {
    description:
      '"entra" (default: only people App Service authentication signed in with Microsoft Entra ID may open the dashboard) or "none" (the local stack only).',
    local: 'none',
  },
  DASHBOARD_ALLOWED_GROUP_ID: {
    description:
      'Object id of the Entra group whose members may open the dashboard; empty: every user the app registration signs in.',
    local: '',
  },
} as const satisfies Record<string, { description: string; local: string }>;

export type SettingName = keyof typeof SETTINGS;

const schema = z.object({
  AzureWebJobsStorage: z.string().optional(),
  AzureWebJobsStorage__accountName: z.string().optional(),
  AZURE_CLIENT_ID: z.string().optional(),
  GOVERNED_SUBSCRIPTION_IDS: list('subscription GUIDs', (s) => GUID.test(s)).refine((ids) => ids.length > 0, {
    message: 'must name at least one subscription id',
  }),
  ARM_ENDPOINT: httpsUrl.default(DEFAULTS.ARM_ENDPOINT),
  ARM_CA_CERT_PATH: z.string().optional(),
  ARM_CONCURRENCY_PER_SUBSCRIPTION: positiveInt.max(64).default(DEFAULTS.ARM_CONCURRENCY_PER_SUBSCRIPTION),
  SERVER_LISTING: z.enum(['arm', 'resource-graph']).default(DEFAULTS.SERVER_LISTING),
  WARDEN_CREDENTIAL: z.enum(['default', 'emulator']).default(DEFAULTS.WARDEN_CREDENTIAL),
  EVENTS_QUEUE_NAME: z
    .string()
    .regex(
      /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/,
      'must be a valid queue name (3-63 lower-case letters, digits, dashes)',
    )
    .default(DEFAULTS.EVENTS_QUEUE_NAME),
  TABLE_PREFIX: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{0,39}$/, 'must be letters and digits, starting with a letter')
    .default(DEFAULTS.TABLE_PREFIX),
  POLICY_PATH: z.string().optional(),
  RECONCILE_SCHEDULE: ncrontab.default(DEFAULTS.RECONCILE_SCHEDULE),
  RECONCILE_REFRESH_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .default(DEFAULTS.RECONCILE_REFRESH_HOURS),
  NOTICES_SCHEDULE: ncrontab.default(DEFAULTS.NOTICES_SCHEDULE),
  FINOPS_SUMMARY_SCHEDULE: ncrontab.default(DEFAULTS.FINOPS_SUMMARY_SCHEDULE),
  SWEEP_SCHEDULE: ncrontab.default(DEFAULTS.SWEEP_SCHEDULE),
  SWEEP_MODE: z.enum(['dry-run', 'enforce']).default(DEFAULTS.SWEEP_MODE),
  SWEEP_MAX_DELETIONS_PER_RUN: positiveInt.default(DEFAULTS.SWEEP_MAX_DELETIONS_PER_RUN),
  SWEEP_MAX_DELETION_PERCENT: percent.default(DEFAULTS.SWEEP_MAX_DELETION_PERCENT),
  SWEEP_MAX_DISAGREEMENT_PERCENT: percent.default(DEFAULTS.SWEEP_MAX_DISAGREEMENT_PERCENT),
  DRILLS_SCHEDULE: ncrontab.default(DEFAULTS.DRILLS_SCHEDULE),
  DRILL_DB_AUTH: z.enum(['entra', 'key-vault']).default(DEFAULTS.DRILL_DB_AUTH),
  DRILL_DB_USER: z.string().optional(),
  DRILL_DB_PASSWORD_SECRET_URI: z.url({ protocol: /^https$/ }).optional(),
  DRILL_CLIENT_ADDRESSES: z.string().optional(),
  ACS_ENDPOINT: httpsUrl.optional(),
  ACS_CONNECTION_STRING: z
    .string()
    .regex(/endpoint=.+;accesskey=.+/i, 'must look like "endpoint=https://...;accesskey=..."')
    .optional(),
  MAIL_SENDER: email.default(DEFAULTS.MAIL_SENDER),
  ALLOWED_RECIPIENT_DOMAINS: list('mail domains', (d) => /^[a-z0-9.-]+\.[a-z]{2,}$/i.test(d)).default([]),
  FALLBACK_MAILBOX: email,
  FINOPS_MAILBOX: email.optional(),
  REVIEW_MAILBOX: email.optional(),
  MAIL_LIMIT_PER_MINUTE: positiveInt.default(DEFAULTS.MAIL_LIMIT_PER_MINUTE),
  MAIL_LIMIT_PER_HOUR: positiveInt.default(DEFAULTS.MAIL_LIMIT_PER_HOUR),
  RETAIL_PRICES_ENDPOINT: httpsUrl.default(DEFAULTS.RETAIL_PRICES_ENDPOINT),
  PORTAL_URL: httpsUrl.default(DEFAULTS.PORTAL_URL),
  TEMPLATES_DIR: z.string().default(DEFAULTS.TEMPLATES_DIR),
  PRICE_TABLE_PATH: z.string().default(DEFAULTS.PRICE_TABLE_PATH),
  DASHBOARD_AUTH: z.enum(['entra', 'none']).default(DEFAULTS.DASHBOARD_AUTH),
  DASHBOARD_ALLOWED_GROUP_ID: z.string().regex(GUID, 'must be the object id (a GUID) of an Entra group').optional(),
});

type Parsed = z.infer<typeof schema>;

/** The warden's settings, read once, validated and frozen. Units are in the names. */
export interface Config {
  readonly storage: { readonly connectionString?: string; readonly accountName?: string };
  readonly managedIdentityClientId?: string;
  readonly subscriptionIds: readonly string[];
  readonly arm: {
    readonly endpoint: string;
    readonly caCertPath?: string;
    readonly credential: 'default' | 'emulator';
    readonly concurrencyPerSubscription: number;
  };
  /** Where reconcile lists servers from: ARM per subscription, or one Resource Graph query. */
  readonly serverListing: 'arm' | 'resource-graph';
  readonly eventsQueueName: string;
  readonly tablePrefix: string;
  readonly policyPath?: string;
  readonly schedules: {
    readonly reconcile: string;
    readonly notices: string;
    readonly finopsSummary: string;
    readonly sweep: string;
    readonly drills: string;
  };
  /** How restore drills reach a clone's database. */
  readonly drills: {
    readonly auth: 'entra' | 'key-vault';
    readonly user?: string;
    readonly passwordSecretUri?: string;
    /** The app's outbound addresses as rule ranges: a drill of a public server allows them on its clone. Empty: none. */
    readonly clientAddresses: readonly { readonly start: string; readonly end: string }[];
  };
  /** Reconcile's full refresh of rules and locks: every clone once in this period. */
  readonly reconcile: { readonly refreshPeriodMs: number };
  readonly sweep: {
    readonly mode: 'dry-run' | 'enforce';
    readonly maxDeletionsPerRun: number;
    readonly maxDeletionPercent: number;
    readonly maxDisagreementPercent: number;
    /** A subscription's deletions in flight at once, and so its group (one lock list, one row transaction): ARM_CONCURRENCY_PER_SUBSCRIPTION. */
    readonly concurrencyPerSubscription: number;
  };
  readonly mail: {
    readonly endpoint?: string;
    readonly connectionString?: string;
    readonly sender: string;
    readonly allowedRecipientDomains: readonly string[];
    readonly fallbackMailbox: string;
    readonly finopsMailbox?: string;
    /** Where the daily review digest goes (REVIEW_MAILBOX, else FALLBACK_MAILBOX). */
    readonly reviewMailbox: string;
    readonly limitPerMinute: number;
    readonly limitPerHour: number;
  };
  readonly retailPricesEndpoint: string;
  readonly portalUrl: string;
  /** Notice templates and the fallback price table, resolved against the app root (the working directory). */
  readonly templatesDir: string;
  readonly priceTablePath: string;
  /** Who may open the dashboard (src/domain/dashboardAccess.ts). */
  readonly dashboard: { readonly auth: 'entra' | 'none'; readonly allowedGroupId?: string };
}

const blankToUndefined = (env: Record<string, string | undefined>): Record<string, string | undefined> =>
  Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, v === undefined || v.trim() === '' ? undefined : v.trim()]),
  );

/**
 * Reads every setting once; reports all problems together.
 * @example const config = loadConfig(process.env);
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const values = blankToUndefined(env);
  const result = schema.safeParse(values);
  const problems: string[] = [];
  if (!result.success) {
    for (const issue of result.error.issues) {
      const name = issue.path.join('.') || '(settings)';
      const value = env[name];
      const shown = value === undefined || value.trim() === '' ? 'missing' : `got ${JSON.stringify(value)}`;
      problems.push(
        `${name}: ${issue.message.replace(/^Invalid input: expected string, received undefined$/, 'is required')} (${shown})`,
      );
    }
  }
  const parsed = result.data;
  if (!values.AzureWebJobsStorage && !values.AzureWebJobsStorage__accountName) {
    problems.push(
      'AzureWebJobsStorage: is required (a connection string), or set AzureWebJobsStorage__accountName (missing)',
    );
  }
  if (values.ACS_ENDPOINT && values.ACS_CONNECTION_STRING) {
    problems.push('ACS_ENDPOINT and ACS_CONNECTION_STRING: set one, not both');
  }
  if (values.DRILL_DB_AUTH === 'key-vault' && !values.DRILL_DB_PASSWORD_SECRET_URI) {
    problems.push('DRILL_DB_PASSWORD_SECRET_URI: is required when DRILL_DB_AUTH is key-vault (missing)');
  }
  const clientAddresses = parseClientAddresses(values.DRILL_CLIENT_ADDRESSES ?? '');
  for (const problem of clientAddresses.problems)
    problems.push(`DRILL_CLIENT_ADDRESSES: ${problem} (got ${JSON.stringify(values.DRILL_CLIENT_ADDRESSES)})`);
  if (problems.length > 0 || !parsed) throw new ConfigError(problems);
  return deepFreeze(toConfig(parsed, clientAddresses.ranges));
}

function toConfig(p: Parsed, clientAddresses: Config['drills']['clientAddresses']): Config {
  return {
    storage: { connectionString: p.AzureWebJobsStorage, accountName: p.AzureWebJobsStorage__accountName },
    managedIdentityClientId: p.AZURE_CLIENT_ID,
    subscriptionIds: p.GOVERNED_SUBSCRIPTION_IDS.map((s) => s.toLowerCase()),
    arm: {
      endpoint: p.ARM_ENDPOINT.replace(/\/+$/, ''),
      caCertPath: p.ARM_CA_CERT_PATH,
      credential: p.WARDEN_CREDENTIAL,
      concurrencyPerSubscription: p.ARM_CONCURRENCY_PER_SUBSCRIPTION,
    },
    serverListing: p.SERVER_LISTING,
    eventsQueueName: p.EVENTS_QUEUE_NAME,
    tablePrefix: p.TABLE_PREFIX,
    policyPath: p.POLICY_PATH,
    schedules: {
      reconcile: p.RECONCILE_SCHEDULE,
      notices: p.NOTICES_SCHEDULE,
      finopsSummary: p.FINOPS_SUMMARY_SCHEDULE,
      sweep: p.SWEEP_SCHEDULE,
      drills: p.DRILLS_SCHEDULE,
    },
    drills: {
      auth: p.DRILL_DB_AUTH,
      user: p.DRILL_DB_USER,
      passwordSecretUri: p.DRILL_DB_PASSWORD_SECRET_URI,
      clientAddresses,
    },
    reconcile: { refreshPeriodMs: Math.round(p.RECONCILE_REFRESH_HOURS * 3_600_000) },
    sweep: {
      mode: p.SWEEP_MODE,
      maxDeletionsPerRun: p.SWEEP_MAX_DELETIONS_PER_RUN,
      maxDeletionPercent: p.SWEEP_MAX_DELETION_PERCENT,
      maxDisagreementPercent: p.SWEEP_MAX_DISAGREEMENT_PERCENT,
      concurrencyPerSubscription: p.ARM_CONCURRENCY_PER_SUBSCRIPTION,
    },
    mail: {
      endpoint: p.ACS_ENDPOINT,
      connectionString: p.ACS_CONNECTION_STRING,
      sender: p.MAIL_SENDER,
      allowedRecipientDomains: p.ALLOWED_RECIPIENT_DOMAINS.map((d) => d.toLowerCase()),
      fallbackMailbox: p.FALLBACK_MAILBOX,
      finopsMailbox: p.FINOPS_MAILBOX,
      reviewMailbox: p.REVIEW_MAILBOX ?? p.FALLBACK_MAILBOX,
      limitPerMinute: p.MAIL_LIMIT_PER_MINUTE,
      limitPerHour: p.MAIL_LIMIT_PER_HOUR,
    },
    retailPricesEndpoint: p.RETAIL_PRICES_ENDPOINT.replace(/\/+$/, ''),
    portalUrl: p.PORTAL_URL.replace(/\/+$/, ''),
    templatesDir: p.TEMPLATES_DIR,
    priceTablePath: p.PRICE_TABLE_PATH,
    dashboard: { auth: p.DASHBOARD_AUTH, allowedGroupId: p.DASHBOARD_ALLOWED_GROUP_ID },
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * A value built once from the app settings in the environment and kept while they stay the same: in Azure, once per
 * process. A process that hosts the app again with other settings (the local Functions host of a test run) gets a new
 * one instead of clients pointing at the stack it had before. `forget()` drops it (after a failed build, say).
 * @example const wire = perSettings(() => build(config())); await wire();
 */
export function perSettings<T>(make: () => T): (() => T) & { forget(): void } {
  let memo: { readonly settings: string; readonly value: T } | undefined;
  const get = (): T => {
    const settings = settingsInEnvironment();
    if (memo?.settings !== settings) memo = { settings, value: make() };
    return memo.value;
  };
  return Object.assign(get, { forget: () => void (memo = undefined) });
}

function settingsInEnvironment(): string {
  return JSON.stringify(Object.keys(SETTINGS).map((name) => process.env[name] ?? null));
}

/** The process-wide configuration, read from the environment on first use (and again when its settings change). */
export const config = perSettings((): Config => loadConfig(process.env));
