import { PostgreSQLManagementFlexibleServerClient } from '@azure/arm-postgresql-flexible';
import { ResourceManagementClient } from '@azure/arm-resources';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorCredential } from '../../src/adapters/azure/credential.js';
import { ArmActivityFeed, ArmServers } from '../../src/adapters/azure/arm/servers.js';
import { createMemoryStores } from '../../src/adapters/memory/memoryStores.js';
import { parseQueueMessage } from '../../src/domain/events.js';
import type { EvidenceEntry, InventoryRecord } from '../../src/domain/model.js';
import { DEFAULT_POLICY } from '../../src/domain/policy.js';
import type { GovernDeps } from '../../src/jobs/deps.js';
import { handleEvents } from '../../src/jobs/intake.js';
import { reconcile, runLimited } from '../../src/jobs/reconcile.js';
import { fixedClock, type Clock } from '../../src/ports/clock.js';
import type { InventoryStores } from '../../src/ports/inventory.js';
import {
  armClientOptions,
  startEmulator,
  type Emulator,
  type EmulatorSnapshot,
} from '../../src/local/emulator/index.js';
import { SUB1, SUB2, armRule, armServer } from '../support/estate.js';

/** Deterministic pseudo-random numbers (mulberry32), so the corpus and the shuffle are the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function deps(emulator: Emulator, stores: InventoryStores, clock: Clock): GovernDeps {
  const arm = { credential: emulatorCredential, clientOptions: armClientOptions(emulator), pollIntervalInMs: 1 };
  return {
    clock,
    servers: new ArmServers(arm),
    activity: new ArmActivityFeed(arm),
    ...stores,
    policy: DEFAULT_POLICY,
    settings: {
      subscriptionIds: [SUB1, SUB2],
      fallbackMailbox: 'dba-team@contoso.com',
      allowedRecipientDomains: ['contoso.com'],
    },
    actor: 'pitr-warden',
  };
}

/** 70 servers: production servers with an open rule, unrelated servers (each its own admin login, so none looks like a clone), clones with lineage tags. */
function seedEstate(): EmulatorSnapshot {
  const servers: ReturnType<typeof armServer>[] = [];
  const firewallRules: EmulatorSnapshot['firewallRules'] = {};
  for (let i = 0; i < 8; i++) {
    const s = armServer({
      subscriptionId: i < 5 ? SUB1 : SUB2,
      resourceGroup: 'rg-prod',
      name: `pg-app${i}-prod`,
      administratorLogin: `app${i}`,
      tags: { Owner: `team${i}@contoso.com`, Environment: 'production' },
    });
    servers.push(s);
    firewallRules[s.id] = [
      armRule(s.id, 'office', '203.0.113.0', '203.0.113.255'),
      armRule(s.id, 'allow-all', '0.0.0.0', '255.255.255.255'),
    ];
  }
  for (let i = 0; i < 58; i++) {
    servers.push(
      armServer({
        subscriptionId: i % 2 ? SUB2 : SUB1,
        resourceGroup: 'rg-dev',
        name: `pg-dev-${i}`,
        administratorLogin: `dev${i}`,
        tags: { Team: `t${i % 5}` },
      }),
    );
  }
  for (let i = 0; i < 4; i++) {
    const source = servers[i]!;
    servers.push(
      armServer({
        resourceGroup: 'rg-prod',
        name: `pg-app${i}-old-restore`,
        administratorLogin: `app${i}`,
        createdAt: '2026-01-12T09:00:00Z',
        tags: {
          RestoredFrom: source.id,
          RestorePointUtc: '2026-01-12T08:00:00Z',
          Owner: 'alice@contoso.com',
          Incident: `INC-${i}`,
          ExpiresOn: '2099-01-01',
        },
      }),
    );
  }
  return { servers, firewallRules, locks: {} };
}

