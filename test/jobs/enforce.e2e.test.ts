import type { PostgreSQLManagementFlexibleServerClient } from '@azure/arm-postgresql-flexible';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TableStores } from '../../src/adapters/azure/tables/tables.js';
import { serverKey } from '../../src/domain/ids.js';
import { DEFAULT_RULES } from '../../src/domain/policy.js';
import type { LocalHost } from '../../src/local/functionsHost.js';
import { SUB1, productionEstate } from '../support/estate.js';
import { startEventPipeline, type EventPipeline } from '../support/pipeline.js';
import type { TestStack } from '../support/stack.js';

const CLONE_ID = `/subscriptions/${SUB1}/resourceGroups/rg-prod/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-orders-restore`;

/** Enforce mode, end to end: SDK call -> emulator event -> queue -> onResourceEvent -> ARM writes and Table rows. */
describe('policy on clones, enforced through the event path', () => {
  const { prod, snapshot } = productionEstate();
  let stack: TestStack;
  let host: LocalHost;
  let stores: TableStores;
  let pg: PostgreSQLManagementFlexibleServerClient;
  const key = serverKey(CLONE_ID);
  /** Messages queued by the tests themselves (redeliveries), on top of the emulator's events. */
  let redelivered = 0;

  let pipeline: EventPipeline | undefined;

  beforeAll(async () => {
    pipeline = await startEventPipeline({
      snapshot,
      rules: DEFAULT_RULES.map((r) =>
        r.type === 'network-firewall' ? { ...r, allowedRanges: ['203.0.113.0/24'] } : r,
      ),
    });
    ({ stack, host, stores, pg } = pipeline);
  });
  afterAll(async () => pipeline?.close());

  const rulesOf = async (name: string) => {
    const names: string[] = [];
    for await (const r of pg.firewallRules.listByServer('rg-prod', name))
      names.push(`${r.name}:${r.startIpAddress}-${r.endIpAddress}`);
    return names.sort();
  };
  const writes = () =>
    stack.emulator.requests
      .entries()
      .filter((r) => ['PUT', 'PATCH', 'DELETE', 'POST'].includes(r.method) && !r.path.includes('/_emulator'));

  it('a PITR restore of a public production server ends with lineage and owner tags, the open rule deleted, evidence before/after', async () => {
    await pipeline!.restore(prod.id, 'pg-orders-restore');
    await pipeline!.settled(redelivered);

    const clone = await pg.servers.get('rg-prod', 'pg-orders-restore');
    expect(clone.tags).toMatchObject({
      Owner: 'operator@contoso.com',
      SourceOwner: 'orders-team@contoso.com',
      RestoredFrom: prod.id,
      RestoredBy: 'operator@contoso.com',
      Environment: 'production',
    });
    expect(clone.tags?.RestorePointUtc).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(clone.tags?.ExpiresOn).toMatch(/^\d{4}-\d{2}-\d{2}/);
    expect(await rulesOf('pg-orders-restore')).toEqual(['office:203.0.113.0-203.0.113.255']);

    const row = (await stores.inventory.get(key))!.value;
    expect(row).toMatchObject({
      classification: 'clone',
      owner: 'operator@contoso.com',
      ownerSource: 'claims',
      state: 'governed',
    });
    const evidence = await stores.evidence.list(key);
    const tag = evidence.find((e) => e.kind === 'tag');
    expect(tag?.before).toMatchObject({ Owner: 'orders-team@contoso.com', RestoredFrom: null });
    expect(tag?.after).toMatchObject({
      Owner: 'operator@contoso.com',
      SourceOwner: 'orders-team@contoso.com',
      RestoredFrom: prod.id,
    });
    const deleted = evidence.filter((e) => e.kind === 'delete-firewall-rule');
    expect(deleted).toHaveLength(1);
    expect(deleted[0]).toMatchObject({
      before: { name: 'allow-all', startIpAddress: '0.0.0.0', endIpAddress: '255.255.255.255' },
      after: { rule: 'allow-all', deleted: true },
    });
    expect(evidence.filter((e) => e.kind === 'violation').map((e) => e.summary)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^network-firewall: .*allow-all/)]),
    );
    expect(await rulesOf('pg-orders-prod')).toEqual([
      'allow-all:0.0.0.0-255.255.255.255',
      'office:203.0.113.0-203.0.113.255',
    ]);
  });

  it('a second delivery of the same event makes no further Azure writes and no new evidence', async () => {
    const restoreEvent = stack.emulator.events
      .emitted()
      .find(
        (e) =>
          String(e.subject).toLowerCase() === key &&
          (e.data as { operationName?: string }).operationName === 'Microsoft.DBforPostgreSQL/flexibleServers/write',
      );
    expect(restoreEvent).toBeDefined();
    const before = {
      writes: writes().length,
      evidence: (await stores.evidence.list(key)).length,
      invocations: host.invocations.length,
    };
    const { QueueClient } = await import('@azure/storage-queue');
    await new QueueClient(stack.azurite.connectionString, 'resource-events').sendMessage(
      Buffer.from(JSON.stringify(restoreEvent)).toString('base64'),
    );
    redelivered++;
    await expect.poll(() => host.invocations.length, { timeout: 5_000, interval: 20 }).toBe(before.invocations + 1);
    expect(host.invocations.at(-1)?.outcome).toBe('succeeded');
    expect(writes().length).toBe(before.writes);
    expect((await stores.evidence.list(key)).length).toBe(before.evidence);
  });

  it('re-opening the firewall of a governed clone is undone on its event', async () => {
    const evidenceBefore = (await stores.evidence.list(key)).length;
    await pg.firewallRules.beginCreateOrUpdateAndWait(
      'rg-prod',
      'pg-orders-restore',
      'reopened',
      { startIpAddress: '0.0.0.0', endIpAddress: '255.255.255.255' },
      { updateIntervalInMs: 5 },
    );
    await pipeline!.settled(redelivered);
    expect(await rulesOf('pg-orders-restore')).toEqual(['office:203.0.113.0-203.0.113.255']);
    const undone = writes().filter(
      (r) => r.method === 'DELETE' && r.path.toLowerCase().endsWith('/firewallrules/reopened'),
    );
    expect(undone).toHaveLength(1);
    const evidence = (await stores.evidence.list(key)).slice(evidenceBefore);
    expect(evidence.map((e) => e.kind).sort()).toEqual(['delete-firewall-rule', 'violation']);
    expect(evidence.find((e) => e.kind === 'delete-firewall-rule')?.before).toEqual({
      name: 'reopened',
      startIpAddress: '0.0.0.0',
      endIpAddress: '255.255.255.255',
    });
    expect((await stores.inventory.get(key))!.value).toMatchObject({ state: 'governed' });
  });

  it("never touches a production server's firewall rules, also when one of them changes and its event is delivered", async () => {
    await pg.firewallRules.beginCreateOrUpdateAndWait(
      'rg-prod',
      'pg-orders-prod',
      'vendor',
      { startIpAddress: '0.0.0.0', endIpAddress: '255.255.255.255' },
      { updateIntervalInMs: 5 },
    );
    await pipeline!.settled(redelivered);
    expect(await rulesOf('pg-orders-prod')).toEqual([
      'allow-all:0.0.0.0-255.255.255.255',
      'office:203.0.113.0-203.0.113.255',
      'vendor:0.0.0.0-255.255.255.255',
    ]);
    const prodPath = prod.id.toLowerCase();
    const wardenOnProd = writes().filter((r) => r.path.toLowerCase().startsWith(prodPath) && r.method !== 'PUT');
    expect(wardenOnProd).toEqual([]);
    expect((await pg.servers.get('rg-prod', 'pg-orders-prod')).tags).toEqual(prod.tags);
    const row = (await stores.inventory.get(serverKey(prod.id)))!.value;
    expect(row).toMatchObject({ classification: 'not-a-clone', state: 'listed', violations: [] });
    expect((await stores.evidence.list(serverKey(prod.id))).map((e) => e.kind)).toEqual(['classified']);
  });
});
