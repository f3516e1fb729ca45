import { describe, expect, it } from 'vitest';
import { resourceIdOf } from '../../src/domain/ids.js';
import type { FirewallRule, RestoreEvidence, Server } from '../../src/domain/model.js';
import { buildPlan, isModifying } from '../../src/domain/plan.js';
import { parsePolicy } from '../../src/domain/policy.js';
import { serverFromArm } from '../../src/domain/snapshot.js';
import { sample } from '../fixtures/events/load.js';

const SUB = '00000000-0000-4000-8000-000000000001';
const NOW = new Date('2026-11-20T12:00:00Z');
const SETTINGS = { fallbackMailbox: 'dba-team@contoso.com', allowedRecipientDomains: ['contoso.com'] };
const OFFICE: FirewallRule = { name: 'office', startIpAddress: '203.0.113.0', endIpAddress: '203.0.113.255' };
const AZURE: FirewallRule = { name: 'AllowAllWindowsAzureIps', startIpAddress: '0.0.0.0', endIpAddress: '0.0.0.0' };
const PITR = sample('sql-2022-08-01-preview/CreateDatabasePITRMode.json') as {
  responses: Record<string, { body: Record<string, unknown> }>;
};

/** Microsoft's PITR database example as another database of the logical server sql-shop, seen with the server's exposure. */
function database(name: string, o: { tags?: Record<string, string>; createdAt?: string } = {}): Server {
  const body = PITR.responses['200']!.body as { properties: Record<string, unknown> };
  const id = resourceIdOf('sql-database', SUB, 'rg-shop', ['sql-shop', name]);
  const db = {
    ...body,
    id,
    name,
    tags: o.tags ?? {},
    properties: {
      ...body.properties,
      creationDate: o.createdAt ?? '2026-01-10T08:00:00Z',
      network: { publicNetworkAccess: 'Enabled' },
    },
  };
  return serverFromArm(db, { firewallRules: [OFFICE, AZURE], locks: [] });
}

const PROD_TAGS = { Owner: 'shop-team@contoso.com', Environment: 'production' };
const prod = database('shop', { tags: PROD_TAGS });
const copy = database('shop-fix', { createdAt: '2026-11-20T09:05:00Z' });
const restore: RestoreEvidence = {
  key: 'evt-shop-fix',
  serverId: copy.id,
  createMode: 'PointInTimeRestore',
  sourceServerId: prod.id,
  pointInTimeUtc: '2026-11-20T08:00:00.000Z',
  actor: { type: 'user', upn: 'alice@contoso.com' },
  at: '2026-11-20T09:00:00.000Z',
  operationName: 'Microsoft.Sql/servers/databases/write',
  status: 'Started',
};

describe('the plan of a SQL database copy', () => {
  const plan = buildPlan({
    now: NOW,
    policy: parsePolicy({}),
    servers: [prod, copy],
    inventory: [],
    restoreEvidence: [restore],
    settings: SETTINGS,
  });
  const ofCopy = plan.servers.find((s) => s.name === 'shop-fix')!;
  const ofProd = plan.servers.find((s) => s.name === 'shop')!;

  it('tags the proven copy on the database (lineage, owner from claims, expiry) and notifies its owner', () => {
    expect(ofCopy).toMatchObject({
      engine: 'sql-database',
      classification: 'clone',
      proof: { level: 'proven', basis: 'activity-log' },
      owner: 'alice@contoso.com',
    });
    expect(ofCopy.actions.find((a) => a.type === 'tag')).toMatchObject({
      set: {
        RestoredFrom: prod.id,
        RestorePointUtc: '2026-11-20T08:00:00.000Z',
        Owner: 'alice@contoso.com',
        ExpiresOn: expect.any(String),
      },
    });
    expect(ofCopy.actions).toContainEqual(
      expect.objectContaining({ type: 'notify', stage: 'new-clone', to: 'alice@contoso.com' }),
    );
  });

  it('reports the logical server exposure and never plans a network change, saying why', () => {
    expect(ofCopy.exposure).toEqual({
      via: 'logical server',
      parentId: `/subscriptions/${SUB}/resourceGroups/rg-shop/providers/Microsoft.Sql/servers/sql-shop`,
      publicNetworkAccess: 'Enabled',
      firewallRules: [OFFICE, AZURE],
    });
    expect(ofCopy.violations.filter((v) => v.rule === 'network-firewall').map((v) => v.detail)).toEqual([
      'firewall rule "AllowAllWindowsAzureIps" allows every Azure service (0.0.0.0-0.0.0.0), including other tenants (on logical server sql-shop, shared with production: reported, never changed)',
      'firewall rule "office" opens 203.0.113.0-203.0.113.255 (256 addresses), and no range is allowed (on logical server sql-shop, shared with production: reported, never changed)',
    ]);
    const types = ofCopy.actions.map((a) => a.type);
    expect(types).not.toContain('delete-firewall-rule');
    expect(types).not.toContain('disable-public-access');
    expect(types).not.toContain('stop-server');
    expect(ofCopy.actions).toContainEqual({
      type: 'skip',
      reason: 'network-report-only',
      detail:
        'delete firewall rule "office" (203.0.113.0-203.0.113.255): the network of a SQL database belongs to its logical server, shared with production: reported, never changed',
    });
    expect(ofCopy.actions).toContainEqual(
      expect.objectContaining({
        type: 'notify',
        stage: 'noncompliant',
        reason: expect.stringContaining('logical server sql-shop, which the warden never changes'),
      }),
    );
  });

  it('the production database of the same logical server gets no modifying action', () => {
    expect(ofProd).toMatchObject({ classification: 'not-a-clone' });
    expect(ofProd.actions.filter(isModifying)).toEqual([]);
  });

  it('once expired, noticed and past grace, the only action is the deletion of the database', () => {
    const expired = {
      ...copy,
      tags: {
        Owner: 'alice@contoso.com',
        Incident: 'INC-1',
        ExpiresOn: '2026-11-25',
        RestoredFrom: prod.id,
        RestorePointUtc: '2026-11-20T08:00:00.000Z',
      },
    };
    const later = new Date('2026-11-29T12:00:00Z');
    const sent = [
      { server: copy.id, stage: 'new-clone' as const, sentAt: '2026-11-20T12:00:00Z' },
      { server: copy.id, stage: 'final-notice' as const, sentAt: '2026-11-25T12:00:00Z' },
    ];
    const after = buildPlan({
      now: later,
      policy: parsePolicy({}),
      servers: [prod, expired],
      inventory: [],
      restoreEvidence: [restore],
      noticesSent: sent,
      settings: SETTINGS,
    });
    expect(after.servers.find((s) => s.name === 'shop-fix')!.actions).toEqual([
      expect.objectContaining({ type: 'delete-server' }),
    ]);
    expect(after.servers.find((s) => s.name === 'shop')!.actions.filter(isModifying)).toEqual([]);
  });
});
