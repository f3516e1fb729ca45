import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type {
  InventoryRecord,
  NoticeStage,
  OperatorDecision,
  Proof,
  RestoreEvidence,
  Server,
} from '../../src/domain/model.js';
import { buildPlan, type NoticeSentInput, type PlanAction, type PlanInput } from '../../src/domain/plan.js';
import { DEFAULT_POLICY, parsePolicy } from '../../src/domain/policy.js';
import { TEST_SEED } from '../support/seed.js';

/**
 * Trust before touch as a property: over random estates full of adversarial look-alikes (forged and self-referencing
 * lineage tags, restore points after creation, sources created after the clone, Terraform twins minutes apart, names
 * recycled with another creation time, restore records of other incarnations, random notice histories, confirmations,
 * dismissals and promotions), the plan never modifies a server that is not proven, by a definition of proof written
 * here independently of src/domain/proof.ts.
 */

const SUB = '00000000-0000-4000-8000-00000000000c';
const NOW = Date.parse('2026-12-10T10:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();
const idOf = (name: string) =>
  `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/${name}`;
const PROD = 'pg-prod';
const PROD_CREATED = Date.parse('2024-03-01T08:00:00Z');
const PROD_TAGS = { Owner: 'orders-team@contoso.com', Environment: 'production' };
const NAMES = ['pg-a', 'pg-b', 'pg-c', 'pg-d'];

/** Every action that changes a server in Azure, listed here rather than taken from the code under test. */
const MODIFYING = new Set<PlanAction['type']>([
  'tag',
  'remove-tags',
  'delete-firewall-rule',
  'disable-public-access',
  'stop-server',
  'delete-server',
]);

// Parsed once: parsing a policy per case would cost more than the plan.
const POLICIES = [
  DEFAULT_POLICY,
  parsePolicy({
    rules: [
      { type: 'required-tags', mode: 'enforce' },
      { type: 'stamp-lineage', mode: 'enforce' },
      { type: 'expiry', mode: 'enforce', defaultLifetimeDays: 3, maxLifetimeDays: 10 },
      { type: 'replace-inherited-ownership', mode: 'enforce', alsoReplace: { Environment: 'clone' } },
      {
        type: 'network-firewall',
        mode: 'enforce',
        publicAccess: 'disabled',
        allowedRanges: ['10.0.0.0/8'],
        quarantine: true,
      },
      {
        type: 'network-subnet',
        mode: 'enforce',
        allowedSubnets: [`/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/clones`],
        quarantine: true,
      },
      { type: 'notices', mode: 'enforce', graceDays: 1 },
      { type: 'sweep', mode: 'enforce' },
    ],
  }),
  parsePolicy({
    rules: [
      { type: 'network-firewall', mode: 'dry-run' },
      { type: 'expiry', mode: 'enforce' },
      { type: 'notices', mode: 'dry-run' },
      { type: 'sweep', mode: 'enforce' },
    ],
  }),
];

function server(
  name: string,
  o: {
    createdAt: number;
    login?: string;
    tags?: Record<string, string>;
    open?: boolean;
    subnet?: boolean;
    locked?: boolean;
  },
): Server {
  const id = idOf(name);
  return {
    id,
    key: id.toLowerCase(),
    engine: 'postgresql-flexible',
    subscriptionId: SUB,
    resourceGroup: 'rg',
    name,
    location: 'westeurope',
    tags: o.tags ?? {},
    skuName: 'Standard_D2ds_v5',
    skuTier: 'GeneralPurpose',
    version: '16',
    administratorLogin: o.login ?? 'ordersadmin',
    storageSizeGb: 128,
    state: 'Ready',
    createdAt: iso(o.createdAt),
    ...(o.subnet
      ? {
          publicNetworkAccess: 'Disabled' as const,
          delegatedSubnetId: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/prod/subnets/db`,
        }
      : { publicNetworkAccess: 'Enabled' as const }),
    firewallRules: o.open
      ? [{ name: 'allow-all', startIpAddress: '0.0.0.0', endIpAddress: '255.255.255.255' }]
      : [{ name: 'office', startIpAddress: '10.1.0.0', endIpAddress: '10.1.0.255' }],
    locks: o.locked ? [{ name: 'keep', level: 'CanNotDelete' }] : [],
  };
}

/** How a server of the estate came to look like a clone (or not). */
const KINDS = [
  'iac-twin',
  'forged-old',
  'self-reference',
  'point-after-creation',
  'source-after-clone',
  'real-restore',
  'plain',
] as const;
type Kind = (typeof KINDS)[number];

const time = (min: number, max: number) =>
  fc.integer({ min: Math.round(min / MIN), max: Math.round(max / MIN) }).map((m) => m * MIN);

/** One server of the estate (besides production) and the facts around it. */
const memberArb = fc.record({
  kind: fc.constantFrom<Kind>(...KINDS),
  /** Creation: minutes after production (twins), or within the last 60 days. */
  twinDelay: time(MIN, 10 * HOUR),
  createdAt: time(NOW - 60 * DAY, NOW - HOUR),
  restorePointBefore: time(10 * MIN, 10 * DAY),
  expiresIn: fc.option(time(-40 * DAY, 20 * DAY), { nil: undefined }),
  legalHold: fc.boolean(),
  open: fc.boolean(),
  subnet: fc.boolean(),
  locked: fc.boolean(),
  /** The restore records the Activity Log holds for this name. */
  record: fc.constantFrom('none', 'valid', 'other-incarnation', 'replica', 'failed', 'self-source', 'upper-case-id'),
  /** The inventory row under this name, and whose it is. */
  row: fc.constantFrom('none', 'same', 'recycled', 'deleted'),
  rowProof: fc.constantFrom<Proof['level'] | 'legacy-activity-log' | 'legacy-tags' | 'absent'>(
    'proven',
    'claimed',
    'suspected',
    'none',
    'legacy-activity-log',
    'legacy-tags',
    'absent',
  ),
  /** Operator decisions, in order, on this incarnation or another. */
  decisions: fc.array(
    fc.record({
      kind: fc.constantFrom<OperatorDecision['kind']>('confirmed-clone', 'dismissed', 'promoted', 'governed-restore'),
      incarnation: fc.constantFrom('this', 'other'),
      at: time(NOW - 30 * DAY, NOW),
    }),
    { maxLength: 3 },
  ),
  notices: fc.array(
    fc.record({
      stage: fc.constantFrom<NoticeStage>('new-clone', 'reminder', 'final-notice', 'noncompliant', 'deleted'),
      at: time(NOW - 50 * DAY, NOW),
      leadDays: fc.constantFrom(undefined, 1, 3),
    }),
    { maxLength: 4 },
  ),
});

const inputArb = fc
  .record({
    members: fc.array(memberArb, { minLength: 1, maxLength: 3 }),
    policy: fc.constantFrom(...POLICIES),
    nowShift: time(0, 20 * DAY),
    /** Production's own tags carry forged lineage too. */
    prodForged: fc.boolean(),
  })
  .map(({ members, policy, nowShift, prodForged }) => estateOf(members, policy, NOW + nowShift, prodForged));

type Member = typeof memberArb extends fc.Arbitrary<infer T> ? T : never;

/** Builds the plan input: production, one server per member, its restore records, inventory row and notices. */
function estateOf(
  members: readonly Member[],
  policy: PlanInput['policy'],
  now: number,
  prodForged: boolean,
): PlanInput {
  const prodTags = prodForged
    ? { ...PROD_TAGS, RestoredFrom: idOf(NAMES[0]!), RestorePointUtc: iso(NOW - 5 * DAY) }
    : PROD_TAGS;
  const servers: Server[] = [server(PROD, { createdAt: PROD_CREATED, tags: prodTags, open: true })];
  const records: RestoreEvidence[] = [];
  const inventory: InventoryRecord[] = [];
  const noticesSent: NoticeSentInput[] = [];
  members.forEach((m, i) => {
    const name = NAMES[i]!;
    const id = idOf(name);
    const created =
      m.kind === 'iac-twin'
        ? PROD_CREATED + m.twinDelay
        : m.kind === 'forged-old'
          ? PROD_CREATED - 200 * DAY + m.twinDelay
          : m.createdAt;
    const point = created - m.restorePointBefore;
    const lineage = (source: string, restorePoint: number) => ({
      RestoredFrom: source,
      RestorePointUtc: iso(restorePoint),
    });
    const later = servers.find((s) => s.createdAt! > iso(created));
    const tags: Record<string, string> = {
      ...(m.kind === 'iac-twin' ? PROD_TAGS : { Owner: `${name}@contoso.com` }),
      ...(m.kind === 'forged-old' || m.kind === 'real-restore' ? lineage(idOf(PROD), point) : {}),
      ...(m.kind === 'self-reference' ? lineage(id, point) : {}),
      ...(m.kind === 'point-after-creation' ? lineage(idOf(PROD), created + m.restorePointBefore) : {}),
      ...(m.kind === 'source-after-clone' ? lineage(later?.id ?? idOf('pg-not-yet'), point) : {}),
      ...(m.expiresIn !== undefined ? { ExpiresOn: iso(now + m.expiresIn).slice(0, 10) } : {}),
      ...(m.legalHold ? { LegalHold: 'case-1' } : {}),
    };
    servers.push(
      server(name, {
        createdAt: created,
        login: m.kind === 'iac-twin' ? 'ordersadmin' : `${name}-admin`,
        tags,
        open: m.open,
        subnet: m.subnet,
        locked: m.locked,
      }),
    );

    const record = (over: Partial<RestoreEvidence>): RestoreEvidence => ({
      key: `rec-${name}-${m.record}`,
      serverId: id,
      createMode: 'PointInTimeRestore',
      sourceServerId: idOf(PROD),
      pointInTimeUtc: iso(point),
      actor: { type: 'user', upn: 'alice@contoso.com' },
      at: iso(created + 5_000),
      operationName: 'Microsoft.DBforPostgreSQL/flexibleServers/write',
      status: 'Accepted',
      ...over,
    });
    if (m.record === 'valid') records.push(record({}));
    if (m.record === 'upper-case-id') records.push(record({ serverId: id.toUpperCase() }));
    if (m.record === 'other-incarnation')
      records.push(
        record({ at: iso(created - 3 * DAY) }),
        record({ key: `rec-${name}-later`, at: iso(created + 2 * DAY) }),
      );
    if (m.record === 'replica') records.push(record({ createMode: 'Replica' }));
    if (m.record === 'failed') records.push(record({ status: 'Failed' }));
    if (m.record === 'self-source') records.push(record({ sourceServerId: id }));

    const otherIncarnation = iso(created - 7 * DAY);
    if (m.row !== 'none') {
      const rowCreated = m.row === 'recycled' ? otherIncarnation : iso(created);
      const decisions = m.decisions.map((d): OperatorDecision => ({
        kind: d.kind,
        by: 'dana@contoso.com',
        at: iso(d.at),
        reason: 'generated',
        serverCreatedAt: d.incarnation === 'this' ? iso(created) : otherIncarnation,
      }));
      inventory.push(rowOf(name, id, rowCreated, m.rowProof, decisions, m.row === 'deleted', m.notices));
    }
    for (const n of m.notices)
      noticesSent.push({
        server: i % 2 === 0 ? id : id.toUpperCase(),
        stage: n.stage,
        sentAt: iso(n.at),
        ...(n.leadDays !== undefined ? { leadDays: n.leadDays } : {}),
      });
  });
  return {
    now: new Date(now),
    policy,
    servers,
    inventory,
    noticesSent,
    restoreEvidence: records,
    settings: { fallbackMailbox: 'dba-team@contoso.com', allowedRecipientDomains: ['contoso.com'] },
  };
}

function rowOf(
  name: string,
  id: string,
  createdAt: string,
  level: Member['rowProof'],
  decisions: OperatorDecision[],
  deleted: boolean,
  notices: Member['notices'],
): InventoryRecord {
  const legacy = level === 'legacy-activity-log' || level === 'legacy-tags' || level === 'absent';
  const evidence =
    level === 'legacy-activity-log'
      ? ['activity log: PointInTimeRestore of pg-prod by alice@contoso.com']
      : level === 'legacy-tags'
        ? ['tags: RestoredFrom=pg-prod']
        : ['generated'];
  return {
    key: id.toLowerCase(),
    id,
    engine: 'postgresql-flexible',
    subscriptionId: SUB,
    resourceGroup: 'rg',
    name,
    location: 'westeurope',
    classification: level === 'none' ? 'not-a-clone' : level === 'suspected' ? 'probable-clone' : 'clone',
    classificationEvidence: evidence,
    ...(legacy
      ? {}
      : {
          proof: {
            level,
            evidence,
            contradictions: [],
            ...(level === 'proven' ? { basis: 'activity-log' as const } : {}),
          },
        }),
    ...(decisions.length > 0 ? { decisions } : {}),
    lineage: {},
    owner: `${name}@contoso.com`,
    ownerSource: 'claims',
    violations: [],
    compliant: true,
    createdAt,
    noticesSent: notices.map((n) => ({
      stage: n.stage,
      sentAt: iso(n.at),
      to: `${name}@contoso.com`,
      ...(n.leadDays !== undefined ? { leadDays: n.leadDays } : {}),
    })),
    state: deleted ? 'deleted' : 'governed',
    tags: {},
    firstSeenAt: createdAt,
    observedAt: createdAt,
    updatedAt: createdAt,
    ...(deleted ? { deletedAt: iso(NOW - DAY) } : {}),
  };
}

/**
 * Proof, as the README defines it: the Activity Log's record of this server's create carries the restore (a clone
 * create mode, a source other than itself, not failed, logged when this server was created), the warden's governed
 * restore, an operator's confirmation, or proof recorded earlier on this server's own row; an operator's later
 * dismissal overrides all of it.
 */
function proven(server: Server, input: PlanInput): boolean {
  const created = Date.parse(server.createdAt!);
  const row = input.inventory.find(
    (r) =>
      r.key === server.key &&
      r.state !== 'deleted' &&
      (r.createdAt === undefined || Date.parse(r.createdAt) === created),
  );
  const mine = (row?.decisions ?? []).filter(
    (d) => d.serverCreatedAt !== undefined && Date.parse(d.serverCreatedAt) === created,
  );
  const verdict = mine
    .filter((d) => d.kind === 'confirmed-clone' || d.kind === 'dismissed')
    .sort((a, b) => a.at.localeCompare(b.at))
    .at(-1);
  if (verdict?.kind === 'dismissed') return false;
  if (verdict?.kind === 'confirmed-clone' || mine.some((d) => d.kind === 'governed-restore')) return true;
  const record = (input.restoreEvidence ?? []).some((r) => {
    const mode = (r.createMode ?? '').toLowerCase();
    const at = Date.parse(r.at);
    return (
      r.serverId.toLowerCase() === server.key &&
      ['pointintimerestore', 'georestore', 'revivedropped'].includes(mode) &&
      r.sourceServerId !== undefined &&
      (r.sourceServerId.toLowerCase() !== server.key || mode === 'revivedropped') &&
      r.status.toLowerCase() !== 'failed' &&
      at >= created - 6 * HOUR &&
      at <= created + HOUR
    );
  });
  if (record) return true;
  if (row?.proof) return row.proof.level === 'proven';
  return (
    row !== undefined &&
    row.classification === 'clone' &&
    row.classificationEvidence.some((l) => l.startsWith('activity log: '))
  );
}

describe('trust before touch: random estates with adversarial look-alikes', () => {
  it(`never plans a change or an owner notice on a live server without proof (10,000 seeded cases, TEST_SEED=${TEST_SEED})`, () => {
    const seen = {
      provenChanged: 0,
      blocked: 0,
      contradicted: 0,
      suspected: 0,
      claimed: 0,
      dismissed: 0,
      promoted: 0,
      deletions: 0,
    };
    fc.assert(
      fc.property(inputArb, (input) => {
        const plan = buildPlan(input);
        const byKey = new Map(plan.servers.map((s) => [s.key, s]));
        for (const live of input.servers) {
          const p = byKey.get(live.key)!;
          const changes = p.actions.filter((a) => MODIFYING.has(a.type));
          // Plain checks, not expect(): this runs 40,000 times; a failure throws and fast-check shrinks it.
          if (!proven(live, input)) {
            if (changes.length > 0)
              throw new Error(
                `${live.name} (${p.proof.level}) is not proven but the plan changes it: ${JSON.stringify(changes)}`,
              );
            if (p.actions.some((a) => a.type === 'notify'))
              throw new Error(
                `${live.name} (${p.proof.level}) is not proven but its owner would be told: ${JSON.stringify(p.actions)}`,
              );
            if (p.proof.level === 'proven')
              throw new Error(`${live.name} is recorded proven without proof: ${JSON.stringify(p.proof)}`);
          } else if (p.proof.level !== 'proven') {
            throw new Error(`${live.name} is proven but planned as ${p.proof.level}: ${JSON.stringify(p.proof)}`);
          }
          if (p.proof.level === 'claimed' || p.proof.level === 'suspected') {
            if (p.actions[0]?.type !== 'skip' || p.actions[0].reason !== 'unproven')
              throw new Error(
                `${live.name} (${p.proof.level}) does not say it waits for review: ${JSON.stringify(p.actions[0])}`,
              );
            seen[p.proof.level]++;
            if (p.proof.contradictions.length > 0) seen.contradicted++;
            if (
              (p.onceConfirmed ?? []).some((line) =>
                /^(set tags|delete firewall rule|disable public|stop the server|delete the server)/.test(line),
              )
            )
              seen.blocked++;
          }
          if (changes.length > 0) seen.provenChanged++;
          if (changes.some((a) => a.type === 'delete-server')) seen.deletions++;
          if (p.classification === 'not-a-clone' && (p.decisions ?? []).some((d) => d.kind === 'dismissed'))
            seen.dismissed++;
          if (p.promoted) seen.promoted++;
        }
      }),
      { numRuns: 10_000, seed: TEST_SEED },
    );
    // Not vacuous: proven clones are changed (and some deleted), look-alikes of every kind came up, and the gate held
    // back changes the plan would otherwise have made.
    expect(seen.provenChanged).toBeGreaterThan(1_000);
    expect(seen.deletions).toBeGreaterThan(0);
    expect(seen.blocked).toBeGreaterThan(1_000);
    expect(seen.suspected).toBeGreaterThan(100);
    expect(seen.claimed).toBeGreaterThan(100);
    expect(seen.contradicted).toBeGreaterThan(100);
    expect(seen.dismissed).toBeGreaterThan(100);
    expect(seen.promoted).toBeGreaterThan(10);
  });
});
