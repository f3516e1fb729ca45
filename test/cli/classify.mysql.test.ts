import { MySQLManagementFlexibleServerClient } from '@azure/arm-mysql-flexible';
import { Readable } from 'node:stream';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyCommand } from '../../src/cli/commands/classify.js';
import { armClientOptions, startEmulator, type Emulator } from '../../src/local/emulator/index.js';
import { fixturePath } from '../fixtures/events/load.js';
import { SUB1, armMySqlRule, armMySqlServer } from '../support/estate.js';

/** Runs `pitr-warden classify <args>` in-process; returns the JSON lines. */
async function classify(args: string[]): Promise<{ lines: Record<string, unknown>[]; exitCode: number | undefined }> {
  const out: string[] = [];
  let exitCode: number | undefined;
  const command = classifyCommand(
    { out: (text) => out.push(text), err: () => undefined },
    { stdin: Readable.from([Buffer.from('')]), setExitCode: (code) => (exitCode = code) },
  );
  command.exitOverride();
  await command.parseAsync(args, { from: 'user' });
  return {
    lines: out
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>),
    exitCode,
  };
}

/**
 * MySQL deliveries the repository does not hold: the emulator performs MySQL operations through the real SDK and emits
 * the Event Grid events (both schemas) a subscription would deliver; `pitr-warden classify` names kind, key and engine.
 */
describe('pitr-warden classify on MySQL flexible server deliveries', () => {
  const prod = armMySqlServer({ name: 'my-ledger-prod', tags: { Owner: 'ledger@contoso.com' } });
  let emulator: Emulator;
  let dir: string;
  const key = (name: string) =>
    `/subscriptions/${SUB1}/resourcegroups/rg-prod/providers/microsoft.dbformysql/flexibleservers/${name}`;

  beforeAll(async () => {
    emulator = await startEmulator({
      snapshot: {
        servers: [prod],
        firewallRules: { [prod.id]: [armMySqlRule(prod.id, 'AllowAll', '0.0.0.0', '255.255.255.255')] },
      },
    });
    dir = mkdtempSync(join(tmpdir(), 'classify-mysql-'));
    const mysql = new MySQLManagementFlexibleServerClient(emulator.credential, SUB1, armClientOptions(emulator));
    await mysql.servers.beginCreateAndWait(
      'rg-prod',
      'my-ledger-fix',
      {
        location: 'eastus',
        createMode: 'PointInTimeRestore',
        sourceServerResourceId: prod.id,
        restorePointInTime: new Date(Date.now() - 3_600_000),
      },
      { updateIntervalInMs: 5 },
    );
    await mysql.firewallRules.beginDeleteAndWait('rg-prod', 'my-ledger-fix', 'AllowAll', { updateIntervalInMs: 5 });
    await mysql.servers.beginStopAndWait('rg-prod', 'my-ledger-fix', { updateIntervalInMs: 5 });
    await mysql.servers.beginDeleteAndWait('rg-prod', 'my-ledger-fix', { updateIntervalInMs: 5 });
  });
  afterAll(async () => emulator?.close());

  it('an Event Grid delivery (array of events): write, rule delete and stop are changes of the server, the delete a deletion', async () => {
    const path = join(dir, 'eventgrid.json');
    writeFileSync(path, JSON.stringify(emulator.events.emitted()));
    const { lines, exitCode } = await classify([path]);
    expect(exitCode ?? 0).toBe(0);
    expect(lines.map((l) => [l.kind, l.key, l.engine, l.operationName])).toEqual([
      ['changed', key('my-ledger-fix'), 'mysql-flexible', 'Microsoft.DBforMySQL/flexibleServers/write'],
      ['changed', key('my-ledger-fix'), 'mysql-flexible', 'Microsoft.DBforMySQL/flexibleServers/firewallRules/delete'],
      ['changed', key('my-ledger-fix'), 'mysql-flexible', 'Microsoft.DBforMySQL/flexibleServers/stop/action'],
      ['deleted', key('my-ledger-fix'), 'mysql-flexible', 'Microsoft.DBforMySQL/flexibleServers/delete'],
    ]);
    expect(lines.every((l) => Object.keys(l).slice(0, 4).join() === 'source,kind,key,engine')).toBe(true);
  });

  it('one event per file with its ids in upper case, as the Activity Log and some deliveries write them', async () => {
    const [event] = emulator.events.emitted();
    const upper = JSON.parse(
      JSON.stringify(event).replace(/\/subscriptions\/[^"]*my-ledger-fix/g, (id) => id.toUpperCase()),
    ) as Record<string, unknown>;
    const path = join(dir, 'upper.json');
    writeFileSync(path, JSON.stringify(upper));
    const { lines } = await classify([path]);
    expect(lines).toEqual([
      expect.objectContaining({ kind: 'changed', key: key('my-ledger-fix'), engine: 'mysql-flexible' }),
    ]);
  });

  it("every MySQL delivery among the repository's fixtures names its kind, key and engine", async () => {
    const dirPath = fixturePath('mysql');
    const files = readdirSync(dirPath).filter((f) => !f.startsWith('entry-'));
    const lines: Record<string, unknown>[] = [];
    for (const file of files) lines.push(...(await classify([join(dirPath, file)])).lines);
    expect(lines.length).toBeGreaterThanOrEqual(files.length);
    for (const line of lines) {
      expect(line, JSON.stringify(line)).toMatchObject({
        engine: 'mysql-flexible',
        key: expect.stringMatching(/microsoft\.dbformysql\/flexibleservers\/[^/]+$/),
      });
      expect(['changed', 'deleted']).toContain(line.kind);
    }
  });
});
