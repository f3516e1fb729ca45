import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { resolve } from 'node:path';
import { LOCAL_SETTINGS_FILE } from '../cli/context.js';
import { ConfigError, SETTINGS, loadConfig } from '../config.js';
import { startAzurite } from './azurite.js';
import { startEmulator } from './emulator/index.js';
import { startLocalHost, type InvocationRecord } from './functionsHost.js';
import { sandboxSettings } from './sandboxSettings.js';

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
  options: { snapshot?: string; entry?: string; httpPort?: number; log?: (line: string) => void; settings?: Record<string, string>; publishSettings?: boolean } = {},
): Promise<LocalRun> {
  const log = options.log ?? ((line: string) => console.log(line));
  const base = { ...localSettingsFile(), ...options.settings };
  const azurite = await startAzurite();
  const emulator = await startEmulator({
    snapshot: options.snapshot ?? resolve('examples/estate.json'),
    events: { connectionString: azurite.connectionString, queueName: base.EVENTS_QUEUE_NAME || 'resource-events' },
    timeScale: 0.001,
  });
  const settings: Record<string, string> = { ...base, ...sandboxSettings(azurite, emulator) };
  try {
    // One message naming every bad setting, before anything runs.
    loadConfig(settings);
  } catch (error) {
    await emulator.close();
    await azurite.close();
    throw error;
  }
  const host = await startLocalHost({
    entry: options.entry ?? resolve('dist/app/main.js'),
    settings,
    httpPort: options.httpPort ?? 7071,
    log,
    onInvocation: (r) => log(`${r.startedAt.toISOString()} ${r.functionName} (${r.trigger}) ${r.outcome} in ${r.durationInMs} ms${r.error ? `: ${r.error}` : ''}`),
  });

  if (options.publishSettings) {
    // The CLI's --local reads these to talk to this stack.
    mkdirSync(dirname(LOCAL_SETTINGS_FILE), { recursive: true });
    writeFileSync(LOCAL_SETTINGS_FILE, JSON.stringify(settings, null, 2));
  }
  log('');
  log('pitr-warden is running locally (Ctrl-C stops it; `pitr-warden --help` with --local talks to it)');
  log(`  ARM emulator   ${emulator.armEndpoint}  (CA: ${emulator.caCertPath})`);
  log(`  ACS emulator   ${emulator.acsEndpoint}  (mailbox: ${emulator.acsEndpoint}/_emulator/mailbox)`);
  log(`  Storage        ${azurite.tableEndpoint} (tables), ${azurite.queueEndpoint} (queues)`);
  log(`  Subscriptions  ${emulator.subscriptionIds.join(', ')}`);
  log('  Functions:');
  for (const fn of host.functions) log(`    ${fn.name.padEnd(22)} ${describeTrigger(fn.trigger, settings, host.httpUrl)}`);
  log('');

  return {
    settings,
    functions: host.functions.map((f) => f.name),
    httpUrl: host.httpUrl,
    runTimer: (name) => host.runTimer(name),
    invocations: host.invocations,
    close: async () => {
      if (options.publishSettings) rmSync(LOCAL_SETTINGS_FILE, { force: true });
      await host.close();
      await emulator.close();
      await azurite.close();
    },
  };
}

function describeTrigger(trigger: { type: string; [k: string]: unknown }, settings: Record<string, string>, httpUrl: string | undefined): string {
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

/** Safe defaults < local.settings.json < the environment (as Core Tools does: a variable already set wins). */
function localSettingsFile(): Record<string, string> {
  const defaults = Object.fromEntries(Object.entries(SETTINGS).map(([k, v]) => [k, v.local]));
  const file = existsSync('local.settings.json') ? (JSON.parse(readFileSync('local.settings.json', 'utf8')) as { Values?: Record<string, string> }).Values : undefined;
  const fromEnv = Object.fromEntries(Object.keys(SETTINGS).flatMap((k) => {
    const value = process.env[k];
    return value === undefined ? [] : [[k, value]];
  }));
  return { ...defaults, ...file, ...fromEnv };
}

async function main(argv: string[]): Promise<void> {
  const once = argv.includes('--once');
  const snapshotAt = argv.indexOf('--snapshot');
  let run: LocalRun;
  try {
    run = await startLocal({ snapshot: snapshotAt >= 0 ? argv[snapshotAt + 1] : undefined, httpPort: once ? 0 : 7071, publishSettings: !once });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
  // The whole cycle once at start rather than at the first schedules: govern the estate, mail the owners (the
  // emulator's mailbox), then the expiry sweep (dry-run unless SWEEP_MODE=enforce).
  for (const job of ['reconcile', 'sendOwnerNotices', 'deleteExpiredClones']) {
    if (!run.functions.includes(job)) continue;
    await run.runTimer(job).catch((error: unknown) => console.error(`${job} failed: ${error instanceof Error ? error.message : String(error)}`));
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
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  });
}
