import { loadConfig } from '../src/config.js';
import { sandboxSettings } from '../src/local/sandboxSettings.js';
import type { InventoryRecord, NoticeSent } from '../src/domain/model.js';
import { buildPlan } from '../src/domain/plan.js';
import { DEFAULT_POLICY } from '../src/domain/policy.js';
import { recordFromPlan } from '../src/domain/record.js';
import { serverFromArm } from '../src/domain/snapshot.js';
import { sweep } from '../src/jobs/sweep.js';
import { startAzurite } from '../src/local/azurite.js';
import { startEmulator, type ArmServer } from '../src/local/emulator/index.js';
import { fixedClock } from '../src/ports/clock.js';
import { build } from '../src/wiring.js';

const NOW = new Date('2026-12-20T10:00:00Z');
const MAIL = { fallbackMailbox: 'dba-team@contoso.com', allowedRecipientDomains: ['contoso.com'] };

/**
 * `npm run bench -- sweep [servers] [subscriptions] [expired] [concurrency]`: an enforce sweep over an estate on the
 * emulator and Azurite (default 10,000 servers over 20 subscriptions, 1,000 expired clones whose notices went out
 * long ago, caps raised). Prints wall time, ARM calls by kind, Table operations and peak memory (one process holds
 * the emulator, Azurite and the sweep, so RSS counts all three).
 */
export async function run(args: string[]): Promise<void> {
  const [servers = 10_000, subscriptions = 20, expired = 1_000, concurrency = 8] = args.filter((a) => /^\d+$/.test(a)).map(Number);
  const estate = makeEstate(servers, subscriptions, expired);
  const azurite = await startAzurite();
  const emulator = await startEmulator({ snapshot: { servers: estate.arm }, now: () => NOW });
  try {
    const config = loadConfig({
      ...sandboxSettings(azurite, emulator),
      TABLE_PREFIX: `bench${process.pid}`,
      FALLBACK_MAILBOX: MAIL.fallbackMailbox,
      ALLOWED_RECIPIENT_DOMAINS: MAIL.allowedRecipientDomains.join(','),
    });
    const wired = await build(config);
    const seedStarted = performance.now();
    const outcomes = await wired.inventory.upsertMany(estate.rows.map((record) => ({ record })));
    if (outcomes.some((o) => 'conflict' in o)) throw new Error('seeding the inventory hit a conflict');
    console.log(`seeded ${servers} servers over ${subscriptions} subscriptions and ${estate.rows.length} inventory rows in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);

    emulator.requests.clear();
    const tablesBefore = wired.stores.stats();
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 25);
    const started = performance.now();
    const result = await sweep(
      { ...wired, clock: fixedClock(NOW) },
      { mode: 'enforce', maxDeletionsPerRun: expired, maxDeletionPercent: 100, maxDisagreementPercent: 25, concurrency },
    );
    const wallMs = performance.now() - started;
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const tablesAfter = wired.stores.stats();

    console.log(`sweep (enforce, concurrency ${concurrency}): wall ${(wallMs / 1000).toFixed(2)} s`);
    console.log(
      `  ${result.planned.length} eligible, ${result.deleted.length} deleted, ${result.held.length} held, ${result.skipped.length} skipped, ` +
        `${result.failed.length} failed${result.stoppedBecause ? `; STOPPED: ${result.stoppedBecause}` : ''}`,
    );
    console.log(`ARM calls: ${emulator.requests.total}`);
    for (const c of emulator.requests.counters()) console.log(`  ${c.method.padEnd(6)} ${c.operation.padEnd(34)} ${String(c.status).padEnd(4)} ${String(c.count).padStart(6)}`);
    console.log(
      `Table operations: reads ${tablesAfter.reads - tablesBefore.reads}, writes ${tablesAfter.writes - tablesBefore.writes}, ` +
        `batches ${tablesAfter.batches - tablesBefore.batches}, entities written ${tablesAfter.entitiesWritten - tablesBefore.entitiesWritten}`,
    );
    console.log(`peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MiB (emulator, Azurite and sweep in one process)`);
    if (result.deleted.length !== expired || result.failed.length > 0) process.exitCode = 1;
  } finally {
    await emulator.close();
    await azurite.close();
  }
}

/** Per subscription: expired clones (final notice long ago), live clones, and production servers with distinct logins. */
function makeEstate(total: number, subscriptions: number, expired: number) {
  const arm: ArmServer[] = [];
  const rows: InventoryRecord[] = [];
  const perSub = Math.ceil(total / subscriptions);
  const expiredPerSub = Math.ceil(expired / subscriptions);
  let made = 0;
  let expiredMade = 0;
  for (let s = 0; s < subscriptions; s++) {
    const sub = `00000000-0000-4000-8000-${(0x100 + s).toString(16).padStart(12, '0')}`;
    const mine: ArmServer[] = [];
    const notices = new Map<string, NoticeSent[]>();
    for (let i = 0; i < perSub && made < total; i++, made++) {
      const isExpired = i < expiredPerSub && expiredMade < expired;
      const isClone = isExpired || i < expiredPerSub + 25;
      const name = `pg-${s}-${i}`;
      const id = `/subscriptions/${sub}/resourceGroups/rg-${s % 7}/providers/Microsoft.DBforPostgreSQL/flexibleServers/${name}`;
      const createdAt = isExpired ? '2026-11-01T00:00:00Z' : '2026-12-15T00:00:00Z';
      const tags: Record<string, string> = isClone
        ? { Owner: 'alice@contoso.com', Incident: `INC-${s}`, RestoredFrom: `/subscriptions/${sub}/resourceGroups/rg-0/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-${s}-prod`, RestorePointUtc: '2026-10-31T23:00:00Z', ExpiresOn: isExpired ? '2026-11-20' : '2026-12-30' }
        : { Owner: `team-${s}@contoso.com`, Environment: 'production' };
      if (isExpired) expiredMade++;
      mine.push(armServer(id, name, createdAt, tags, isClone ? 'restorer' : `admin${s}x${i}`));
      notices.set(id.toLowerCase(), [
        { stage: 'new-clone', sentAt: createdAt, to: 'alice@contoso.com' },
        ...(isExpired ? [{ stage: 'final-notice' as const, sentAt: '2026-11-20T09:00:00Z', to: 'alice@contoso.com' }] : []),
      ]);
    }
    arm.push(...mine);
    const live = mine.map((m) => serverFromArm(m));
    const plan = buildPlan({ now: new Date('2026-12-16T00:00:00Z'), policy: DEFAULT_POLICY, servers: live, inventory: [], settings: MAIL });
    for (const p of plan.servers) {
      const server = live.find((l) => l.key === p.key)!;
      const record = recordFromPlan({ server, plan: p, previous: undefined, now: '2026-12-16T00:00:00Z', observedAt: '2026-12-16T00:00:00Z' });
      rows.push({ ...record, noticesSent: notices.get(p.key) ?? [] });
    }
  }
  return { arm, rows };
}

function armServer(id: string, name: string, createdAt: string, tags: Record<string, string>, login: string): ArmServer {
  return {
    id,
    name,
    type: 'Microsoft.DBforPostgreSQL/flexibleServers',
    location: 'eastus',
    tags,
    sku: { name: 'Standard_D2ds_v5', tier: 'GeneralPurpose' },
    systemData: { createdAt },
    properties: { administratorLogin: login, version: '16', state: 'Ready', storage: { storageSizeGB: 128 }, network: { publicNetworkAccess: 'Disabled' } },
  };
}
