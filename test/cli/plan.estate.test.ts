import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { planCommand } from '../../src/cli/commands/plan.js';
import type { Plan, ServerPlan } from '../../src/domain/plan.js';

const ESTATE = fileURLToPath(new URL('../../examples/estate.json', import.meta.url));

async function plan(output: 'json' | 'table') {
  const out: string[] = [];
  const err: string[] = [];
  let exitCode = 0;
  await planCommand({
    io: { out: (t) => out.push(t), err: (t) => err.push(t) },
    setExitCode: (c) => (exitCode = c),
    env: {},
  })
    .exitOverride()
    .parseAsync(['--snapshot', ESTATE, '--now', '2026-11-21T12:00:00Z', '--output', output], { from: 'user' });
  expect(err.join('\n')).toBe('');
  expect(exitCode).toBe(0);
  return out.join('\n');
}

describe.runIf(existsSync(ESTATE))('pitr-warden plan on examples/estate.json', () => {
  it('governs the clones and leaves every other server alone', async () => {
    const result = JSON.parse(await plan('json')) as Plan;
    const byName = (name: string) => result.servers.find((s) => s.name === name);
    for (const s of result.servers.filter((x) => x.classification === 'not-a-clone'))
      expect(s.actions.every((a) => a.type === 'skip')).toBe(true);
    expect(result.servers.filter((s) => s.classification === 'not-a-clone').map((s) => s.name)).toEqual(
      expect.arrayContaining(['pg-orders-prod', 'pg-dev-sandbox']),
    );

    const fresh = byName('pg-orders-prod-pitr-20261121') as ServerPlan;
    expect(fresh).toMatchObject({ classification: 'clone', owner: 'alice@contoso.com', ownerSource: 'claims' });
    expect(fresh.actions.map((a) => a.type)).toEqual(expect.arrayContaining(['tag', 'delete-firewall-rule', 'notify']));

    const reasons = (name: string) =>
      (byName(name)?.actions ?? []).filter((a) => a.type === 'skip').map((a) => (a.type === 'skip' ? a.reason : ''));
    expect(reasons('pg-billing-prod-pitr-1020')).toContain('legal-hold');
    expect(reasons('pg-analytics-prod-pitr-1101')).toContain('locked');
    expect(reasons('pg-crm-prod-pitr-1115')).toContain('expiry-unparseable');
    expect(byName('pg-orders-copy')?.classification).toBe('probable-clone');
    // Nothing was announced yet in this estate: no deletion on the first plan.
    expect(result.servers.flatMap((s) => s.actions).some((a) => a.type === 'delete-server')).toBe(false);
  });

  it('prints a plan a person can read', async () => {
    const table = await plan('table');
    expect(table).toMatch(/^Plan at 2026-11-21T12:00:00Z: \d+ server\(s\)/);
    expect(table).toMatch(
      /pg-orders-prod-pitr-20261121 {2}\[clone\]\n {2}server {6}.*\n {2}proof {7}proven by the Activity Log's record of the restore/,
    );
    expect(table).toMatch(/pg-orders-copy {2}\[probable-clone\]\n {2}server {6}.*\n {2}proof {7}suspected/);
    expect(table).toMatch(/pg-inventory-prod-pitr-1109 {2}\[clone\]\n {2}server {6}.*\n {2}proof {7}claimed/);
    expect(table).toMatch(/actions {5}tag: set tags /);
    console.log(table);
  });
});

describe.runIf(existsSync(ESTATE))('pitr-warden plan on examples/estate.json: SQL Database', () => {
  it('plans the restored database on sql-shop-prod as a proven copy with its logical server exposure; the production database is untouched', async () => {
    const result = JSON.parse(await plan('json')) as Plan;
    const copy = result.servers.find((s) => s.name === 'shop-pitr-1120')!;
    const prod = result.servers.find((s) => s.name === 'shop')!;
    expect(copy).toMatchObject({
      engine: 'sql-database',
      classification: 'clone',
      proof: { level: 'proven', basis: 'activity-log' },
      exposure: { via: 'logical server', publicNetworkAccess: 'Enabled' },
    });
    expect(copy.actions.map((a) => a.type)).toEqual(expect.arrayContaining(['tag', 'notify']));
    expect(
      copy.actions.filter((a) => ['delete-firewall-rule', 'disable-public-access', 'stop-server'].includes(a.type)),
    ).toEqual([]);
    expect(prod).toMatchObject({
      engine: 'sql-database',
      classification: 'not-a-clone',
      actions: [{ type: 'skip', reason: 'not-a-clone' }],
    });
    const table = await plan('table');
    expect(table).toContain(
      'exposure    logical server sql-shop-prod, shared with production: public network access Enabled',
    );
    expect(table).toContain('firewall rule AllowAllWindowsAzureIps 0.0.0.0-0.0.0.0: allows every Azure service');
    expect(table).toContain(
      'reported, never changed: pitr-warden never modifies a logical server, which is shared with production; only its owners can restrict it',
    );
  });
});
