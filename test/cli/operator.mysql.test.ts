import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreCommand, type OperatorCommandOptions } from '../../src/cli/commands/restore.js';
import { tagCommands } from '../../src/cli/commands/tags.js';
import { loadConfig } from '../../src/config.js';
import { resourceIdOf } from '../../src/domain/ids.js';
import type { RestoreRecord } from '../../src/jobs/operator.js';
import { fixedClock } from '../../src/ports/clock.js';
import { build, type Wired } from '../../src/wiring.js';
import { armMySqlRule, armMySqlServer, armServer, SUB1 } from '../support/estate.js';
import { startStack, type TestStack } from '../support/stack.js';
import { operatorRunner } from '../support/operatorCli.js';

const NOW = '2026-11-20T12:00:00Z';
// A MySQL and a PostgreSQL production server of one name (their DNS zones differ): --engine tells them apart.
const prod = armMySqlServer({
  name: 'orders-prod',
  tags: { Owner: 'orders-team@contoso.com', Environment: 'production' },
  createdAt: '2026-01-10T09:00:00Z',
});
const pgTwin = armServer({ name: 'orders-prod', resourceGroup: 'rg-pg' });

/** The operator CLI on a MySQL flexible server: restore --engine mysql-flexible, then extend and hold its clone. */
describe('operator CLI on MySQL flexible servers', () => {
  const clock = fixedClock(NOW);
  let stack: TestStack;
  let wired: Wired;

  const run = operatorRunner(() => ({ ...wired, clock }));
  const tag = (name: 'extend' | 'hold') => (o: OperatorCommandOptions) =>
    tagCommands(o).find((c) => c.name() === name)!;
  const args = (over: Record<string, string> = {}) =>
    Object.entries({
      '--engine': 'mysql-flexible',
      '--source': 'orders-prod',
      '--time': '2026-11-20T08:00:00Z',
      '--name': 'orders-fix',
      '--owner': 'alice@contoso.com',
      '--incident': 'INC-4242',
      '--as': 'alice@contoso.com',
      ...over,
    }).flatMap(([k, v]) => (v === '' ? [] : [k, v]));
  const creates = () => stack.emulator.requests.count({ operation: 'Servers_Create' });

  beforeAll(async () => {
    stack = await startStack({
      snapshot: {
        servers: [prod, pgTwin],
        firewallRules: { [prod.id]: [armMySqlRule(prod.id, 'AllowAll', '0.0.0.0', '255.255.255.255')] },
        locks: {},
      },
      now: () => clock.now(),
    });
    wired = await build(loadConfig(stack.settings));
  });
  afterAll(async () => stack?.close());

  it('without --engine a name both engines use is ambiguous; a bad --engine is refused; nothing is created', async () => {
    const ambiguous = await run(restoreCommand, args({ '--engine': '' }));
    expect(ambiguous.exitCode).toBe(2);
    expect(ambiguous.stderr).toMatch(/2 servers are named orders-prod; give the resource id/);
    await expect(run(restoreCommand, args({ '--engine': 'oracle' }))).rejects.toThrow(
      /unknown engine "oracle": use one of postgresql-flexible, mysql-flexible/,
    );
    expect(creates()).toBe(0);
  });

  it('refuses a restore point before the MySQL source keeps backups (its 7-day retention)', async () => {
    const result = await run(restoreCommand, args({ '--time': '2026-11-01T08:00:00Z' }));
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(
      /--time 2026-11-01T08:00:00Z .*before the earliest restore point of orders-prod: the restore window is 2026-11-13T12:00:00Z to now/,
    );
    expect(creates()).toBe(0);
  });

  it('restore --engine mysql-flexible: one create request with restorePointInTime and the lineage, owner and expiry tags in it', async () => {
    const result = await run(restoreCommand, [...args(), '--wait', '--output', 'json']);
    expect(result.exitCode).toBeUndefined();
    const record = JSON.parse(result.stdout) as RestoreRecord;
    const cloneId = resourceIdOf('mysql-flexible', SUB1, 'rg-prod', ['orders-fix']);
    expect(record).toMatchObject({
      sourceServerId: prod.id,
      newServerId: cloneId,
      state: 'Ready',
      owner: 'alice@contoso.com',
      expiresOn: '2026-11-27T12:00:00Z',
    });
    expect(creates()).toBe(1);
    const start = stack.emulator
      .snapshot()
      .activityLog!.find((e) => e.resourceId === cloneId && (e.status as { value: string }).value === 'Accepted')!;
    const body = JSON.parse((start.properties as { requestbody: string }).requestbody) as {
      tags: Record<string, string>;
      properties: Record<string, unknown>;
    };
    expect(body.properties).toMatchObject({
      createMode: 'PointInTimeRestore',
      sourceServerResourceId: prod.id,
      restorePointInTime: '2026-11-20T08:00:00.000Z',
    });
    expect(body.tags).toMatchObject({
      Owner: 'alice@contoso.com',
      SourceOwner: 'orders-team@contoso.com',
      RestoredFrom: prod.id,
      RestoredBy: 'alice@contoso.com',
      Incident: 'INC-4242',
      ExpiresOn: '2026-11-27T12:00:00Z',
    });
    const row = (await wired.inventory.get(cloneId.toLowerCase()))!.value;
    // The proof is the warden's own governed restore, recorded at birth; the next governing pass classifies the row.
    expect(row).toMatchObject({
      engine: 'mysql-flexible',
      decisions: [
        expect.objectContaining({
          kind: 'governed-restore',
          sourceServerId: prod.id,
          restorePointUtc: '2026-11-20T08:00:00Z',
        }),
      ],
    });
  });

  it('extend and hold the MySQL clone by name (the Tags API on a MySQL server)', async () => {
    const extended = await run(tag('extend'), [
      'orders-fix',
      '--until',
      '2026-12-10',
      '--as',
      'alice@contoso.com',
      '--output',
      'json',
    ]);
    expect(extended.exitCode).toBeUndefined();
    const held = await run(tag('hold'), ['orders-fix', '--reason', 'litigation INC-9', '--as', 'alice@contoso.com']);
    expect(held.exitCode).toBeUndefined();
    const live = (await wired.servers.get(resourceIdOf('mysql-flexible', SUB1, 'rg-prod', ['orders-fix'])))!;
    expect(live.tags).toMatchObject({ ExpiresOn: '2026-12-10T00:00:00Z', LegalHold: 'litigation INC-9' });
    // The source and the PostgreSQL server of the same name were never written to.
    const writes = stack.emulator.requests.entries().filter((r) => ['PUT', 'PATCH', 'DELETE'].includes(r.method));
    expect(
      writes.filter(
        (w) =>
          w.path.toLowerCase().startsWith(prod.id.toLowerCase()) ||
          w.path.toLowerCase().startsWith(pgTwin.id.toLowerCase()),
      ),
    ).toEqual([]);
  });
});
