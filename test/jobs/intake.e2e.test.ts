import type { PostgreSQLManagementFlexibleServerClient } from '@azure/arm-postgresql-flexible';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../../src/domain/policy.js';
import type { TableStores } from '../../src/adapters/azure/tables/tables.js';
import { serverKey } from '../../src/domain/ids.js';
import type { LocalHost } from '../../src/local/functionsHost.js';
import { SUB1, productionEstate } from '../support/estate.js';
import { startEventPipeline, type EventPipeline } from '../support/pipeline.js';
import type { TestStack } from '../support/stack.js';

describe('restore intake, end to end on the emulator and Azurite', () => {
  const { prod, snapshot } = productionEstate();
  let stack: TestStack;
  let host: LocalHost;
  let stores: TableStores;
  let pg: PostgreSQLManagementFlexibleServerClient;

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

  it('a PITR restore made through the SDK becomes a governed clone: classified, owned, tagged, firewall closed', async () => {
    await pipeline!.restore(prod.id, 'pg-orders-restore');
    const key = serverKey(
      `/subscriptions/${SUB1}/resourceGroups/rg-prod/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-orders-restore`,
    );

    await expect
      .poll(async () => (await stores.inventory.get(key))?.value.classification, { timeout: 20_000, interval: 50 })
      .toBe('clone');
    const row = (await stores.inventory.get(key))!.value;
    expect(row.owner).toBe('operator@contoso.com');
    expect(row.ownerSource).toBe('claims');
    expect(row.lineage.sourceServerId?.toLowerCase()).toBe(prod.id.toLowerCase());

    // What reached ARM: lineage and owner tags, the inherited open rule gone, the office rule kept, production untouched.
    await expect
      .poll(async () => (await pg.servers.get('rg-prod', 'pg-orders-restore')).tags?.RestoredFrom, { timeout: 20_000 })
      .toBeTruthy();
    const clone = await pg.servers.get('rg-prod', 'pg-orders-restore');
    expect(clone.tags?.Owner).toBe('operator@contoso.com');
    expect(clone.tags?.SourceOwner).toBe('orders-team@contoso.com');
    expect(clone.tags?.ExpiresOn).toMatch(/^\d{4}-\d{2}-\d{2}/);
    const rules = [];
    for await (const r of pg.firewallRules.listByServer('rg-prod', 'pg-orders-restore')) rules.push(r.name);
    expect(rules).toEqual(['office']);
    const prodRules = [];
    for await (const r of pg.firewallRules.listByServer('rg-prod', 'pg-orders-prod')) prodRules.push(r.name);
    expect(prodRules.sort()).toEqual(['allow-all', 'office']);
    expect((await pg.servers.get('rg-prod', 'pg-orders-prod')).tags).toEqual(prod.tags);

    const evidence = await stores.evidence.list(key);
    expect(evidence.map((e) => e.kind)).toEqual(expect.arrayContaining(['classified', 'tag', 'delete-firewall-rule']));
  });

  it('a redelivered event makes no further Azure writes and no new evidence', async () => {
    const key = serverKey(
      `/subscriptions/${SUB1}/resourceGroups/rg-prod/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-orders-restore`,
    );
    const before = (await stores.evidence.list(key)).length;
    const writesBefore =
      stack.emulator.requests.count({ method: 'PATCH' }) +
      stack.emulator.requests.count({ method: 'DELETE' }) +
      stack.emulator.requests.count({ method: 'PUT' });
    // Re-deliver every event the emulator queued so far.
    const { QueueServiceClient } = await import('@azure/storage-queue');
    const queue = QueueServiceClient.fromConnectionString(stack.azurite.connectionString).getQueueClient(
      'resource-events',
    );
    const sent = stack.emulator.events
      .emitted()
      .filter((e) => JSON.stringify(e).toLowerCase().includes('pg-orders-restore'));
    expect(sent.length).toBeGreaterThan(0);
    const invocationsBefore = host.invocations.length;
    for (const e of sent) await queue.sendMessage(Buffer.from(JSON.stringify(e)).toString('base64'));
    await expect
      .poll(() => host.invocations.length - invocationsBefore, { timeout: 20_000 })
      .toBeGreaterThanOrEqual(sent.length);
    const writesAfter =
      stack.emulator.requests.count({ method: 'PATCH' }) +
      stack.emulator.requests.count({ method: 'DELETE' }) +
      stack.emulator.requests.count({ method: 'PUT' });
    expect(writesAfter).toBe(writesBefore);
    expect((await stores.evidence.list(key)).length).toBe(before);
  });
});
