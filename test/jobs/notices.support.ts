// Memory deps for notice job tests: stores, a list-only servers port, the memory mailer, prices from the shipped table.
import { createMemoryStores } from '../../src/adapters/memory/memoryStores.js';
import { MemoryMailer } from '../../src/adapters/memory/mailer.js';
import { loadPriceTable, type PriceSource } from '../../src/adapters/azure/prices/retailPrices.js';
import { loadTemplates } from '../../src/adapters/noticeTemplates.js';
import { loadConfig } from '../../src/config.js';
import { serverFromArm } from '../../src/domain/snapshot.js';
import type { Server } from '../../src/domain/model.js';
import { buildPlan } from '../../src/domain/plan.js';
import { DEFAULT_POLICY } from '../../src/domain/policy.js';
import { recordFromPlan } from '../../src/domain/record.js';
import { restoresOf } from './sweepSeed.js';
import type { NoticesDeps } from '../../src/jobs/notices.js';
import { fixedClock } from '../../src/ports/clock.js';
import type { ServersPort } from '../../src/ports/servers.js';
import { armServer, SUB1 } from '../support/estate.js';
import { PRICE_TABLE_FILE } from '../../src/priceTable.js';

export const NOW = '2026-11-21T09:00:00.000Z';
const SOURCE_ID = `/subscriptions/${SUB1}/resourceGroups/rg-prod/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-src`;

/** A clone with the warden's lineage tags (classified `clone`), owned by `owner`. */
export function cloneServer(name: string, owner: string, extra: Record<string, string> = {}): Server {
  return serverFromArm(
    armServer({
      name,
      createdAt: '2026-11-19T09:00:00Z',
      publicAccess: false,
      sku: { name: 'Standard_B1ms', tier: 'Burstable' },
      storageSizeGb: 32,
      tags: {
        Owner: owner,
        RestoredFrom: SOURCE_ID,
        RestorePointUtc: '2026-11-19T08:00:00Z',
        RestoredBy: owner,
        Incident: 'INC-1',
        ExpiresOn: '2026-12-01',
        ...extra,
      },
    }),
  );
}

/** Only `list` is used by the notice jobs; anything else is a test failure. */
export function listOnlyServers(servers: () => Server[]): ServersPort {
  const no = () => Promise.reject(new Error('the notice jobs only list servers'));
  return {
    list: (subscriptionId) => Promise.resolve(servers().filter((s) => s.subscriptionId === subscriptionId)),
    get: no,
    listFirewallRules: no,
    listLocks: no,
    listSubscriptionLocks: no,
    mergeTags: no,
    deleteTags: no,
    deleteFirewallRule: no,
    upsertFirewallRule: no,
    disablePublicAccess: no,
    stop: no,
    delete: no,
    checkName: no,
    restore: no,
  };
}

export async function tablePrices(): Promise<PriceSource> {
  const table = await loadPriceTable(PRICE_TABLE_FILE);
  return {
    itemsFor: (region) =>
      Promise.resolve({
        items: table.Items.filter((i) => i.armRegionName === region),
        source: { kind: 'price-table', asOf: table.asOf },
      }),
  };
}

/** Memory deps over `servers`, with an inventory row per server as reconcile would have written it. */
export async function memoryNoticesDeps(servers: Server[], settings: Record<string, string> = {}) {
  const clock = fixedClock(NOW);
  const stores = createMemoryStores();
  const mailer = new MemoryMailer(clock);
  const config = loadConfig({
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    GOVERNED_SUBSCRIPTION_IDS: SUB1,
    FALLBACK_MAILBOX: 'dba-team@contoso.com',
    ALLOWED_RECIPIENT_DOMAINS: 'contoso.com',
    ...settings,
  });
  const mail = {
    fallbackMailbox: config.mail.fallbackMailbox,
    allowedRecipientDomains: [...config.mail.allowedRecipientDomains],
  };
  // The clones' restores are in the Activity Log: reconcile recorded them proven.
  const plan = buildPlan({
    now: clock.now(),
    policy: DEFAULT_POLICY,
    servers,
    inventory: [],
    restoreEvidence: restoresOf(servers),
    settings: mail,
  });
  for (const server of servers) {
    const serverPlan = plan.servers.find((p) => p.key === server.key)!;
    await stores.inventory.upsert(
      recordFromPlan({ server, plan: serverPlan, previous: undefined, now: NOW, observedAt: NOW }),
    );
  }
  const templates = await loadTemplates();
  const deps: NoticesDeps = {
    ...stores,
    clock,
    servers: listOnlyServers(() => servers),
    activity: { list: () => Promise.resolve([]) },
    policy: DEFAULT_POLICY,
    settings: { subscriptionIds: config.subscriptionIds, ...mail },
    actor: 'pitr-warden',
    config,
    mailer,
    prices: await tablePrices(),
    templates: () => Promise.resolve(templates),
  };
  /** Waiting moves the test's clock instead of time. */
  const sleep = (ms: number) => {
    clock.advance(ms);
    return Promise.resolve();
  };
  return { deps, clock, stores, mailer, sleep };
}
