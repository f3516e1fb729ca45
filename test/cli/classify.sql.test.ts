import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { classifyCommand } from '../../src/cli/commands/classify.js';
import { fixturePath, SUBSCRIPTION } from '../fixtures/events/load.js';

const DATABASE = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-payments/providers/Microsoft.Sql/servers/sql-payments/databases/payments-restore-0412`;

async function classify(file: string) {
  const out: string[] = [];
  const err: string[] = [];
  let exitCode: number | undefined;
  const command = classifyCommand({ out: (t) => out.push(t), err: (t) => err.push(t) }, { stdin: Readable.from([]), setExitCode: (c) => (exitCode = c) });
  command.exitOverride();
  await command.parseAsync([fixturePath(file)], { from: 'user' });
  return { lines: out.join('\n').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>), stderr: err.join(''), exitCode };
}

describe('pitr-warden classify on SQL Database deliveries', () => {
  it('names kind, key and engine "sql-database" for a database write and delete, from every channel', async () => {
    for (const [file, kind, source] of [
      ['sql/eventgrid-write-success.json', 'changed', 'event-grid'],
      ['sql/cloudevent-write-success.json', 'changed', 'cloud-events'],
      ['sql/alert-write-succeeded.json', 'changed', 'activity-log'],
      ['sql/eventgrid-delete-success.json', 'deleted', 'event-grid'],
    ] as const) {
      const { lines, exitCode } = await classify(file);
      expect(exitCode, file).toBeUndefined();
      expect(lines, file).toEqual([expect.objectContaining({ source, kind, key: DATABASE.toLowerCase(), engine: 'sql-database', resourceId: DATABASE, serverName: 'payments-restore-0412' })]);
    }
  });

  it('says why the master database and a logical server firewall rule are ignored', async () => {
    expect((await classify('sql/eventgrid-master-write-success.json')).lines).toEqual([
      { source: 'event-grid', kind: 'ignored', reason: expect.stringContaining('master database of a logical server is a system SQL database, never a copy') },
    ]);
    expect((await classify('sql/eventgrid-server-firewall-rule-delete-success.json')).lines).toEqual([{ source: 'event-grid', kind: 'ignored', reason: expect.stringMatching(/^not a .*SQL database: /) }]);
  });
});
