import type { PostgreSQLManagementFlexibleServerClient } from '@azure/arm-postgresql-flexible';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TableStores } from '../../src/adapters/azure/tables/tables.js';
import { serverKey } from '../../src/domain/ids.js';
import { DEFAULT_RULES } from '../../src/domain/policy.js';
import type { LocalHost } from '../../src/local/functionsHost.js';
import { SUB1, productionEstate } from '../support/estate.js';
import { startEventPipeline, type EventPipeline } from '../support/pipeline.js';
import type { TestStack } from '../support/stack.js';

/** The same restore as enforce.e2e, with every rule in dry-run mode: the warden reports and never writes to ARM. */
describe('policy in dry-run mode, through the event path', () => {
  const { prod, snapshot } = productionEstate();
  let stack: TestStack;
  let host: LocalHost;
  let stores: TableStores;
  let pg: PostgreSQLManagementFlexibleServerClient;

  let pipeline: EventPipeline | undefined;

  beforeAll(async () => {
    pipeline = await startEventPipeline({ snapshot, rules: DEFAULT_RULES.map((r) => ({ ...r, mode: 'dry-run' })) });
    ({ stack, host, stores, pg } = pipeline);
  });
  afterAll(async () => pipeline?.close());

  it('only reports: violations in the row and the evidence, and no PATCH or DELETE reaches ARM', async () => {
    await pipeline!.restore(prod.id, 'pg-orders-restore');
    await stack.emulator.events.flushed();
    const emitted = stack.emulator.events.emitted().length;
    expect(emitted).toBe(1);
    await expect.poll(() => host.invocations.length, { timeout: 20_000, interval: 20 }).toBe(emitted);
    expect(host.invocations[0]?.outcome).toBe('succeeded');

    const key = serverKey(
      `/subscriptions/${SUB1}/resourceGroups/rg-prod/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-orders-restore`,
    );
    const row = (await stores.inventory.get(key))!.value;
    expect(row).toMatchObject({ classification: 'clone', compliant: false, state: 'detected' });
    expect(row.violations.map((v) => v.rule)).toEqual(expect.arrayContaining(['required-tags', 'network-firewall']));
    expect(row.violations.find((v) => v.rule === 'network-firewall')?.detail).toMatch(/allow-all/);

    const evidence = await stores.evidence.list(key);
    expect(evidence.map((e) => e.kind).sort()).toEqual(['classified', ...row.violations.map(() => 'violation')].sort());
    const reported = evidence
      .filter((e) => e.kind === 'violation')
      .map((e) => e.details as { rule: string; detail: string });
    expect(reported.map((v) => `${v.rule}: ${v.detail}`).sort()).toEqual(
      row.violations.map((v) => `${v.rule}: ${v.detail}`).sort(),
    );

    // The only write ARM saw is the user's restore; the clone still carries what it inherited.
    expect(stack.emulator.requests.count({ method: 'PATCH' })).toBe(0);
    expect(stack.emulator.requests.count({ method: 'DELETE' })).toBe(0);
    expect(
      stack.emulator.requests
        .entries()
        .filter((r) => r.method === 'PUT')
        .map((r) => r.operation),
    ).toEqual(['Servers_Create']);
    const clone = await pg.servers.get('rg-prod', 'pg-orders-restore');
    expect(clone.tags).toEqual(prod.tags);
    const rules: string[] = [];
    for await (const r of pg.firewallRules.listByServer('rg-prod', 'pg-orders-restore')) rules.push(r.name!);
    expect(rules.sort()).toEqual(['allow-all', 'office']);
  });
});
