import { resourceTypeOf, type Engine } from '../src/domain/engines.js';
import { resourceIdOf } from '../src/domain/ids.js';
import type { InventoryRecord, NoticeSent, RestoreEvidence } from '../src/domain/model.js';
import { buildPlan } from '../src/domain/plan.js';
import { DEFAULT_POLICY } from '../src/domain/policy.js';
import { recordFromPlan } from '../src/domain/record.js';
import { serverFromArm } from '../src/domain/snapshot.js';
import type { ArmServer, EmulatorSnapshot } from '../src/local/emulator/index.js';

/** The estates the benchmarks run on, built the same way in the sandbox process and wherever else they are needed. */
export type EstateSpec =
  | { readonly kind: 'reconcile'; readonly servers: number; readonly subscriptions: number }
  | { readonly kind: 'sweep'; readonly servers: number; readonly subscriptions: number; readonly expired: number };

export interface Estate {
  readonly snapshot: EmulatorSnapshot;
  /** Inventory rows to seed (the sweep's; reconcile starts from empty tables). */
  readonly rows: InventoryRecord[];
  /** The emulator's clock, when the estate needs one fixed. */
  readonly now?: string;
}

/** The sweep's "now": every expired clone's final notice went out a month earlier. */
export const SWEEP_NOW = '2026-12-20T10:00:00Z';
const MAIL = { fallbackMailbox: 'dba-team@contoso.com', allowedRecipientDomains: ['contoso.com'] };

export function estateFor(spec: EstateSpec): Estate {
  return spec.kind === 'reconcile'
    ? reconcileEstate(spec.servers, spec.subscriptions)
    : sweepEstate(spec.servers, spec.subscriptions, spec.expired);
}

/** A mixed estate: every third server is a MySQL flexible server, the others PostgreSQL (clones follow their source). */
export const engineAt = (i: number): Engine => (i % 3 === 2 ? 'mysql-flexible' : 'postgresql-flexible');
const prefixOf = (engine: Engine): string => (engine === 'mysql-flexible' ? 'my' : 'pg');

export function subscriptionIds(count: number, base = 1): string[] {
  return Array.from(
    { length: count },
    (_, i) => `00000000-0000-4000-8000-${(base + i).toString(16).padStart(12, '0')}`,
  );
}

/**
 * Production servers with distinct administrator logins (so none looks like another's clone), and 10% clones with
 * lineage tags, a third of those with an open firewall rule.
 */
function reconcileEstate(count: number, subscriptions: number): Estate {
  const subs = subscriptionIds(subscriptions);
  const servers: ArmServer[] = [];
  const firewallRules: NonNullable<EmulatorSnapshot['firewallRules']> = {};
  const clones = Math.floor(count / 10);
  for (let i = 0; i < count - clones; i++) {
    const sub = subs[i % subscriptions]!;
    const engine = engineAt(i);
    servers.push(
      reconcileServer(
        engine,
        sub,
        `${prefixOf(engine)}-app${i}-prod`,
        `app${i}`,
        { Owner: `team${i % 50}@contoso.com`, Environment: 'production' },
        '2026-01-10T09:00:00Z',
      ),
    );
  }
  for (let i = 0; i < clones; i++) {
    const source = servers[i]!;
    const sub = source.id.split('/')[2]!;
    const engine = engineAt(i);
    const clone = reconcileServer(
      engine,
      sub,
      `${prefixOf(engine)}-app${i}-restore`,
      `app${i}`,
      {
        RestoredFrom: source.id,
        RestorePointUtc: '2026-01-12T08:00:00Z',
        Owner: `dba${i % 20}@contoso.com`,
        Incident: `INC-${i}`,
        ExpiresOn: '2099-01-01',
      },
      '2026-01-12T09:00:00Z',
    );
    servers.push(clone);
    if (i % 3 === 0)
      firewallRules[clone.id] = [
        { name: 'allow-all', properties: { startIpAddress: '0.0.0.0', endIpAddress: '255.255.255.255' } },
      ];
  }
  return { snapshot: { servers, firewallRules, locks: {} }, rows: [] };
}

function reconcileServer(
  engine: Engine,
  subscriptionId: string,
  name: string,
  administratorLogin: string,
  tags: Record<string, string>,
  createdAt: string,
): ArmServer {
  return {
    id: resourceIdOf(engine, subscriptionId, `rg-${name.length % 4}`, [name]),
    name,
    type: resourceTypeOf(engine),
    location: 'eastus',
    tags,
    sku: { name: engine === 'mysql-flexible' ? 'Standard_D4ds_v4' : 'Standard_D4ds_v5', tier: 'GeneralPurpose' },
    systemData: { createdAt },
    properties: {
      administratorLogin,
      version: engine === 'mysql-flexible' ? '8.0.21' : '16',
      state: 'Ready',
      storage: { storageSizeGB: 128 },
      network: { publicNetworkAccess: 'Enabled' },
    },
  };
}

