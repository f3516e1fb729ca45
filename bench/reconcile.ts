import type { TableStores } from '../src/adapters/azure/tables.js';
import { loadConfig } from '../src/config.js';
import { reconcile, type ReconcileOutcome } from '../src/jobs/reconcile.js';
import { startAzurite } from '../src/local/azurite.js';
import { startEmulator, type Emulator, type EmulatorSnapshot } from '../src/local/emulator/index.js';
import { sandboxSettings } from '../src/local/sandboxSettings.js';
import { build } from '../src/wiring.js';

/**
 * `npm run bench -- reconcile [servers] [subscriptions]`: reconcile over an emulated estate (default 10,000 servers
 * in 20 subscriptions, 10% of them clones with lineage tags, a third of those with an open firewall rule) into
 * Azurite tables. Runs twice: the first run records and governs everything, the second finds nothing changed.
 * Prints wall time, ARM calls (per server and by operation), Table operations and peak RSS of this process (which
 * also hosts the emulator and Azurite).
 */
export async function run(args: string[]): Promise<void> {
  const [servers = 10_000, subscriptions = 20] = args.filter((a) => /^\d+$/.test(a)).map(Number);
  const snapshot = estate(servers, subscriptions);
  const azurite = await startAzurite();
  const emulator = await startEmulator({ snapshot });
  try {
    // The app's own composition root, pointed at the sandbox.
    const deps = await build(
      loadConfig({ ...sandboxSettings(azurite, emulator), TABLE_PREFIX: `bench${process.pid}`, FALLBACK_MAILBOX: 'dba-team@contoso.com', ALLOWED_RECIPIENT_DOMAINS: 'contoso.com' }),
    );
    const stores = deps.stores;
    console.log(`reconcile: ${servers} servers (${snapshot.servers.length - servers / 10} production, ${servers / 10} clones) over ${subscriptions} subscriptions, emulator pages of 100`);
    for (const label of ['first run (records and governs)', 'second run (nothing changed)']) {
      emulator.requests.clear();
      stores.resetStats();
      const measured = await measure(() => reconcile(deps));
      report(label, servers, measured, emulator, stores);
    }
  } finally {
    await emulator.close();
    await azurite.close();
  }
}

/** Production servers with distinct administrator logins (so none looks like another's clone), and their clones. */
function estate(count: number, subscriptions: number): EmulatorSnapshot {
  const subs = Array.from({ length: subscriptions }, (_, i) => `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`);
  const servers: EmulatorSnapshot['servers'] = [];
  const firewallRules: NonNullable<EmulatorSnapshot['firewallRules']> = {};
  const clones = Math.floor(count / 10);
  for (let i = 0; i < count - clones; i++) {
    const sub = subs[i % subscriptions]!;
    servers.push(server(sub, `pg-app${i}-prod`, `app${i}`, { Owner: `team${i % 50}@contoso.com`, Environment: 'production' }, '2026-01-10T09:00:00Z'));
  }
  for (let i = 0; i < clones; i++) {
    const source = servers[i]!;
    const sub = source.id.split('/')[2]!;
    const clone = server(sub, `pg-app${i}-restore`, `app${i}`, { RestoredFrom: source.id, RestorePointUtc: '2026-01-12T08:00:00Z', Owner: `dba${i % 20}@contoso.com`, Incident: `INC-${i}`, ExpiresOn: '2099-01-01' }, '2026-01-12T09:00:00Z');
    servers.push(clone);
    if (i % 3 === 0) firewallRules[clone.id] = [{ name: 'allow-all', properties: { startIpAddress: '0.0.0.0', endIpAddress: '255.255.255.255' } }];
  }
  return { servers, firewallRules, locks: {} };
}

function server(subscriptionId: string, name: string, administratorLogin: string, tags: Record<string, string>, createdAt: string): EmulatorSnapshot['servers'][number] {
  return {
    id: `/subscriptions/${subscriptionId}/resourceGroups/rg-${name.length % 4}/providers/Microsoft.DBforPostgreSQL/flexibleServers/${name}`,
    name,
    type: 'Microsoft.DBforPostgreSQL/flexibleServers',
    location: 'eastus',
    tags,
    sku: { name: 'Standard_D4ds_v5', tier: 'GeneralPurpose' },
    systemData: { createdAt },
    properties: { administratorLogin, version: '16', state: 'Ready', storage: { storageSizeGB: 128 }, network: { publicNetworkAccess: 'Enabled' } },
  };
}

interface Measured {
  readonly outcome: ReconcileOutcome;
  readonly wallMs: number;
  readonly peakRssMb: number;
  readonly startRssMb: number;
}

/** Wall time and the peak resident set size, sampled every 20 ms while the run lasts. */
async function measure(work: () => Promise<ReconcileOutcome>): Promise<Measured> {
  const mb = (bytes: number) => bytes / 1024 / 1024;
  const startRssMb = mb(process.memoryUsage.rss());
  let peak = startRssMb;
  const sampler = setInterval(() => (peak = Math.max(peak, mb(process.memoryUsage.rss()))), 20);
  const started = performance.now();
  try {
    const outcome = await work();
    return { outcome, wallMs: performance.now() - started, peakRssMb: Math.max(peak, mb(process.memoryUsage.rss())), startRssMb };
  } finally {
    clearInterval(sampler);
  }
}

function report(label: string, servers: number, m: Measured, emulator: Emulator, stores: TableStores): void {
  const { outcome } = m;
  const arm = emulator.requests.total;
  const table = stores.stats();
  console.log(`\n${label}`);
  console.log(`  wall time        ${(m.wallMs / 1000).toFixed(2)} s`);
  console.log(
    `  outcome          ${outcome.servers} servers, ${outcome.clones} clones, ${outcome.added} added, ${outcome.updated} updated, ` +
      `${outcome.unchanged} unchanged, ${outcome.vanished} vanished, ${outcome.failed.length} failed`,
  );
  console.log(`  ARM calls        ${arm} (${(arm / servers).toFixed(3)} per server)`);
  for (const c of emulator.requests.counters()) console.log(`    ${`${c.method} ${c.operation} ${c.status}`.padEnd(46)} ${String(c.count).padStart(6)}`);
  console.log(`  Table operations ${table.reads} reads, ${table.writes} single writes, ${table.batches} batches, ${table.entitiesWritten} entities written`);
  console.log(`  peak RSS         ${m.peakRssMb.toFixed(0)} MB (${m.startRssMb.toFixed(0)} MB at start; emulator and Azurite run in this process)`);
  if (outcome.failed.length > 0) console.log(`  first failure    ${outcome.failed[0]!.id}: ${outcome.failed[0]!.reason}`);
}
