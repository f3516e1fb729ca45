import { Readable } from 'node:stream';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyCommand, classifyFileText } from '../../src/cli/commands/classify.js';
import { EventFormatError } from '../../src/domain/events.js';
import { CLONE_ID, CLONE_KEY, fixturePath, fixtureText, samplePath, SUBSCRIPTION } from '../fixtures/events/load.js';

/** Runs `pitr-warden classify <args>` in-process with captured output and exit status. */
async function run(args: string[], stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  let exitCode: number | undefined;
  const command = classifyCommand(
    { out: (text) => out.push(text), err: (text) => err.push(text) },
    { stdin: Readable.from([Buffer.from(stdin)]), setExitCode: (code) => (exitCode = code) },
  );
  command.exitOverride().configureOutput({ writeOut: (text) => out.push(text), writeErr: (text) => err.push(text) });
  await command.parseAsync(args, { from: 'user' });
  return { stdout: out.join(''), stderr: err.join(''), exitCode };
}

const aliceWrite = {
  source: 'event-grid',
  kind: 'changed',
  key: CLONE_KEY,
  engine: 'postgresql-flexible',
  resourceId: CLONE_ID,
  subscriptionId: SUBSCRIPTION,
  resourceGroup: 'rg-payments',
  serverName: 'pg-payments-restore-0412',
  operationName: 'Microsoft.DBforPostgreSQL/flexibleServers/write',
  eventTime: '2026-11-20T09:14:03.441Z',
  correlationId: 'c0ffee00-1234-4abc-8def-0123456789ab',
  actor: {
    type: 'user',
    upn: 'alice@contoso.com',
    name: 'Alice Example',
    objectId: 'a1b2c3d4-0000-4000-8000-00000000a11c',
    appId: 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c',
  },
};

describe('classifyFileText', () => {
  it('prints the contract fields in the contract order, one line per event', () => {
    const { lines } = classifyFileText(fixtureText('eventgrid/batch-mixed.json'));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(JSON.stringify(aliceWrite));
    expect(JSON.parse(lines[1]!)).toEqual({
      source: 'event-grid',
      kind: 'ignored',
      reason: expect.stringMatching(
        /^not a PostgreSQL flexible server, MySQL flexible server or SQL database: .*storageAccounts/,
      ),
    });
    expect(Object.keys(JSON.parse(lines[1]!))).toEqual(['source', 'kind', 'reason']);
    expect(JSON.parse(lines[2]!)).toMatchObject({ kind: 'changed', key: CLONE_KEY });
  });

  it('throws EventFormatError for what is not an event', () => {
    expect(() => classifyFileText('{"hello":1}')).toThrow(EventFormatError);
  });
});

describe('pitr-warden classify <file>', () => {
  it('names the engine of a MySQL flexible server event, after the key', async () => {
    const result = await run([fixturePath('mysql/eventgrid-firewall-rule-delete-success.json')]);
    const line = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(line).toMatchObject({
      kind: 'changed',
      engine: 'mysql-flexible',
      key: expect.stringMatching(/microsoft\.dbformysql\/flexibleservers\/mysql-payments-restore-0412$/),
    });
    expect(Object.keys(line).slice(0, 4)).toEqual(['source', 'kind', 'key', 'engine']);
  });

  it('prints one JSON object per line for an Event Grid file', async () => {
    const result = await run([fixturePath('eventgrid/flexible-server-write-success.json')]);
    expect(result).toEqual({ stdout: `${JSON.stringify(aliceWrite)}`, stderr: '', exitCode: undefined });
  });

  it('prints the Microsoft validation sample as ignored', async () => {
    const result = await run([samplePath('eventgrid-validation/subscription_validation_event.json')]);
    expect(result.stdout).toBe(
      '{"source":"event-grid","kind":"ignored","reason":"Event Grid subscription validation: not needed for Storage Queue delivery"}',
    );
    expect(result.exitCode).toBeUndefined();
  });

  it('reads standard input with -, including base64', async () => {
    const base64 = Buffer.from(fixtureText('activity-log-alert/flexible-server-delete-succeeded.json')).toString(
      'base64',
    );
    const result = await run(['-'], base64);
    expect(result.exitCode).toBeUndefined();
    expect(JSON.parse(result.stdout)).toMatchObject({
      source: 'activity-log',
      kind: 'deleted',
      key: CLONE_KEY,
      actor: { type: 'service-principal' },
    });
  });

  it('a CloudEvents batch prints one line per event', async () => {
    const result = await run([fixturePath('cloudevents/batch.json')]);
    expect(result.stdout.split('\n').map((line) => (JSON.parse(line) as { kind: string }).kind)).toEqual([
      'changed',
      'ignored',
      'changed',
    ]);
  });

  it.each([
    ['malformed/truncated.json', /^pitr-warden classify: delivery: not JSON \(.+\)$/],
    ['malformed/missing-resource-uri.json', /^pitr-warden classify: event\[2\]\.data\.resourceUri: missing$/],
    ['malformed/not-an-event.json', /^pitr-warden classify: delivery: not an event: /],
    ['malformed/empty-array.json', /^pitr-warden classify: delivery: empty array, expected at least one event$/],
  ])('%s: exit status 2, the problem on stderr, nothing on stdout', async (file, message) => {
    const result = await run([fixturePath(file)]);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });

  it('a file that does not exist: exit status 2 naming the file', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'classify-')), 'nope.json');
    const result = await run([missing]);
    expect(result).toEqual({
      stdout: '',
      stderr: expect.stringMatching(new RegExp(`^pitr-warden classify: cannot read ${missing}: ENOENT`)),
      exitCode: 2,
    });
  });

  it('a file over 1 MiB is refused without parsing', async () => {
    const big = join(mkdtempSync(join(tmpdir(), 'classify-')), 'big.json');
    writeFileSync(big, ' '.repeat(1024 * 1024 + 1));
    const result = await run([big]);
    expect(result).toEqual({
      stdout: '',
      stderr: `pitr-warden classify: ${big}: 1048577 bytes is over the limit of 1048576 bytes (1 MiB)`,
      exitCode: 2,
    });
  });

  it('standard input over 1 MiB is refused', async () => {
    const result = await run(['-'], ' '.repeat(1024 * 1024 + 5));
    expect(result).toEqual({
      stdout: '',
      stderr: 'pitr-warden classify: standard input: 1048581 bytes is over the limit of 1048576 bytes (1 MiB)',
      exitCode: 2,
    });
  });

  it('no file argument is a usage error from commander', async () => {
    await expect(run([])).rejects.toMatchObject({ code: 'commander.missingArgument' });
  });
});
