import { PostgreSQLManagementFlexibleServerClient } from '@azure/arm-postgresql-flexible';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverKey } from '../src/domain/ids.js';
import { startAzurite } from '../src/local/azurite.js';
import { armClientOptions, startEmulator, type EmulatorSnapshot } from '../src/local/emulator/index.js';
import { startLocalHost } from '../src/local/functionsHost.js';
import { sandboxSettings } from '../src/local/sandboxSettings.js';

const SUBSCRIPTION = '00000000-0000-4000-8000-000000000001';
const QUEUE = 'resource-events';
const RULE_DELETED = 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules/delete';

/**
 * `npm run bench -- enforce [restores] [intervalMs]`: PITR restores of public production servers with an open
 * firewall rule, made through the SDK one every `intervalMs` (default 100 restores, 100 ms apart), while the local
 * Functions host runs onResourceEvent against the emulator and Azurite. Per restore: from its event reaching the queue
 * (the emulator's Event Grid delivery) to the open rule deleted (the emulator's delete event time). Prints median, p90,
 * p99 and max.
 */
export async function run(args: string[]): Promise<void> {
  const [restores = 100, intervalMs = 100] = args.filter((a) => /^\d+$/.test(a)).map(Number);
  const sources = 10;
  const azurite = await startAzurite();
  const emulator = await startEmulator({
    snapshot: estate(sources),
    events: { connectionString: azurite.connectionString, queueName: QUEUE },
  });
  const queuedAt = new Map<string, number>();
  emulator.events.onDelivered = (event) => {
    if ((event.data as { operationName?: string }).operationName === 'Microsoft.DBforPostgreSQL/flexibleServers/write')
      queuedAt.set(String(event.subject).toLowerCase(), Date.now());
  };
  const host = await startLocalHost({
    ...appEntry(),
    settings: {
      ...sandboxSettings(azurite, emulator),
      GOVERNED_SUBSCRIPTION_IDS: SUBSCRIPTION,
      EVENTS_QUEUE_NAME: QUEUE,
      TABLE_PREFIX: `bench${process.pid}`,
      FALLBACK_MAILBOX: 'dba-team@contoso.com',
      ALLOWED_RECIPIENT_DOMAINS: 'contoso.com',
    },
    queueSettings: { maxPollingIntervalInMs: 20, visibilityTimeoutInMs: 0 },
  });
  try {
    const pg = new PostgreSQLManagementFlexibleServerClient(
      emulator.credential,
      SUBSCRIPTION,
      armClientOptions(emulator),
    );
    console.log(
      `enforce: ${restores} PITR restores, one every ${intervalMs} ms, of ${sources} public production servers with an open rule; onResourceEvent on the local host (queue polled every <= 20 ms)`,
    );
    const clones: string[] = [];
    const started = performance.now();
    for (let i = 0; i < restores; i++) {
      const next = started + i * intervalMs;
      await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
      const source = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-prod/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-app${i % sources}-prod`;
      const name = `pg-app${i % sources}-restore-${i}`;
      await pg.servers.beginCreateOrUpdateAndWait(
        'rg-prod',
        name,
        {
          location: 'eastus',
          createMode: 'PointInTimeRestore',
          sourceServerResourceId: source,
          pointInTimeUTC: new Date(Date.now() - 3_600_000),
        },
        { updateIntervalInMs: 5 },
      );
      clones.push(
        serverKey(
          `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-prod/providers/Microsoft.DBforPostgreSQL/flexibleServers/${name}`,
        ),
      );
    }
    const done = await remediations(emulator.events.emitted.bind(emulator.events), clones, 60_000);
    const latencies = clones.flatMap((key) => {
      const from = queuedAt.get(key);
      const to = done.get(key);
      return from !== undefined && to !== undefined ? [to - from] : [];
    });
    const failed = host.invocations.filter((i) => i.outcome === 'failed');
    console.log(
      `  remediated       ${done.size} of ${restores} (${host.invocations.length} invocations, ${failed.length} failed${failed[0] ? `: ${failed[0].error}` : ''})`,
    );
    console.log(
      `  queued -> open rule deleted, ms: median ${pct(latencies, 50)}, p90 ${pct(latencies, 90)}, p99 ${pct(latencies, 99)}, max ${pct(latencies, 100)}`,
    );
    // The first restore pays the app's cold start (imports, settings, table creation) and is inside the figures above.
    console.log(
      `  first restore (cold app) ${latencies[0] === undefined ? 'n/a' : Math.round(latencies[0])} ms; without it: median ${pct(latencies.slice(1), 50)}, p99 ${pct(latencies.slice(1), 99)}`,
    );
  } finally {
    await host.close();
    await emulator.close();
    await azurite.close();
  }
}

/** The app as the host loads it: the function file itself under tsx, the bundle (only onResourceEvent) when built. */
function appEntry(): { entry: string; only: string[] } {
  const here = fileURLToPath(import.meta.url);
  const source = resolve(here, '../../functions/onResourceEvent.ts');
  if (here.endsWith('.ts') && existsSync(source)) return { entry: source, only: ['onResourceEvent'] };
  const bundle = resolve('dist/app/main.js');
  if (!existsSync(bundle)) throw new Error(`No app bundle at ${bundle}: run "npm run build" first`);
  return { entry: bundle, only: ['onResourceEvent'] };
}

/** When each clone's open rule was deleted (the delete event's time), waiting until every clone has one or time is up. */
async function remediations(
  emitted: () => readonly Record<string, unknown>[],
  clones: readonly string[],
  timeoutMs: number,
): Promise<Map<string, number>> {
  const wanted = new Set(clones);
  const done = new Map<string, number>();
  const deadline = Date.now() + timeoutMs;
  while (done.size < wanted.size && Date.now() < deadline) {
    for (const e of emitted()) {
      if ((e.data as { operationName?: string }).operationName !== RULE_DELETED) continue;
      const subject = String(e.subject).toLowerCase();
      const key = subject.replace(/\/firewallrules\/allow-all$/, '');
      if (key !== subject && wanted.has(key) && !done.has(key)) done.set(key, Date.parse(String(e.eventTime)));
    }
    if (done.size < wanted.size) await new Promise((r) => setTimeout(r, 20));
  }
  return done;
}

function estate(count: number): EmulatorSnapshot {
  const servers: EmulatorSnapshot['servers'] = [];
  const firewallRules: NonNullable<EmulatorSnapshot['firewallRules']> = {};
  for (let i = 0; i < count; i++) {
    const id = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-prod/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-app${i}-prod`;
    servers.push({
      id,
      name: `pg-app${i}-prod`,
      type: 'Microsoft.DBforPostgreSQL/flexibleServers',
      location: 'eastus',
      tags: { Owner: `team${i}@contoso.com`, Environment: 'production' },
      sku: { name: 'Standard_D4ds_v5', tier: 'GeneralPurpose' },
      systemData: { createdAt: '2026-01-10T09:00:00Z' },
      properties: {
        administratorLogin: `app${i}`,
        version: '16',
        state: 'Ready',
        storage: { storageSizeGB: 128 },
        network: { publicNetworkAccess: 'Enabled' },
      },
    });
    firewallRules[id] = [
      { name: 'allow-all', properties: { startIpAddress: '0.0.0.0', endIpAddress: '255.255.255.255' } },
    ];
  }
  return { servers, firewallRules, locks: {} };
}

function pct(values: readonly number[], p: number): string {
  if (values.length === 0) return 'n/a';
  const sorted = [...values].sort((a, b) => a - b);
  return String(
    Math.round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!),
  );
}
