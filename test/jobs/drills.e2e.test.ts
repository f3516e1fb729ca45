import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drillCommand } from '../../src/cli/commands/drill.js';
import { statusCommand } from '../../src/cli/commands/status.js';
import { loadConfig } from '../../src/config.js';
import type { DrillRecord } from '../../src/domain/drills.js';
import { drillDeps, runDueDrills } from '../../src/jobs/drills.js';
import { reconcile, type ReconcileOutcome } from '../../src/jobs/reconcile.js';
import type { WardenStatus } from '../../src/jobs/operator.js';
import { build, type Wired } from '../../src/wiring.js';
import { armServer } from '../support/estate.js';
import { startStack, type TestStack } from '../support/stack.js';
import { operatorRunner } from '../support/operatorCli.js';

// One real PostgreSQL source for the file; each drill restores it (base backup plus WAL replay) and deletes the clone.
// The emulator runs on virtual time and the warden reads the emulator's clock: a restore takes its 6.5 Azure minutes
// and a delete its minute on that clock, the same every run, at no real wait.
const prod = armServer({
  name: 'pg-orders-prod',
  administratorLogin: 'ordersadmin',
  tags: { Owner: 'orders-team@contoso.com', Environment: 'Production' },
});
const plan = (over: Record<string, unknown>) => ({
  sources: { ids: [prod.id] },
  schedule: '0 0 2 * * *',
  owner: 'dba-team@contoso.com',
  database: 'orders',
  objectives: { readyMinutes: 30, validatedMinutes: 45 },
  ...over,
});
const policy = {
  drills: [
    plan({
      name: 'orders-nightly',
      validation: [
        {
          type: 'value',
          name: 'rows at the restore point',
          sql: "select string_agg(id::text, ',' order by id) from orders",
          equals: '1,2',
        },
        { type: 'value', name: 'orders exist', sql: 'select count(*) from orders', atLeast: 1 },
        { type: 'recovery-point', name: 'newest order', sql: 'select max(created_at) from orders', maxLagMinutes: 5 },
      ],
    }),
    plan({
      name: 'orders-broken',
      validation: [{ type: 'value', name: 'audit table', sql: 'select count(*) from audit_log', atLeast: 1 }],
    }),
    plan({
      name: 'orders-tight',
      objectives: { readyMinutes: 5, validatedMinutes: 45 },
      validation: [{ type: 'value', name: 'orders exist', sql: 'select count(*) from orders', atLeast: 1 }],
    }),
    plan({
      name: 'orders-kept',
      keepMinutes: 30,
      validation: [{ type: 'value', name: 'orders exist', sql: 'select count(*) from orders', atLeast: 1 }],
    }),
  ],
};
const REPORTS = fileURLToPath(new URL('../../test-output/drills/', import.meta.url));
const minutes = (record: DrillRecord, from: string, to: string) =>
  (Date.parse(record.phases.find((p) => p.phase === to)!.at) -
    Date.parse(record.phases.find((p) => p.phase === from)!.at)) /
  60_000;