/** Restores, firewall rule writes (some open), Tags API merges, child rule deletes and server deletes, through the SDKs as a user. */
async function operate(emulator: Emulator, rnd: () => number, target: number): Promise<void> {
  const options = armClientOptions(emulator);
  const clients = new Map(
    [SUB1, SUB2].map((sub) => [
      sub,
      {
        pg: new PostgreSQLManagementFlexibleServerClient(emulator.credential, sub, options),
        tags: new ResourceManagementClient(emulator.credential, sub, options),
      },
    ]),
  );
  const pg = (sub: string) => clients.get(sub)!.pg;
  const tags = (sub: string) => clients.get(sub)!.tags;
  const poll = { updateIntervalInMs: 1 };
  const live = () =>
    emulator
      .snapshot()
      .servers.map((s) => ({ id: s.id, sub: s.id.split('/')[2]!, rg: s.id.split('/')[4]!, name: s.name }));
  const pick = <T>(items: readonly T[]) => items[Math.floor(rnd() * items.length)]!;

  for (let i = 0; i < 4; i++) {
    const source = live().find((s) => s.name === `pg-app${i * 2}-prod`)!;
    await pg(source.sub).servers.beginCreateOrUpdateAndWait(
      source.rg,
      `pg-app${i * 2}-restore`,
      {
        location: 'eastus',
        createMode: 'PointInTimeRestore',
        sourceServerResourceId: source.id,
        pointInTimeUTC: new Date(Date.now() - 3_600_000),
      },
      poll,
    );
  }
  for (const name of ['pg-dev-3', 'pg-dev-4', 'pg-app1-old-restore']) {
    const s = live().find((x) => x.name === name)!;
    await pg(s.sub).servers.beginDeleteAndWait(s.rg, s.name, poll);
  }
  // One at a time: a child delete picks a rule that exists at that moment.
  while (emulator.events.emitted().length < target) {
    const roll = rnd();
    const s = pick(live());
    const rules =
      Object.entries(emulator.snapshot().firewallRules ?? {}).find(
        ([id]) => id.toLowerCase() === s.id.toLowerCase(),
      )?.[1] ?? [];
    if (roll < 0.15 && rules.length > 0) {
      await pg(s.sub).firewallRules.beginDeleteAndWait(s.rg, s.name, pick(rules).name!, poll);
    } else if (roll < 0.6) {
      const n = Math.floor(rnd() * 250);
      const range =
        rnd() < 0.3
          ? { startIpAddress: '0.0.0.0', endIpAddress: '255.255.255.255' }
          : { startIpAddress: `198.51.100.${n}`, endIpAddress: `198.51.100.${n}` };
      await pg(s.sub).firewallRules.beginCreateOrUpdateAndWait(
        s.rg,
        s.name,
        `rule-${Math.floor(rnd() * 4)}`,
        range,
        poll,
      );
    } else {
      await tags(s.sub).tagsOperations.beginUpdateAtScopeAndWait(
        s.id.slice(1),
        {
          operation: 'Merge',
          properties: { tags: { [`Note${Math.floor(rnd() * 3)}`]: `v${Math.floor(rnd() * 100)}` } },
        },
        poll,
      );
    }
  }
}

interface ReplayResult {
  readonly rows: InventoryRecord[];
  readonly evidence: Map<string, EvidenceEntry[]>;
  readonly arm: EmulatorSnapshot;
  readonly writes: number;
}

/** One delivery run on a fresh emulator at state `state` and a fresh inventory holding `rows`: every message handled as the queue trigger would. */
async function replay(
  state: EmulatorSnapshot,
  rows: readonly InventoryRecord[],
  messages: readonly Record<string, unknown>[],
  at: Date,
): Promise<ReplayResult> {
  const emulator = await startEmulator({ snapshot: state });
  try {
    const stores = createMemoryStores();
    for (const row of rows) await stores.inventory.upsert(row);
    const d = deps(emulator, stores, fixedClock(at));
    // Up to 16 messages in flight, as the host's queue batch; work on one server stays in delivery order (KeyedQueue).
    const failures: unknown[] = [];
    await runLimited(
      messages.map((m) => async () => void (await handleEvents(parseQueueMessage(m), d))),
      16,
      (e) => failures.push(e),
    );
    expect(failures).toEqual([]);
    const finalRows = await stores.inventory.list();
    const evidence = new Map<string, EvidenceEntry[]>();
    for (const row of finalRows) evidence.set(row.key, await stores.evidence.list(row.key));
    const writes =
      emulator.requests.count({ method: 'PATCH' }) +
      emulator.requests.count({ method: 'DELETE' }) +
      emulator.requests.count({ method: 'PUT' });
    return { rows: finalRows, evidence, arm: emulator.snapshot(), writes };
  } finally {
    await emulator.close();
  }
}

