import { PostgreSQLManagementFlexibleServerClient } from '@azure/arm-postgresql-flexible';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { serverKey } from '../../src/domain/ids.js';
import { DEFAULT_RULES } from '../../src/domain/policy.js';
import { reconcile } from '../../src/jobs/reconcile.js';
import { armClientOptions } from '../../src/local/emulator/index.js';
import { build, type Wired } from '../../src/wiring.js';
import { SUB1, armRule, armServer } from '../support/estate.js';
import { policyFile } from '../support/pipeline.js';
import { startStack, type TestStack } from '../support/stack.js';
import { withRestoreLog } from '../support/restoreLog.js';

const ALLOWED_SUBNET = `/subscriptions/${SUB1}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-restore/subnets/clones`;
const PROD_SUBNET = `/subscriptions/${SUB1}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-prod/subnets/db`;
const lineage = (source: { id: string }) => ({
  RestoredFrom: source.id,
  RestorePointUtc: '2026-11-20T08:00:00Z',
  Owner: 'alice@contoso.com',
  Incident: 'INC-9',
});

/**
 * Network remediation that ARM allows (public access off) and quarantine where it cannot remediate (a VNet clone in a
 * subnet the policy does not allow is stopped), both seen in the emulator, the inventory and the evidence.
 */
describe('network policy: disable public access, quarantine what cannot be fixed', () => {
  const prodPublic = armServer({ name: 'pg-pay-prod', createdAt: '2026-01-01T00:00:00Z' });
  const prodVnet = armServer({ name: 'pg-hr-prod', subnetId: PROD_SUBNET, createdAt: '2026-01-01T00:00:00Z' });
  const publicClone = armServer({ name: 'pg-pay-fix', createdAt: '2026-11-20T09:00:00Z', tags: lineage(prodPublic) });
  const vnetClone = armServer({
    name: 'pg-hr-fix',
    subnetId: PROD_SUBNET,
    createdAt: '2026-11-20T09:00:00Z',
    tags: lineage(prodVnet),
  });
  let stack: TestStack;
  let deps: Wired;
  let pg: PostgreSQLManagementFlexibleServerClient;

  beforeAll(async () => {
    // The built-in rules know no subnets; a site adds its own subnet rule.
    const rules = [
      ...DEFAULT_RULES.map((r) => (r.type === 'network-firewall' ? { ...r, publicAccess: 'disabled' } : r)),
      { type: 'network-subnet', mode: 'enforce', allowedSubnets: [ALLOWED_SUBNET], quarantine: true },
    ];
    stack = await startStack({
      snapshot: withRestoreLog({
        servers: [prodPublic, prodVnet, publicClone, vnetClone],
        firewallRules: { [publicClone.id]: [armRule(publicClone.id, 'office', '203.0.113.0', '203.0.113.255')] },
        locks: {},
      }),
      settings: { POLICY_PATH: policyFile(rules) },
    });
    deps = await build(loadConfig(stack.settings));
    pg = new PostgreSQLManagementFlexibleServerClient(
      stack.emulator.credential,
      SUB1,
      armClientOptions(stack.emulator),
    );
    await reconcile(deps);
  });
  afterAll(async () => stack?.close());

  it('turns public access off on a public clone and removes its rules; production stays as it was', async () => {
    const clone = await pg.servers.get('rg-prod', 'pg-pay-fix');
    expect(clone.network?.publicNetworkAccess).toBe('Disabled');
    expect((await pg.servers.get('rg-prod', 'pg-pay-prod')).network?.publicNetworkAccess).toBe('Enabled');
    const evidence = await deps.evidence.list(serverKey(publicClone.id));
    expect(evidence.map((e) => e.kind)).toContain('disable-public-access');
  });

  it('stops a VNet clone outside the allowed subnets and records it quarantined; the production server keeps running', async () => {
    expect((await pg.servers.get('rg-prod', 'pg-hr-fix')).state).toBe('Stopped');
    expect((await pg.servers.get('rg-prod', 'pg-hr-prod')).state).toBe('Ready');
    const row = (await deps.inventory.get(serverKey(vnetClone.id)))!.value;
    expect(row.state).toBe('quarantined');
    expect(row.violations.map((v) => v.rule)).toContain('network-subnet');
    const stop = (await deps.evidence.list(serverKey(vnetClone.id))).find((e) => e.kind === 'stop-server');
    expect(stop?.before).toEqual({ state: 'Ready' });
    expect(stop?.after).toEqual({ state: 'Stopped' });
  });

  it('a second pass stops nothing again', async () => {
    const before = stack.emulator.requests.count({ method: 'POST' });
    await reconcile(deps);
    expect(stack.emulator.requests.count({ method: 'POST' })).toBe(before);
  });
});