/** Per subscription: expired clones (final notice long ago), live clones, and production servers with distinct logins. */
function sweepEstate(total: number, subscriptions: number, expired: number): Estate {
  const arm: ArmServer[] = [];
  const rows: InventoryRecord[] = [];
  const perSub = Math.ceil(total / subscriptions);
  const expiredPerSub = Math.ceil(expired / subscriptions);
  const subs = subscriptionIds(subscriptions, 0x100);
  let made = 0;
  let expiredMade = 0;
  for (let s = 0; s < subscriptions; s++) {
    const sub = subs[s]!;
    const mine: ArmServer[] = [];
    const notices = new Map<string, NoticeSent[]>();
    // The Activity Log's record of each clone's restore: what proves it (lineage tags alone are only a claim).
    const restores: RestoreEvidence[] = [];
    for (let i = 0; i < perSub && made < total; i++, made++) {
      const isExpired = i < expiredPerSub && expiredMade < expired;
      const isClone = isExpired || i < expiredPerSub + 25;
      const engine = engineAt(i);
      const name = `${prefixOf(engine)}-${s}-${i}`;
      const id = resourceIdOf(engine, sub, `rg-${s % 7}`, [name]);
      const createdAt = isExpired ? '2026-11-01T00:00:00Z' : '2026-12-15T00:00:00Z';
      const tags: Record<string, string> = isClone
        ? {
            Owner: 'alice@contoso.com',
            Incident: `INC-${s}`,
            RestoredFrom: resourceIdOf(engine, sub, 'rg-0', [`${prefixOf(engine)}-${s}-prod`]),
            RestorePointUtc: '2026-10-31T23:00:00Z',
            ExpiresOn: isExpired ? '2026-11-20' : '2026-12-30',
          }
        : { Owner: `team-${s}@contoso.com`, Environment: 'production' };
      if (isExpired) expiredMade++;
      mine.push(sweepServer(engine, id, name, createdAt, tags, isClone ? 'restorer' : `admin${s}x${i}`));
      if (isClone) {
        restores.push({
          key: `restore-${id.toLowerCase()}`,
          serverId: id,
          createMode: 'PointInTimeRestore',
          sourceServerId: tags.RestoredFrom!,
          pointInTimeUtc: tags.RestorePointUtc!,
          actor: { type: 'user', upn: 'alice@contoso.com' },
          at: new Date(Date.parse(createdAt) + 5_000).toISOString(),
          operationName: `${resourceTypeOf(engine)}/write`,
          status: 'Accepted',
        });
      }
      notices.set(id.toLowerCase(), [
        { stage: 'new-clone', sentAt: createdAt, to: 'alice@contoso.com' },
        ...(isExpired
          ? [{ stage: 'final-notice' as const, sentAt: '2026-11-20T09:00:00Z', to: 'alice@contoso.com' }]
          : []),
      ]);
    }
    arm.push(...mine);
    const live = mine.map((m) => serverFromArm(m));
    const plan = buildPlan({
      now: new Date('2026-12-16T00:00:00Z'),
      policy: DEFAULT_POLICY,
      servers: live,
      inventory: [],
      restoreEvidence: restores,
      settings: MAIL,
    });
    const byKey = new Map(live.map((l) => [l.key, l]));
    for (const p of plan.servers) {
      const server = byKey.get(p.key)!;
      const record = recordFromPlan({
        server,
        plan: p,
        previous: undefined,
        now: '2026-12-16T00:00:00Z',
        observedAt: '2026-12-16T00:00:00Z',
      });
      // Reconcile reads every clone with its locks and records them (none in this estate); production is not read so.
      const locks = p.classification === 'not-a-clone' ? {} : { lockSignature: '' };
      rows.push({ ...record, ...locks, noticesSent: notices.get(p.key) ?? [] });
    }
  }
  return { snapshot: { servers: arm }, rows, now: SWEEP_NOW };
}

function sweepServer(
  engine: Engine,
  id: string,
  name: string,
  createdAt: string,
  tags: Record<string, string>,
  login: string,
): ArmServer {
  return {
    id,
    name,
    type: resourceTypeOf(engine),
    location: 'eastus',
    tags,
    sku: { name: engine === 'mysql-flexible' ? 'Standard_D2ds_v4' : 'Standard_D2ds_v5', tier: 'GeneralPurpose' },
    systemData: { createdAt },
    properties: {
      administratorLogin: login,
      version: engine === 'mysql-flexible' ? '8.0.21' : '16',
      state: 'Ready',
      storage: { storageSizeGB: 128 },
      network: { publicNetworkAccess: 'Disabled' },
    },
  };
}
