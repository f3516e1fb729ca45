import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { serverId } from '../../src/domain/ids.js';
import type { FirewallRule, RestoreEvidence, Server } from '../../src/domain/model.js';
import { buildPlan, networkActionsFor } from '../../src/domain/plan.js';
import { DEFAULT_RULES, parsePolicy, validatePolicy } from '../../src/domain/policy.js';
import { serverFromArm } from '../../src/domain/snapshot.js';

const SUB = '00000000-0000-4000-8000-000000000001';
const NOW = new Date('2026-11-20T12:00:00Z');
const SETTINGS = { fallbackMailbox: 'dba-team@contoso.com', allowedRecipientDomains: ['contoso.com'] };
const OPEN: FirewallRule = { name: 'AllowAll', startIpAddress: '0.0.0.0', endIpAddress: '255.255.255.255' };

/** Microsoft's MySQL ServerGet example (api 2024-12-30) with the given id, tags and creation time. */
function mysqlServer(
  name: string,
  o: { tags?: Record<string, string>; createdAt?: string; rules?: FirewallRule[] } = {},
): Server {
  const example = JSON.parse(
    readFileSync(
      fileURLToPath(new URL('../fixtures/azure-samples/mysql-2024-12-30/ServerGet.json', import.meta.url)),
      'utf8',
    ),
  ) as {
    responses: { '200': { body: Record<string, unknown> } };
  };
  const body = {
    ...example.responses['200'].body,
    id: serverId(SUB, 'rg-shop', name, 'mysql-flexible'),
    name,
    tags: o.tags ?? {},
    systemData: { createdAt: o.createdAt ?? '2026-01-10T08:00:00Z' },
  };
  return serverFromArm(body, { firewallRules: o.rules ?? [], locks: [] });
}

function pgServer(name: string, rules: FirewallRule[]): Server {
  return serverFromArm(
    {
      id: serverId(SUB, 'rg-shop', name),
      location: 'westeurope',
      tags: {},
      properties: { network: { publicNetworkAccess: 'Enabled' } },
    },
    { firewallRules: rules, locks: [] },
  );
}

function restoreOf(target: Server, source: Server): RestoreEvidence {
  return {
    key: `evt-${target.name}`,
    serverId: target.id,
    createMode: 'PointInTimeRestore',
    sourceServerId: source.id,
    pointInTimeUtc: '2026-11-20T08:00:00.000Z',
    actor: { type: 'user', upn: 'alice@contoso.com' },
    at: '2026-11-20T09:00:00.000Z',
    operationName: 'Microsoft.DBforMySQL/flexibleServers/write',
    status: 'Started',
  };
}

const PROD_TAGS = { Owner: 'shop-team@contoso.com', Environment: 'production' };
const prod = mysqlServer('mysql-shop-prod', { tags: PROD_TAGS, rules: [OPEN] });
const clone = mysqlServer('mysql-shop-restore', { tags: PROD_TAGS, createdAt: '2026-11-20T09:05:00Z', rules: [OPEN] });

