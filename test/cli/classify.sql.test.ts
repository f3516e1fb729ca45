import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { classifyCommand } from '../../src/cli/commands/classify.js';
import { fixturePath, SUBSCRIPTION } from '../fixtures/events/load.js';

const DATABASE = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-payments/providers/Microsoft.Sql/servers/sql-payments/databases/payments-restore-0412`;

async function classify(file: string) {
  const out: string[] = [];
  const err: string[] = [];
  let exitCode: number | undefined;
  const command = classifyCommand(
    { out: (t) => out.push(t), err: (t) => err.push(t) },
    { stdin: Readable.from([]), setExitCode: (c) => (exitCode = c) },
  );
  command.exitOverride();
  await command.parseAsync([fixturePath(file)], { from: 'user' });
  return {
    lines: out
      .join('\n')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>),
    stderr: err.join(''),
    exitCode,
  };
}

describe('pitr-warden classify on SQL Database deliveries', () => {
  it('names kind, key and engine "sql-database" for a database write and delete, from every channel', async () => {
    for (const [file, kind, source] of [
      ['sql/eventgrid-write-success.json', 'changed', 'event-grid'],
      ['sql/cloudevent-write-success.json', 'changed', 'cloud-events'],
      ['sql/alert-write-succeeded.json', 'changed', 'activity-log'],
      ['sql/eventgrid-delete-success.json', 'deleted', 'event-grid'],
      ['sql/cloudevent-delete-success.json', 'deleted', 'cloud-events'],
      ['sql/alert-delete-succeeded.json', 'deleted', 'activity-log'],
    ] as const) {
      const { lines, exitCode } = await classify(file);
      expect(exitCode, file).toBeUndefined();
      expect(lines, file).toEqual([
        expect.objectContaining({
          source,
          kind,
          key: DATABASE.toLowerCase(),
          engine: 'sql-database',
          resourceId: DATABASE,
          serverName: 'payments-restore-0412',
        }),
      ]);
    }
  });

  it('a write on a setting of the database (its backup retention) is a change of the database, to be read again', async () => {
    const { lines } = await classify('sql/eventgrid-database-child-write-success.json');
    expect(lines).toEqual([
      expect.objectContaining({
        kind: 'changed',
        key: DATABASE.toLowerCase(),
        engine: 'sql-database',
        resourceId: DATABASE,
        operationName: 'Microsoft.Sql/servers/databases/backupShortTermRetentionPolicies/write',
      }),
    ]);
  });

  it('ignores the logical server and its other children with a reason that names them, from every channel', async () => {
    const server = 'the logical server sql-payments (Microsoft.Sql/servers)';
    for (const [file, source, what] of [
      ['sql/eventgrid-server-write-success.json', 'event-grid', server],
      ['sql/alert-server-write-succeeded.json', 'activity-log', server],
      ['sql/cloudevent-server-firewall-rule-write-success.json', 'cloud-events', `firewallRules/office of ${server}`],
      ['sql/eventgrid-elastic-pool-write-success.json', 'event-grid', `elasticPools/pool-payments of ${server}`],
    ] as const) {
      const { lines, exitCode } = await classify(file);
      expect(exitCode, file).toBeUndefined();
      expect(lines, file).toEqual([
        {
          source,
          kind: 'ignored',
          reason: expect.stringContaining(
            `${what} is never governed or changed, only the SQL databases on it: /subscriptions/`,
          ),
        },
      ]);
      expect(lines[0]!.reason, file).toMatch(
        /^not a PostgreSQL flexible server, MySQL flexible server or SQL database: /,
      );
    }
  });

  it('says why the master database and a logical server firewall rule are ignored', async () => {
    expect((await classify('sql/eventgrid-master-write-success.json')).lines).toEqual([
      {
        source: 'event-grid',
        kind: 'ignored',
        reason: expect.stringContaining('master database of a logical server is a system SQL database, never a copy'),
      },
    ]);
    expect((await classify('sql/eventgrid-server-firewall-rule-delete-success.json')).lines).toEqual([
      { source: 'event-grid', kind: 'ignored', reason: expect.stringMatching(/^not a .*SQL database: /) },
    ]);
  });
});
