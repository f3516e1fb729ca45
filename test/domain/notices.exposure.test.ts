import { describe, expect, it } from 'vitest';
import { loadTemplates } from '../../src/adapters/noticeTemplates.js';
import { fromInventoryEntity, toInventoryEntity } from '../../src/adapters/azure/tables/inventoryEntity.js';
import type { Exposure } from '../../src/domain/model.js';
import { buildDigests, renderDigest } from '../../src/domain/notices/index.js';
import { recordFromPlan } from '../../src/domain/record.js';
import { buildPlan } from '../../src/domain/plan.js';
import { DEFAULT_POLICY } from '../../src/domain/policy.js';
import { serverFromArm, withLogicalServer } from '../../src/domain/snapshot.js';
import { item, NOW, record, SUB_A } from './notices.fixtures.js';

const LOGICAL = `/subscriptions/${SUB_A}/resourceGroups/rg-shop/providers/Microsoft.Sql/servers/sql-shop`;
const COPY = `${LOGICAL}/databases/shop-fix`;

/** A compliant SQL copy: no violation at all, so nothing but the exposure lines speaks of the logical server. */
function sqlCopy(exposure: Exposure) {
  return record('shop-fix', {
    id: COPY,
    key: COPY.toLowerCase(),
    engine: 'sql-database',
    resourceGroup: 'rg-shop',
    location: 'westeurope',
    skuName: 'S0',
    skuTier: 'Standard',
    storageSizeGb: 250,
    violations: [],
    compliant: true,
    exposure,
  });
}

async function render(r: ReturnType<typeof record>) {
  const [digest] = buildDigests([item(r, { stage: 'new-clone' })], { now: NOW });
  return renderDigest(digest!, await loadTemplates());
}

describe("owner notices report a SQL copy's exposure through its logical server, violations or not", () => {
  it('names the logical server, its public access and each firewall rule, and says why the warden leaves it alone', async () => {
    const mail = await render(
      sqlCopy({
        via: 'logical server',
        parentId: LOGICAL,
        publicNetworkAccess: 'Enabled',
        firewallRules: [
          { name: 'office', startIpAddress: '203.0.113.0', endIpAddress: '203.0.113.255' },
          { name: 'AllowAllWindowsAzureIps', startIpAddress: '0.0.0.0', endIpAddress: '0.0.0.0' },
        ],
      }),
    );
    expect(mail.plainText).toContain(
      [
        '  Network:          through logical server sql-shop, shared with production: public network access Enabled',
        '                    - firewall rule office 203.0.113.0-203.0.113.255',
        '                    - firewall rule AllowAllWindowsAzureIps 0.0.0.0-0.0.0.0: allows every Azure service (0.0.0.0-0.0.0.0), including other tenants',
        '                    reported, never changed: pitr-warden never modifies a logical server, which is shared with production; only its owners can restrict it',
      ].join('\n'),
    );
    expect(mail.plainText).not.toContain('To fix:');
    expect(mail.html).toContain(
      'through logical server sql-shop, shared with production: public network access Enabled',
    );
    expect(mail.html).toContain('<li>firewall rule office 203.0.113.0-203.0.113.255</li>');
  });

  it('a closed logical server still gets its line: public access Disabled, no firewall rules', async () => {
    const mail = await render(
      sqlCopy({ via: 'logical server', parentId: LOGICAL, publicNetworkAccess: 'Disabled', firewallRules: [] }),
    );
    expect(mail.plainText).toMatch(
      /Network: {10}through logical server sql-shop, shared with production: public network access Disabled\n {20}- no firewall rules\n {20}reported, never changed/,
    );
  });

  it('a flexible server has no such line: it owns its network', async () => {
    const mail = await render(record('pg-orders-fix'));
    expect(mail.plainText).not.toContain('Network:');
    expect(mail.html).not.toContain('>Network<');
  });

  it('the row keeps the exposure (Table Storage too); a listing without firewall rules keeps those last read', () => {
    const db = {
      id: COPY,
      name: 'shop-fix',
      location: 'westeurope',
      tags: { Owner: 'ana@contoso.com', ExpiresOn: '2026-11-27' },
      properties: { status: 'Online', creationDate: '2026-11-20T00:00:00Z' },
    };
    const read = {
      ...serverFromArm(withLogicalServer(db, { publicNetworkAccess: 'Enabled' })),
      firewallRules: [{ name: 'office', startIpAddress: '203.0.113.0', endIpAddress: '203.0.113.255' }],
      locks: [],
    };
    const at = NOW.toISOString();
    const first = recordFromPlan({
      server: read,
      plan: buildPlan({
        now: NOW,
        policy: DEFAULT_POLICY,
        servers: [read],
        inventory: [],
        settings: { fallbackMailbox: 'dba@contoso.com', allowedRecipientDomains: ['contoso.com'] },
      }).servers[0]!,
      previous: undefined,
      now: at,
      observedAt: at,
    });
    expect(first.exposure).toEqual({
      via: 'logical server',
      parentId: LOGICAL,
      publicNetworkAccess: 'Enabled',
      firewallRules: read.firewallRules,
    });
    expect(fromInventoryEntity(toInventoryEntity(first)).exposure).toEqual(first.exposure);
    // A later listing (no rules read) sees public access closed: the rules stay as last read.
    const listed = serverFromArm(withLogicalServer(db, { publicNetworkAccess: 'Disabled' }));
    const plan = buildPlan({
      now: NOW,
      policy: DEFAULT_POLICY,
      servers: [listed],
      inventory: [first],
      settings: { fallbackMailbox: 'dba@contoso.com', allowedRecipientDomains: ['contoso.com'] },
    }).servers[0]!;
    expect(recordFromPlan({ server: listed, plan, previous: first, now: at, observedAt: at }).exposure).toEqual({
      via: 'logical server',
      parentId: LOGICAL,
      publicNetworkAccess: 'Disabled',
      firewallRules: read.firewallRules,
    });
  });
});