describe('restore drills on real PostgreSQL, the emulator and Azurite', () => {
  let stack: TestStack;
  let wired: Wired;
  const run = operatorRunner(() => wired);
  const cloneDeletes = (name: string) =>
    stack.emulator.requests
      .entries({ operation: 'Servers_Delete' })
      .filter((r) => r.path.toLowerCase().endsWith(`/${name}`)).length;
  /** The drill's rule writes and deletes that reached the emulator, as "METHOD server/rule". */
  const ruleWrites = () =>
    stack.emulator.requests
      .entries({})
      .filter((r) => r.method !== 'GET' && /\/firewallrules\//i.test(r.path))
      .map(
        (r) => `${r.method} ${/flexibleservers\/([^/]+)\/firewallrules\/([^/?]+)/i.exec(r.path)!.slice(1).join('/')}`,
      );
  /** Writes (anything but GET) that name the source server itself or one of its children. */
  const sourceWrites = () =>
    stack.emulator.requests
      .entries({})
      .filter((r) => r.method !== 'GET' && /\/flexibleservers\/pg-orders-prod(\/|$|\?)/i.test(r.path));
  /** The clone's firewall rules at the moment each drill first connected, by clone name. */
  const rulesAtConnect = new Map<string, string[]>();
  /** Set to run the warden's reconcile (enforce mode) over the estate just before a drill first connects. */
  let reconcileAtConnect: ((outcome: ReconcileOutcome) => void) | undefined;

  beforeAll(async () => {
    const policyPath = join(mkdtempSync(join(tmpdir(), 'warden-drills-')), 'policy.json');
    writeFileSync(policyPath, JSON.stringify(policy));
    stack = await startStack({
      snapshot: {
        servers: [prod],
        dataPlanes: {
          [prod.id]: {
            database: 'orders',
            seedSql: [
              'create table orders (id int primary key, created_at timestamptz not null default clock_timestamp())',
              "insert into orders (id, created_at) values (1, now() - interval '1 day')",
            ],
          },
        },
      },
      // The app's outbound address: the warden's loopback (the emulator's public clones take a rule for it).
      settings: {
        POLICY_PATH: policyPath,
        ALLOWED_RECIPIENT_DOMAINS: 'contoso.com',
        DRILL_CLIENT_ADDRESSES: '127.0.0.1',
      },
      dataPlane: true,
      virtualTime: true,
    });
    const built = await build(loadConfig(stack.settings), { clock: stack.emulator.clock });
    wired = {
      ...built,
      database: {
        connect: async (server, database) => {
          if (!rulesAtConnect.has(server.name)) {
            if (reconcileAtConnect) reconcileAtConnect(await reconcile(built));
            rulesAtConnect.set(
              server.name,
              (await built.servers.listFirewallRules(server.id)).map(
                (r) => `${r.name} ${r.startIpAddress}-${r.endIpAddress}`,
              ),
            );
          }
          return built.database.connect(server, database);
        },
      },
    };
  }, 180_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('a drill sees exactly the rows before the restore point, passes, records every phase, mails its owner and deletes its clone', async () => {
    // The application writes Azure's time (the emulator's clock) into its rows; a minute passes between the writes.
    const clock = stack.emulator.clock;
    await stack.emulator.dataPlanes.query(prod.id, 'insert into orders (id, created_at) values (2, $1)', [clock.now()]);
    clock.advance(30_000);
    const point = clock.now().toISOString();
    clock.advance(30_000);
    await stack.emulator.dataPlanes.query(prod.id, 'insert into orders (id, created_at) values (3, $1)', [clock.now()]);

    // The warden governs the estate while the drill is about to connect: its network policy (enforce, no allowed
    // ranges) leaves the drill's own rule for the app alone.
    let governed: ReconcileOutcome | undefined;
    reconcileAtConnect = (outcome) => (governed = outcome);
    const result = await run(drillCommand, [
      'run',
      '--source',
      'pg-orders-prod',
      '--point',
      point,
      '--as',
      'dba-team@contoso.com',
      '--output',
      'json',
    ]);
    reconcileAtConnect = undefined;
    expect(result.stderr).toMatch(/requested at .*\n.*accepted/);
    const record = JSON.parse(result.stdout) as DrillRecord;
    expect(record.failures, JSON.stringify(record, null, 1)).toEqual([]);
    expect(record).toMatchObject({
      plan: 'orders-nightly',
      status: 'passed',
      cloneState: 'deleted',
      requestedPoint: point,
      owner: 'dba-team@contoso.com',
    });
    expect(result.exitCode).toBeUndefined();
    expect(record.checks.map((c) => [c.name, c.passed, c.value])).toEqual([
      ['rows at the restore point', true, '1,2'],
      ['orders exist', true, '2'],
      ['newest order', true, record.achievedPoint],
    ]);
    expect(Date.parse(record.achievedPoint!)).toBeLessThanOrEqual(Date.parse(point));
    expect(record.phases.map((p) => p.phase)).toEqual([
      'requested',
      'accepted',
      'visible',
      'ready',
      'connected',
      'validated',
      'delete-requested',
      'gone',
    ]);
    expect(record.objectives.every((o) => o.met)).toBe(true);
    // Measured on Azure's time: Ready 6.5 minutes after the request, the app's firewall rule half a minute more, the
    // delete a minute, nothing on the wall clock.
    expect(record.objectives.map((o) => [o.objective, o.actualMinutes])).toEqual([
      ['ready', 6.5],
      ['validated', 7],
    ]);
    expect(minutes(record, 'delete-requested', 'gone')).toBe(1);
    expect(record.restoredBytes).toBeGreaterThan(1_000_000);
    expect(record.restoreMinutesPer100Gb).toBe(Math.round((6.5 / (record.restoredBytes! / 2 ** 30)) * 100 * 10) / 10);
    expect(record.recoveryPointLagSeconds).toBe(30);
    expect(record.cost).toMatchObject({ currency: 'USD' });

    // What reached Azure: one restore with the drill's tags in the create request, the app's rule on the public clone
    // (in place when the drill first connected), and the clone's delete, which takes the rule with it.
    const create = stack.emulator.requests.entries({ operation: 'Servers_Create' }).at(-1)!;
    expect(create.path.toLowerCase()).toContain(`/${record.cloneName}`);
    expect(ruleWrites()).toEqual([`PUT ${record.cloneName}/pitr-warden-drill-1`]);
    expect(rulesAtConnect.get(record.cloneName)).toContain('pitr-warden-drill-1 127.0.0.1-127.0.0.1');
    expect(governed).toMatchObject({ clones: 1, cloneReads: 1, failed: [] });
    expect(record.firewallRules).toEqual([
      {
        name: 'pitr-warden-drill-1',
        startIpAddress: '127.0.0.1',
        endIpAddress: '127.0.0.1',
        addedAt: expect.any(String),
        removed: 'with-clone',
        removedAt: record.phases.find((p) => p.phase === 'gone')!.at,
      },
    ]);
    expect(Date.parse(record.firewallRules![0]!.addedAt)).toBeGreaterThanOrEqual(
      Date.parse(record.phases.find((p) => p.phase === 'ready')!.at),
    );
    expect(Date.parse(record.firewallRules![0]!.addedAt)).toBeLessThanOrEqual(
      Date.parse(record.phases.find((p) => p.phase === 'connected')!.at),
    );
    expect(cloneDeletes(record.cloneName)).toBe(1);
    await expect(wired.servers.get(record.cloneId)).resolves.toBeUndefined();
    expect(stack.emulator.dataPlanes.connection(record.cloneId)).toBeUndefined();
    // The source was never touched: no write names it or one of its rules.
    expect(sourceWrites()).toEqual([]);

    expect(await wired.stores.drills.get(record.id)).toMatchObject({ status: 'passed', cloneState: 'deleted' });
    const evidence = await wired.stores.evidence.list(record.cloneId.toLowerCase());
    expect(evidence.filter((e) => e.kind === 'drill-phase')).toHaveLength(8);
    expect(evidence.map((e) => e.kind)).toEqual(expect.arrayContaining(['restore', 'firewall-rule-added', 'delete']));
    const mail = stack.emulator.mailbox.to('dba-team@contoso.com').find((m) => m.subject.includes(record.sourceName));
    expect(mail?.subject).toMatch(/^Restore drill passed: pg-orders-prod/);

    const html = await run(drillCommand, ['report', record.id, '--output', 'html']);
    for (const phase of record.phases) expect(html.stdout).toContain(`data-phase="${phase.phase}"`);
    expect(html.stdout).toContain('pitr-warden-drill-1 127.0.0.1-127.0.0.1, added');
    expect(html.stdout).toContain('class="timeline"');
    // Kept for a look in a browser (test-output is not committed).
    mkdirSync(REPORTS, { recursive: true });
    writeFileSync(join(REPORTS, 'drill-report.html'), html.stdout);
    const status = await run(statusCommand, ['--output', 'json']);
    expect((JSON.parse(status.stdout) as WardenStatus).drills).toEqual([
      expect.objectContaining({ sourceName: 'pg-orders-prod', healthy: true, drillId: record.id }),
    ]);
  });

  it("a check that fails gives a failed drill with the database's message, the clone still deleted, and status unhealthy", async () => {
    const result = await run(drillCommand, [
      'run',
      '--source',
      prod.id,
      '--plan',
      'orders-broken',
      '--point',
      'latest',
      '--as',
      'dba-team@contoso.com',
      '--output',
      'json',
    ]);
    const record = JSON.parse(result.stdout) as DrillRecord;
    expect(result.exitCode).toBe(1);
    expect(record.status).toBe('failed');
    expect(record.checks[0]).toMatchObject({
      name: 'audit table',
      passed: false,
      error: 'relation "audit_log" does not exist',
    });
    expect(record.failures, JSON.stringify(record.failures)).toEqual([
      'check "audit table" failed: relation "audit_log" does not exist',
    ]);
    expect(record.cloneState).toBe('deleted');
    expect(cloneDeletes(record.cloneName)).toBe(1);

    const status = await run(statusCommand, ['--output', 'json']);
    const report = JSON.parse(status.stdout) as WardenStatus;
    expect(report.problems).toContain(
      `last drill of pg-orders-prod (${record.id}): failed: check "audit table" failed: relation "audit_log" does not exist`,
    );
    expect(status.exitCode).toBe(1);
  });

  it('a drill that misses its objective fails on its own though its checks pass, and status is unhealthy', async () => {
    const result = await run(drillCommand, [
      'run',
      '--source',
      'pg-orders-prod',
      '--plan',
      'orders-tight',
      '--point',
      'latest',
      '--as',
      'dba-team@contoso.com',
      '--output',
      'json',
    ]);
    const record = JSON.parse(result.stdout) as DrillRecord;
    expect(record.checks.every((c) => c.passed)).toBe(true);
    expect(record).toMatchObject({
      status: 'failed',
      cloneState: 'deleted',
      failures: ['missed the ready objective: 6.5 min (at most 5 min)'],
    });
    expect(record.objectives.find((o) => o.objective === 'ready')).toEqual({
      objective: 'ready',
      limitMinutes: 5,
      actualMinutes: 6.5,
      met: false,
    });
    expect(cloneDeletes(record.cloneName)).toBe(1);
    const status = await run(statusCommand, ['--output', 'json']);
    const report = JSON.parse(status.stdout) as WardenStatus;
    expect(report.healthy).toBe(false);
    expect(report.drills).toEqual([
      expect.objectContaining({ sourceName: 'pg-orders-prod', drillId: record.id, healthy: false }),
    ]);
    expect(report.problems).toContain(
      `last drill of pg-orders-prod (${record.id}): failed: missed the ready objective: 6.5 min (at most 5 min); missed ready objective (6.5 of 5 min)`,
    );
    expect(status.exitCode).toBe(1);
  });

  it("a kept clone loses the app's rule right after validation, and the timer deletes the clone after the keep period", async () => {
    const before = ruleWrites().length;
    const result = await run(drillCommand, [
      'run',
      '--source',
      'pg-orders-prod',
      '--plan',
      'orders-kept',
      '--point',
      'latest',
      '--as',
      'dba-team@contoso.com',
      '--output',
      'json',
    ]);
    const record = JSON.parse(result.stdout) as DrillRecord;
    expect(record.failures).toEqual([]);
    expect(record).toMatchObject({ status: 'passed', cloneState: 'kept' });
    // Added before the first connection, deleted once validation was done: the kept clone is no longer open to the app.
    expect(ruleWrites().slice(before)).toEqual([
      `PUT ${record.cloneName}/pitr-warden-drill-1`,
      `DELETE ${record.cloneName}/pitr-warden-drill-1`,
    ]);
    expect(rulesAtConnect.get(record.cloneName)).toContain('pitr-warden-drill-1 127.0.0.1-127.0.0.1');
    expect(await wired.servers.listFirewallRules(record.cloneId)).not.toContainEqual(
      expect.objectContaining({ name: 'pitr-warden-drill-1' }),
    );
    expect(record.firewallRules).toEqual([
      expect.objectContaining({ name: 'pitr-warden-drill-1', removed: 'deleted' }),
    ]);
    expect(Date.parse(record.firewallRules![0]!.removedAt!)).toBeGreaterThanOrEqual(
      Date.parse(record.phases.find((p) => p.phase === 'validated')!.at),
    );
    const evidence = await wired.stores.evidence.list(record.cloneId.toLowerCase());
    expect(evidence.filter((e) => e.id.startsWith(`drill:${record.id}:rule-`)).map((e) => e.kind)).toEqual([
      'firewall-rule-added',
      'delete-firewall-rule',
    ]);
    await expect(wired.servers.get(record.cloneId)).resolves.toMatchObject({ name: record.cloneName });

    stack.emulator.clock.advance(31 * 60_000);
    const outcome = await runDueDrills(drillDeps({ ...wired, policy: { ...wired.policy, drills: [] } }, 'pitr-warden'));
    expect(outcome.cleaned).toEqual([record.cloneName]);
    expect(cloneDeletes(record.cloneName)).toBe(1);
    expect(await wired.stores.drills.get(record.id)).toMatchObject({ cloneState: 'deleted' });
    expect(sourceWrites()).toEqual([]);
  });

  it('two drills of one server never overlap; bad input is refused before anything is created', async () => {
    const key = prod.id.toLowerCase();
    expect(await wired.stores.drills.claim(key, 'other-drill', new Date())).toBe(true);
    const creates = stack.emulator.requests.count({ operation: 'Servers_Create' });
    const busy = await run(drillCommand, [
      'run',
      '--source',
      'pg-orders-prod',
      '--point',
      'latest',
      '--as',
      'dba-team@contoso.com',
    ]);
    expect(busy.exitCode).toBe(2);
    expect(busy.stderr).toMatch(/a drill of pg-orders-prod is already running.*never overlap/);
    await wired.stores.drills.release(key, 'other-drill');
    const bad = await run(drillCommand, [
      'run',
      '--source',
      'pg-nowhere',
      '--point',
      'yesterday',
      '--as',
      'dba-team@contoso.com',
    ]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--source: no server named pg-nowhere/);
    expect(bad.stderr).toMatch(/--point: "yesterday" is not an ISO 8601 date-time/);
    expect(stack.emulator.requests.count({ operation: 'Servers_Create' })).toBe(creates);
  });
});
