import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { resolve } from 'node:path';
import { LOCAL_SETTINGS_FILE, localStackProblem, readLocalStack } from './stackFile.js';
import { ConfigError, DEFAULTS, SETTINGS } from '../config.js';
import { loadStartup } from '../startup.js';
import { startAzurite } from './azurite.js';
import { startEmulator } from './emulator/index.js';
import { startLocalHost, type InvocationRecord } from './functionsHost.js';
import { sandboxSettings } from './sandboxSettings.js';
import { shiftSnapshotDates } from './emulator/snapshot.js';
import { errorMessage } from '../errorMessage.js';

/**
 * `npm start`: the whole warden on this machine with no Azure account. Azurite (tables, queues) and the local Azure
 * emulator (seeded with examples/estate.json) start in this process; the function app bundle runs on the local host.
 * Settings: local.settings.json when present, else the safe values of local.settings.sample.json; the emulator's
 * endpoints override ARM, ACS and storage. `--once` runs the reconcile job, prints its outcome and exits.
 */
export interface LocalRun {
  readonly settings: Readonly<Record<string, string>>;
  readonly functions: readonly string[];
  readonly httpUrl?: string;
  runTimer(name: string): Promise<void>;
  readonly invocations: readonly InvocationRecord[];
  close(): Promise<void>;
}

export async function startLocal(
  options: {
    snapshot?: string;
    entry?: string;
    httpPort?: number;
    log?: (line: string) => void;
    settings?: Record<string, string>;
    publishSettings?: boolean;
    /** Move the snapshot's dates (relative to its `asOf`) to this day; `npm start` passes now. */
    shiftDatesTo?: Date;
  } = {},
): Promise<LocalRun> {
  const log = options.log ?? ((line: string) => console.log(line));
  const base = { ...localSettingsFile(), ...options.settings };
  if (options.publishSettings) refuseSecondStack();
  // Settings and policy first, with placeholders for what the sandbox fills in: a bad one stops us before anything starts.
  loadStartup(withSandbox(base, PLACEHOLDER_SANDBOX));
  const azurite = await startAzurite();
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  try {
    const snapshotPath = options.snapshot ?? resolve('examples/estate.json');
    emulator = await startEmulator({
      snapshot: options.shiftDatesTo ? shiftSnapshotDates(snapshotPath, options.shiftDatesTo) : snapshotPath,
      events: {
        connectionString: azurite.connectionString,
        queueName: base.EVENTS_QUEUE_NAME || DEFAULTS.EVENTS_QUEUE_NAME,
      },
      timeScale: 0.001,
      // Real PostgreSQL behind the servers the estate lists in `dataPlanes` (the demo's pg-orders-prod, for its drill).
      dataPlane: true,
    });
  } catch (error) {
    await azurite.close();
    throw error;
  }
  const settings = withSandbox(base, sandboxSettings(azurite, emulator));
  const unknown = (settings.GOVERNED_SUBSCRIPTION_IDS ?? '')
    .split(/[,;\s]+/)
    .filter((id) => id && !emulator.subscriptionIds.includes(id.toLowerCase()));
  if (unknown.length > 0)
    log(
      `note: GOVERNED_SUBSCRIPTION_IDS names ${unknown.join(', ')}, which the emulator's estate does not have (it has ${emulator.subscriptionIds.join(', ')})`,
    );
  let host: Awaited<ReturnType<typeof startLocalHost>>;
  try {
    // One message naming every bad setting and policy problem, before anything runs.
    loadStartup(settings);
    host = await startLocalHost({
      entry: options.entry ?? resolve('dist/app/main.js'),
      settings,
      httpPort: options.httpPort ?? 7071,
      log,
      onInvocation: (r) =>
        log(
          `${r.startedAt.toISOString()} ${r.functionName} (${r.trigger}) ${r.outcome} in ${r.durationInMs} ms${r.error ? `: ${r.error}` : ''}`,
        ),
    });
  } catch (error) {
    await emulator.close();
    await azurite.close();
    throw error;
  }
  if (options.publishSettings) {
    // The CLI's --local reads these to talk to this stack.
    mkdirSync(dirname(LOCAL_SETTINGS_FILE), { recursive: true });
    const stack = {
      PITR_WARDEN_LOCAL_PID: String(process.pid),
      PITR_WARDEN_LOCAL_STARTED_AT: new Date().toISOString(),
      PITR_WARDEN_LOCAL_HTTP_URL: host.httpUrl ?? '',
    };
    writeFileSync(LOCAL_SETTINGS_FILE, JSON.stringify({ ...settings, ...stack }, null, 2));
  }
  log('');
  log('pitr-warden is running locally (Ctrl-C stops it; `pitr-warden --help` with --local talks to it)');
  log(`  ARM emulator   ${emulator.armEndpoint}  (CA: ${emulator.caCertPath})`);
  log(`  ACS emulator   ${emulator.acsEndpoint}  (mailbox: ${emulator.acsEndpoint}/_emulator/mailbox)`);
  log(`  Storage        ${azurite.tableEndpoint} (tables), ${azurite.queueEndpoint} (queues)`);
  log(`  Subscriptions  ${emulator.subscriptionIds.join(', ')}`);
  if (host.httpUrl)
    log(
      `  Run a function ${host.httpUrl}/admin/functions/<name> (POST {"input": ""}), or \`pitr-warden run <name> --local\``,
    );
  log('  Functions:');
  for (const fn of host.functions)
    log(`    ${fn.name.padEnd(22)} ${describeTrigger(fn.trigger, settings, host.httpUrl)}`);
  log('');

  return {
    settings,
    functions: host.functions.map((f) => f.name),
    httpUrl: host.httpUrl,
    runTimer: (name) => host.runTimer(name),
    invocations: host.invocations,
    close: async () => {
      if (options.publishSettings && readLocalStack()?.PITR_WARDEN_LOCAL_PID === String(process.pid))
        rmSync(LOCAL_SETTINGS_FILE, { force: true });
      await host.close();
      await emulator.close();
      await azurite.close();
    },
  };
}