describe('the plan per engine', () => {
  it('a proven MySQL clone is tagged and its open rule deleted; the MySQL production server is not touched', () => {
    const plan = buildPlan({
      now: NOW,
      policy: parsePolicy({}),
      servers: [prod, clone],
      inventory: [],
      restoreEvidence: [restoreOf(clone, prod)],
      settings: SETTINGS,
    });
    const [ofClone, ofProd] = [
      plan.servers.find((s) => s.name === 'mysql-shop-restore')!,
      plan.servers.find((s) => s.name === 'mysql-shop-prod')!,
    ];
    expect(ofClone).toMatchObject({ engine: 'mysql-flexible', classification: 'clone', owner: 'alice@contoso.com' });
    expect(ofClone.actions.map((a) => a.type)).toEqual(
      expect.arrayContaining(['tag', 'delete-firewall-rule', 'notify']),
    );
    expect(ofClone.actions.find((a) => a.type === 'tag')).toMatchObject({
      set: { RestoredFrom: prod.id, RestorePointUtc: '2026-11-20T08:00:00.000Z', SourceOwner: 'shop-team@contoso.com' },
    });
    expect(ofProd).toMatchObject({
      engine: 'mysql-flexible',
      classification: 'not-a-clone',
      actions: [{ type: 'skip', reason: 'not-a-clone' }],
    });
  });

  it('a rule scoped to PostgreSQL leaves MySQL clones alone, and the reverse', () => {
    const pgProd = pgServer('pg-shop-prod', [OPEN]);
    const pgClone = { ...pgServer('pg-shop-restore', [OPEN]), createdAt: '2026-11-20T09:05:00Z' };
    const pgRestore = {
      ...restoreOf(pgClone, pgProd),
      operationName: 'Microsoft.DBforPostgreSQL/flexibleServers/write',
    };
    const rules = DEFAULT_RULES.map((r) =>
      r.type === 'network-firewall' ? { ...r, engines: ['postgresql-flexible'] } : r,
    );
    const policy = parsePolicy({
      rules: [...rules, { type: 'network-firewall', mode: 'dry-run', engines: ['mysql-flexible'] }],
    });
    const plan = buildPlan({
      now: NOW,
      policy,
      servers: [prod, clone, pgProd, pgClone],
      inventory: [],
      restoreEvidence: [restoreOf(clone, prod), pgRestore],
      settings: SETTINGS,
    });
    const actionsOf = (name: string) => plan.servers.find((s) => s.name === name)!.actions;
    expect(actionsOf('pg-shop-restore').some((a) => a.type === 'delete-firewall-rule')).toBe(true);
    expect(actionsOf('mysql-shop-restore').some((a) => a.type === 'delete-firewall-rule')).toBe(false);
    expect(actionsOf('mysql-shop-restore')).toContainEqual({
      type: 'skip',
      reason: 'dry-run',
      detail: 'network-firewall: would delete firewall rule "AllowAll" (0.0.0.0-255.255.255.255)',
    });
  });

  it('an engine whose network is report-only gets skips that say why, never a network change', () => {
    const actions = networkActionsFor(
      [
        {
          type: 'delete-firewall-rule',
          rule: 'AllowAll',
          startIpAddress: '0.0.0.0',
          endIpAddress: '255.255.255.255',
          reason: 'open',
        },
        { type: 'disable-public-access', reason: 'policy' },
        { type: 'skip', reason: 'firewall-rules-not-read' },
      ],
      { label: 'SQL database', parent: { label: 'logical server' }, networkActions: [] },
    );
    expect(actions).toEqual([
      {
        type: 'skip',
        reason: 'network-report-only',
        detail:
          'delete firewall rule "AllowAll" (0.0.0.0-255.255.255.255): the network of a SQL database belongs to its logical server, shared with production: reported, never changed',
      },
      {
        type: 'skip',
        reason: 'network-report-only',
        detail:
          'disable public network access: the network of a SQL database belongs to its logical server, shared with production: reported, never changed',
      },
      { type: 'skip', reason: 'firewall-rules-not-read' },
    ]);
  });
});

describe('policy rules scoped to engines', () => {
  it('allows one rule of a type per engine, and names the engine of an overlap', () => {
    expect(
      validatePolicy({
        rules: [
          { type: 'sweep', mode: 'enforce', engines: ['postgresql-flexible'] },
          { type: 'sweep', mode: 'dry-run', engines: ['mysql-flexible'] },
        ],
      }).ok,
    ).toBe(true);
    expect(
      validatePolicy({
        rules: [
          { type: 'sweep', mode: 'enforce' },
          { type: 'sweep', mode: 'dry-run', engines: ['mysql-flexible'] },
        ],
      }),
    ).toEqual({
      ok: false,
      problems: [
        'rules[1] (sweep).type: duplicate rule type for engine mysql-flexible; already given at rules[0] (scope rules to engines with "engines")',
      ],
    });
  });

  it('refuses an unknown or empty engine list, naming the rule and the field', () => {
    const result = validatePolicy({
      rules: [
        { type: 'sweep', mode: 'enforce', engines: ['oracle'] },
        { type: 'notices', mode: 'enforce', engines: [] },
      ],
    });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems).toEqual([
      expect.stringMatching(
        /^rules\[0\] \(sweep\)\.engines\[0\]: "oracle" is not one of "postgresql-flexible", "mysql-flexible", "sql-database"$/,
      ),
      expect.stringMatching(/^rules\[1\] \(notices\)\.engines: must name at least one engine/),
    ]);
  });
});