/** What must not depend on delivery order: the row without its write time; evidence by content (ids name the triggering event). */
const comparableRow = ({ updatedAt: _u, ...row }: InventoryRecord) => row;
const evidenceContent = (e: EvidenceEntry) =>
  JSON.stringify({
    kind: e.kind,
    summary: e.summary,
    reason: e.reason,
    before: e.before,
    after: e.after,
    details: e.details,
  });
const armState = (s: EmulatorSnapshot) => ({
  servers: s.servers.map((x) => ({ id: x.id, tags: x.tags })),
  rules: s.firewallRules,
});

describe('replaying 1,000 events (30% duplicates) shuffled gives the inventory of in-order delivery', () => {
  let inOrder: ReplayResult;
  let shuffled: ReplayResult;
  let messages: Record<string, unknown>[];
  let primed: InventoryRecord[];

  beforeAll(async () => {
    const rnd = random(20261120);
    const emulator = await startEmulator({ snapshot: seedEstate() });
    try {
      // The inventory as the warden knew the estate before: one reconcile (its own writes are events of the corpus too).
      const before = createMemoryStores();
      await reconcile(deps(emulator, before, fixedClock(new Date())));
      primed = await before.inventory.list();
      await operate(emulator, rnd, 700);
      const unique = [...emulator.events.emitted()];
      const state = emulator.snapshot();
      // 300 extra copies of events drawn at random: at-least-once delivery.
      const copies = Array.from({ length: 300 }, () => Math.floor(rnd() * unique.length));
      const order = [...unique.keys(), ...copies].sort((a, b) => a - b);
      messages = order.map((i) => unique[i]!);
      const mixed = [...messages];
      for (let i = mixed.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [mixed[i], mixed[j]] = [mixed[j]!, mixed[i]!];
      }
      const at = new Date(Date.now() + 60_000);
      inOrder = await replay(state, primed, messages, at);
      shuffled = await replay(state, primed, mixed, at);
    } finally {
      await emulator.close();
    }
  });
  afterAll(() => undefined);

  it('the corpus is 1,000 deliveries over the estate, 30% of them duplicates', () => {
    expect(messages).toHaveLength(1000);
    expect(new Set(messages.map((m) => m.id)).size).toBe(700);
    const kinds = new Set(messages.map((m) => String((m.data as { operationName: string }).operationName)));
    expect([...kinds]).toEqual(
      expect.arrayContaining([
        'Microsoft.DBforPostgreSQL/flexibleServers/write',
        'Microsoft.DBforPostgreSQL/flexibleServers/delete',
        'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules/write',
        'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules/delete',
      ]),
    );
    expect(
      new Set(messages.map((m) => String(m.subject).split('/').slice(0, 9).join('/').toLowerCase())).size,
    ).toBeGreaterThan(60);
  });

  it('the same rows, the same ARM state, the same number of ARM writes', () => {
    expect(shuffled.rows.map(comparableRow)).toEqual(inOrder.rows.map(comparableRow));
    expect(armState(shuffled.arm)).toEqual(armState(inOrder.arm));
    expect(shuffled.writes).toBe(inOrder.writes);
    // The replay did govern: the four restores are clones with their open rules gone, deleted servers are recorded deleted.
    const byName = new Map(inOrder.rows.map((r) => [r.name, r]));
    for (const i of [0, 2, 4, 6])
      expect(byName.get(`pg-app${i}-restore`)).toMatchObject({ classification: 'clone', state: 'governed' });
    for (const name of ['pg-dev-3', 'pg-dev-4', 'pg-app1-old-restore']) expect(byName.get(name)?.state).toBe('deleted');
    expect(inOrder.rows.filter((r) => r.classification === 'not-a-clone')).toHaveLength(66);
  });

  it('no duplicate evidence: ids unique per server, each fact recorded once, the same facts in both orders', () => {
    for (const result of [inOrder, shuffled]) {
      for (const [key, entries] of result.evidence) {
        expect(new Set(entries.map((e) => e.id)).size, key).toBe(entries.length);
        const contents = entries.map(evidenceContent);
        expect(new Set(contents).size, key).toBe(contents.length);
      }
    }
    const facts = (r: ReplayResult) =>
      Object.fromEntries([...r.evidence].map(([k, entries]) => [k, entries.map(evidenceContent).sort()]));
    expect(facts(shuffled)).toEqual(facts(inOrder));
    expect(
      [...inOrder.evidence.values()].flat().filter((e) => e.kind === 'delete-firewall-rule').length,
    ).toBeGreaterThan(4);
  });
});
