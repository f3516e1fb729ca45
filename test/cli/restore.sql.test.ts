import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { restoreCommand } from '../../src/cli/commands/restore.js';
import { loadConfig } from '../../src/config.js';
import type { RestoreRecord } from '../../src/jobs/operator.js';
import { fixedClock } from '../../src/ports/clock.js';
import { build, type Wired } from '../../src/wiring.js';
import { SUB1 } from '../support/estate.js';
import { startStack, type TestStack } from '../support/stack.js';
import { operatorRunner } from '../support/operatorCli.js';

const NOW = '2026-11-20T12:00:00Z';
const SERVER = `/subscriptions/${SUB1}/resourceGroups/rg-shop/providers/Microsoft.Sql/servers/sql-shop`;
const PROD = `${SERVER}/databases/shop`;

/** What `restore --wait` printed on stderr: the percentages of the "Restoring N%" lines, in order. */
function percentsOf(stderr: string): number[] {
  return [...stderr.matchAll(/restore shop-fix: Restoring (\d+)% after/g)].map((m) => Number(m[1]));
}

describe('pitr-warden restore --engine sql-database on the emulator', () => {
  const clock = fixedClock(NOW);
  let stack: TestStack;
  let wired: Wired;

  const run = operatorRunner(() => ({ ...wired, clock }));
  const args = (over: Record<string, string> = {}) =>
    Object.entries({
      '--engine': 'sql-database',
      '--server': 'sql-shop',
      '--source': 'shop',
      '--time': '2026-11-20T08:00:00Z',
      '--name': 'shop-fix',
      '--owner': 'alice@contoso.com',
      '--incident': 'INC-4711',
      '--as': 'alice@contoso.com',
      ...over,
    }).flatMap(([k, v]) => (v === '' ? [] : [k, v]));
  const writes = () =>
    ['PUT', 'PATCH', 'DELETE', 'POST'].reduce((n, method) => n + stack.emulator.requests.count({ method }), 0);

  beforeAll(async () => {
    stack = await startStack({
      snapshot: {
        servers: [],
        sqlServers: [
          { id: SERVER, name: 'sql-shop', type: 'Microsoft.Sql/servers', location: 'westeurope', properties: {} },
        ],
        sqlDatabases: [
          {
            id: PROD,
            name: 'shop',
            type: 'Microsoft.Sql/servers/databases',
            location: 'westeurope',
            tags: { Owner: 'shop-team@contoso.com', Environment: 'production' },
            properties: { currentServiceObjectiveName: 'S0', creationDate: '2026-01-10T08:00:00Z' },
          },
        ],
      },
      now: () => clock.now(),
    });
    wired = await build(loadConfig(stack.settings));
  });
  afterAll(async () => stack?.close());
  beforeEach(() => clock.set(NOW));

  it('restores the database on its logical server with lineage tags in the create request; --wait shows percentComplete', async () => {
    const result = await run(restoreCommand, [...args(), '--wait', '--output', 'json']);
    expect(result.stderr).not.toMatch(/refused/);
    expect(result.exitCode).toBeUndefined();
    const record = JSON.parse(result.stdout) as RestoreRecord;
    expect(record).toMatchObject({
      sourceServerId: PROD,
      newServerId: `${SERVER}/databases/shop-fix`,
      effectiveRestorePointUtc: '2026-11-20T08:00:00Z',
      state: 'Online',
      owner: 'alice@contoso.com',
      incident: 'INC-4711',
    });
    expect(result.stderr).toMatch(/restore shop-fix: Accepted[\s\S]*restore shop-fix: Online \(100%\)/);
    const live = (await wired.servers.get(record.newServerId))!;
    // Lineage and ownership are written in the create request (a restored database copies no tags itself).
    // Only these: production's labels (Environment, its Owner as SourceOwner) are not stamped on the copy, and no Tags API write followed.
    expect(live.tags).toEqual({
      Owner: 'alice@contoso.com',
      RestoredFrom: PROD,
      RestorePointUtc: '2026-11-20T08:00:00Z',
      RestoredBy: 'alice@contoso.com',
      Incident: 'INC-4711',
      ExpiresOn: record.expiresOn,
    });
    expect(record.tags).toEqual(live.tags);
    const create = stack.emulator.requests.entries().filter((r) => r.operation === 'Databases_CreateOrUpdate');
    expect(create).toHaveLength(1);
    expect(stack.emulator.requests.count({ operation: 'Tags_UpdateAtScope' })).toBe(0);
  });

  it.each([
    [
      'a time before the earliest restore point',
      { '--time': '2026-11-01T00:00:00Z', '--name': 'shop-a' },
      /--time 2026-11-01T00:00:00Z .*earliest restore point of shop/,
    ],
    ['a name taken on the logical server', { '--name': 'shop' }, /--name: .*shop already exists/],
    [
      'an unknown logical server',
      { '--server': 'sql-nope', '--name': 'shop-b' },
      /no database named shop on logical server sql-nope/,
    ],
  ])('refuses %s before any write (exit 2)', async (_label, over, message) => {
    const before = writes();
    const result = await run(restoreCommand, args(over));
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(writes()).toBe(before);
  });
});

/**
 * On virtual time the emulator's restore takes its 10 Azure minutes, each poll of the operation moving the clock one
 * step: `--wait` sees the database operation's percentComplete climb, as an operator watching a real restore does.
 */
describe('pitr-warden restore --engine sql-database --wait on virtual time', () => {
  const clock = fixedClock(NOW);
  let stack: TestStack;
  let wired: Wired;

  beforeAll(async () => {
    stack = await startStack({
      snapshot: {
        servers: [],
        sqlServers: [
          { id: SERVER, name: 'sql-shop', type: 'Microsoft.Sql/servers', location: 'westeurope', properties: {} },
        ],
        sqlDatabases: [
          {
            id: PROD,
            name: 'shop',
            type: 'Microsoft.Sql/servers/databases',
            location: 'westeurope',
            properties: { currentServiceObjectiveName: 'S0', creationDate: '2026-01-10T08:00:00Z' },
          },
        ],
      },
      now: () => clock.now(),
      virtualTime: true,
    });
    wired = await build(loadConfig(stack.settings));
  });
  afterAll(async () => stack?.close());

  it('shows the percentComplete of the restore between Accepted and Online (100%)', async () => {
    const err: string[] = [];
    const command = restoreCommand({
      io: { out: () => undefined, err: (t) => err.push(t) },
      env: {},
      deps: () => Promise.resolve({ ...wired, clock }),
    });
    await command
      .exitOverride()
      .parseAsync(
        [
          '--engine',
          'sql-database',
          '--server',
          'sql-shop',
          '--source',
          'shop',
          '--time',
          '2026-11-20T08:00:00Z',
          '--name',
          'shop-fix',
          '--owner',
          'alice@contoso.com',
          '--incident',
          'INC-4711',
          '--as',
          'alice@contoso.com',
          '--wait',
        ],
        { from: 'user' },
      );
    const stderr = err.join('\n');
    const percents = percentsOf(stderr);
    expect(stderr).toMatch(/^restore shop-fix: Accepted after \d+s/);
    expect(percents.filter((p) => p > 0 && p < 100).length, stderr).toBeGreaterThanOrEqual(2);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(err.at(-1)).toMatch(/^restore shop-fix: Online \(100%\) after \d+s$/);
    // The progress came from the database's operations, read while it restored.
    expect(stack.emulator.requests.count({ operation: 'DatabaseOperations_ListByDatabase' })).toBeGreaterThanOrEqual(2);
  });
});