function describeTrigger(
  trigger: { type: string; [k: string]: unknown },
  settings: Record<string, string>,
  httpUrl: string | undefined,
): string {
  const resolveRef = (v: unknown) => String(v).replace(/%([^%]+)%/g, (_, n: string) => settings[n] ?? `%${n}%`);
  switch (trigger.type) {
    case 'timerTrigger':
      return `timer  ${resolveRef(trigger.schedule)}`;
    case 'queueTrigger':
      return `queue  ${resolveRef(trigger.queueName)}`;
    case 'httpTrigger':
      return `http   ${((trigger.methods as string[] | undefined) ?? ['GET', 'POST']).join(',')} ${httpUrl ?? ''}/api/${String(trigger.route)}`;
    default:
      return trigger.type;
  }
}

/** Stand-ins for the sandbox's endpoints, so settings and policy are checked before Azurite and the emulator start. */
const PLACEHOLDER_SANDBOX = sandboxSettings(
  { connectionString: 'UseDevelopmentStorage=true' },
  {
    armEndpoint: 'https://127.0.0.1',
    caCertPath: '',
    acsConnectionString: 'endpoint=https://127.0.0.1/;accesskey=AA==',
    pricesEndpoint: 'https://127.0.0.1',
    subscriptionIds: [],
  },
);

/**
 * The sandbox's endpoints over the settings. GOVERNED_SUBSCRIPTION_IDS stays as given when it is set (an invalid one is
 * reported, never silently replaced); only an empty one becomes the emulator's subscriptions.
 */
function withSandbox(base: Record<string, string>, sandbox: Record<string, string>): Record<string, string> {
  const given = base.GOVERNED_SUBSCRIPTION_IDS?.trim();
  return { ...base, ...sandbox, ...(given ? { GOVERNED_SUBSCRIPTION_IDS: given } : {}) };
}

/** A second `npm start` would overwrite the first one's .local/settings.json and fight over its port: refuse, naming it. */
function refuseSecondStack(): void {
  const running = readLocalStack();
  if (!running) return;
  if (localStackProblem(running) !== undefined) return; // the one that wrote it is gone: take over
  throw new Error(
    `another local stack is running (pid ${running.PITR_WARDEN_LOCAL_PID}, started ${running.PITR_WARDEN_LOCAL_STARTED_AT ?? 'earlier'}${running.PITR_WARDEN_LOCAL_HTTP_URL ? `, functions at ${running.PITR_WARDEN_LOCAL_HTTP_URL}` : ''}): ` +
      `use it (\`pitr-warden ... --local\`) or stop it first (Ctrl-C in its terminal, or kill ${running.PITR_WARDEN_LOCAL_PID}); \`--once\` runs beside it`,
  );
}

/** Safe defaults < local.settings.json < the environment (as Core Tools does: a variable already set wins). */
function localSettingsFile(): Record<string, string> {
  const defaults = Object.fromEntries(Object.entries(SETTINGS).map(([k, v]) => [k, v.local]));
  const file = existsSync('local.settings.json')
    ? (JSON.parse(readFileSync('local.settings.json', 'utf8')) as { Values?: Record<string, string> }).Values
    : undefined;
  const fromEnv = Object.fromEntries(
    Object.keys(SETTINGS).flatMap((k) => {
      const value = process.env[k];
      return value === undefined ? [] : [[k, value]];
    }),
  );
  return { ...defaults, ...file, ...fromEnv };
}

async function main(argv: string[]): Promise<void> {
  const once = argv.includes('--once');
  const snapshotAt = argv.indexOf('--snapshot');
  let run: LocalRun;
  try {
    const snapshot = snapshotAt >= 0 ? argv[snapshotAt + 1] : undefined;
    // The demo estate is written as of its `asOf` day; move it to today so its expiries and the first emails make sense.
    run = await startLocal({ snapshot, httpPort: once ? 0 : 7071, publishSettings: !once, shiftDatesTo: new Date() });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
  // The whole cycle once at start rather than at the first schedules: govern the estate, mail the owners (the
  // emulator's mailbox) and the review mailbox, the expiry sweep (dry-run unless SWEEP_MODE=enforce), then the restore
  // drills that are due.
  for (const job of ['reconcile', 'sendOwnerNotices', 'sendReviewDigest', 'deleteExpiredClones', 'runRestoreDrills']) {
    if (!run.functions.includes(job)) continue;
    await run.runTimer(job).catch((error: unknown) => console.error(`${job} failed: ${errorMessage(error)}`));
  }
  if (once) {
    await run.close();
    return;
  }
  const stop = () => {
    console.log('\nstopping...');
    void run.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && resolve(process.argv[1]).endsWith('dist/local/start.js')) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(errorMessage(error));
    process.exitCode = 1;
  });
}
