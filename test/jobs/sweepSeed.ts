// Builders for sweep tests: domain servers, inventory rows planned the way reconcile writes them, notice histories.
import { createMemoryStores } from '../../src/adapters/memory/memoryStores.js';
import { MemoryServers } from '../../src/adapters/memory/servers.js';
import type { InventoryRecord, ManagementLock, NoticeSent, RestoreEvidence, Server } from '../../src/domain/model.js';
import { buildPlan } from '../../src/domain/plan.js';
import { DEFAULT_POLICY, type Policy } from '../../src/domain/policy.js';
import { recordFromPlan } from '../../src/domain/record.js';
import { fixedClock } from '../../src/ports/clock.js';
import type { SweepDeps, SweepOptions } from '../../src/jobs/sweep.js';

export const SUB_A = '00000000-0000-4000-8000-00000000000a';
export const SUB_B = '00000000-0000-4000-8000-00000000000b';
export const MAIL = { fallbackMailbox: 'dba-team@contoso.com', allowedRecipientDomains: ['contoso.com'] };
export const ACTOR = 'pitr-warden (test)';

export function domainServer(o: {
  name: string;
  sub?: string;
  rg?: string;
  tags?: Record<string, string>;
  createdAt?: string;
  state?: string;
  login?: string;
}): Server {
  const sub = o.sub ?? SUB_A;
  const id = `/subscriptions/${sub}/resourceGroups/${o.rg ?? 'rg'}/providers/Microsoft.DBforPostgreSQL/flexibleServers/${o.name}`;
  return {
    id,
    key: id.toLowerCase(),
    engine: 'postgresql-flexible',
    subscriptionId: sub,
    resourceGroup: o.rg ?? 'rg',
    name: o.name,
    location: 'eastus',
    tags: o.tags ?? {},
    skuName: 'Standard_D2ds_v5',
    skuTier: 'GeneralPurpose',
    version: '16',
    administratorLogin: o.login ?? `admin-${o.name}`,
    storageSizeGb: 128,
    state: o.state ?? 'Ready',
    createdAt: o.createdAt ?? '2026-11-01T00:00:00Z',
    publicNetworkAccess: 'Disabled',
  };
}

/** A clone with the warden's lineage tags, an owner, an incident and the given expiry. */
export function cloneServer(
  name: string,
  expiresOn: string,
  o: { sub?: string; tags?: Record<string, string>; createdAt?: string; state?: string } = {},
): Server {
  const sub = o.sub ?? SUB_A;
  return domainServer({
    name,
    sub,
    createdAt: o.createdAt ?? '2026-11-01T00:00:00Z',
    ...(o.state ? { state: o.state } : {}),
    tags: {
      Owner: 'alice@contoso.com',
      Incident: 'INC-1',
      RestoredFrom: `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-prod`,
      RestorePointUtc: '2026-10-31T23:00:00Z',
      RestoredBy: 'alice@contoso.com',
      ExpiresOn: expiresOn,
      ...o.tags,
    },
  });
}

/** The notices an owner got: new-clone at creation, final notice `finalAfterHours` after expiry. */
export function noticesFor(server: Server, o: { finalAt?: string; newClone?: boolean } = {}): NoticeSent[] {
  const out: NoticeSent[] = [];
  if (o.newClone !== false)
    out.push({ stage: 'new-clone', sentAt: server.createdAt ?? '2026-11-01T00:00:00Z', to: 'alice@contoso.com' });
  if (o.finalAt) out.push({ stage: 'final-notice', sentAt: o.finalAt, to: 'alice@contoso.com' });
  return out;
}

/**
 * The Activity Log's restore records of the servers that carry lineage tags (logged 5 s after their creation): what
 * proved them clones when reconcile first saw them.
 */
export function restoresOf(servers: readonly Server[]): RestoreEvidence[] {
  return servers
    .filter((s) => s.tags.RestoredFrom)
    .map((s) => ({
      key: `restore-${s.key}`,
      serverId: s.id,
      createMode: 'PointInTimeRestore',
      sourceServerId: s.tags.RestoredFrom!,
      ...(s.tags.RestorePointUtc ? { pointInTimeUtc: s.tags.RestorePointUtc } : {}),
      actor: { type: 'user' as const, upn: s.tags.RestoredBy ?? 'alice@contoso.com' },
      at: new Date(Date.parse(s.createdAt ?? '2026-11-01T00:00:00Z') + 5_000).toISOString(),
      operationName: 'Microsoft.DBforPostgreSQL/flexibleServers/write',
      status: 'Accepted',
    }));
}

/**
 * Rows as reconcile would write them at `at`, with the given notice histories. Servers with lineage tags were proven
 * by their Activity Log record (`restoresOf`) unless `restoreEvidence` says otherwise.
 */
export function rowsFor(
  servers: readonly Server[],
  at: Date,
  notices: Readonly<Record<string, readonly NoticeSent[]>> = {},
  o: { policy?: Policy; restoreEvidence?: RestoreEvidence[] } = {},
): InventoryRecord[] {
  const plan = buildPlan({
    now: at,
    policy: o.policy ?? DEFAULT_POLICY,
    servers,
    inventory: [],
    restoreEvidence: o.restoreEvidence ?? restoresOf(servers),
    settings: MAIL,
  });
  return plan.servers
    .filter((p) => servers.some((s) => s.key === p.key))
    .map((p) => {
      const server = servers.find((s) => s.key === p.key)!;
      const record = recordFromPlan({
        server,
        plan: p,
        previous: undefined,
        now: at.toISOString(),
        observedAt: at.toISOString(),
      });
      return { ...record, noticesSent: [...(notices[p.key] ?? [])] };
    });
}

/** Memory stores, MemoryServers and a fixed clock, ready for `sweep`. */
export async function memoryDeps(o: {
  now: string;
  servers: readonly Server[];
  rows: readonly InventoryRecord[];
  locks?: Record<string, readonly ManagementLock[]>;
  subscriptions?: string[];
  policy?: Policy;
  /** ARM's 202 for a delete that does not wait (see MemoryServers). */
  acceptDeletes?: boolean;
}) {
  const stores = createMemoryStores();
  for (const row of o.rows) await stores.inventory.upsert(row);
  const servers = new MemoryServers(o.servers, { locks: o.locks ?? {}, acceptDeletes: o.acceptDeletes ?? false });
  const clock = fixedClock(o.now);
  const deps: SweepDeps = {
    clock,
    servers,
    inventory: stores.inventory,
    evidence: stores.evidence,
    runs: stores.runs,
    policy: o.policy ?? DEFAULT_POLICY,
    settings: { subscriptionIds: o.subscriptions ?? [SUB_A], ...MAIL },
    actor: ACTOR,
  };
  return { deps, stores, servers, clock };
}

export const ENFORCE: SweepOptions = {
  mode: 'enforce',
  maxDeletionsPerRun: 100,
  maxDeletionPercent: 100,
  maxDisagreementPercent: 25,
};
export const DRY_RUN: SweepOptions = { ...ENFORCE, mode: 'dry-run' };
