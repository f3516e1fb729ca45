import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAcsMailer } from '../../src/adapters/azure/email/mailer.js';
import { confirmCommand, promoteCommand } from '../../src/cli/commands/decisions.js';
import { inventoryCommand } from '../../src/cli/commands/inventory.js';
import { restoreCommand, type OperatorCommandOptions } from '../../src/cli/commands/restore.js';
import { statusCommand } from '../../src/cli/commands/status.js';
import { tagCommands } from '../../src/cli/commands/tags.js';
import { loadConfig } from '../../src/config.js';
import type { InventoryRecord } from '../../src/domain/model.js';
import type { RestoreRecord, WardenStatus } from '../../src/jobs/operator.js';
import { sendOwnerNotices } from '../../src/jobs/notices.js';
import { reconcile } from '../../src/jobs/reconcile.js';
import { emailClientOptions } from '../../src/local/emulator/index.js';
import { fixedClock } from '../../src/ports/clock.js';
import { build, type Wired } from '../../src/wiring.js';
import { SUB1 } from '../support/estate.js';
import { startStack, type TestStack } from '../support/stack.js';
import { operatorRunner } from '../support/operatorCli.js';

const NOW = '2026-11-20T12:00:00Z';
const SERVER = `/subscriptions/${SUB1}/resourceGroups/rg-shop/providers/Microsoft.Sql/servers/sql-shop`;
const PROD = `${SERVER}/databases/shop`;
const COPY = `${SERVER}/databases/shop-fix`;
/** A database someone made by hand and labelled as a restore: its tags claim lineage, nothing proves it. */
const CLAIMED = `${SERVER}/databases/shop-old`;

/**
 * The operator CLI on SQL database copies, against the emulator: every command that writes does so through the Tags
 * API on the copy itself; the logical server and the production database never receive a write (the request log).
 * The logical server here is closed (public access Disabled, no firewall rules), so the copy breaks no network rule
 * and the notice's Network lines are the only place its exposure is reported.
 */
describe('operator CLI on SQL database copies', () => {
  const clock = fixedClock(NOW);
  let stack: TestStack;
  let wired: Wired;

  const run = operatorRunner(() => ({ ...wired, clock }));
  const tag = (name: 'extend' | 'hold' | 'release') => (o: OperatorCommandOptions) =>
    tagCommands(o).find((c) => c.name() === name)!;
  const as = ['--as', 'alice@contoso.com'];
  /** Writes since `from` (an index into the request log), as [operation, lower-case path]. */
  const writesSince = (from: number) =>
    stack.emulator.requests
      .entries()
      .slice(from)
      .filter((r) => ['PUT', 'PATCH', 'DELETE', 'POST'].includes(r.method) && r.operation !== 'Email_Send')
      .map((r) => [r.operation, r.path.toLowerCase()]);
  const mark = () => stack.emulator.requests.entries().length;
  const tagsOf = (id: string) => [
    ['Tags_UpdateAtScope', `${id}/providers/Microsoft.Resources/tags/default`.toLowerCase()],
  ];
  const live = async (id: string) => (await wired.servers.get(id))!;
  const row = async (id: string) => (await wired.inventory.get(id.toLowerCase()))!.value;

  beforeAll(async () => {
    stack = await startStack({
      snapshot: {
        servers: [],
        sqlServers: [
          {
            id: SERVER,
            name: 'sql-shop',
            type: 'Microsoft.Sql/servers',
            location: 'westeurope',
            properties: { administratorLogin: 'shopadmin', publicNetworkAccess: 'Disabled' },
          },
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
          {
            id: CLAIMED,
            name: 'shop-old',
            type: 'Microsoft.Sql/servers/databases',
            location: 'westeurope',
            tags: {
              Owner: 'bob@contoso.com',
              RestoredFrom: PROD,
              RestorePointUtc: '2026-11-10T08:00:00Z',
              Purpose: 'compare orders',
              ExpiresOn: '2026-11-30',
            },
            properties: { currentServiceObjectiveName: 'S0', creationDate: '2026-11-10T09:00:00Z' },
          },
        ],
      },
      now: () => clock.now(),
    });
    wired = await build(loadConfig(stack.settings));
    const restored = await run(restoreCommand, [
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
      ...as,
      '--output',
      'json',
    ]);
    expect(restored.exitCode, restored.stderr).toBeUndefined();
    expect((JSON.parse(restored.stdout) as RestoreRecord).newServerId).toBe(COPY);
    await reconcile({ ...wired, clock });
  });
  afterAll(async () => stack?.close());

  it('the copy is governed (proven by its governed restore) and the hand-made look-alike is only claimed', async () => {
    expect(await row(COPY)).toMatchObject({
      engine: 'sql-database',
      classification: 'clone',
      state: 'governed',
      violations: [],
    });
    expect((await row(COPY)).proof).toMatchObject({ level: 'proven', basis: 'governed-restore' });
    expect((await row(CLAIMED)).proof).toMatchObject({ level: 'claimed' });
  });

  it("the owner's notice reports the closed logical server's exposure though the copy breaks no rule", async () => {
    const mailer = createAcsMailer({
      sender: wired.config.mail.sender,
      connectionString: stack.emulator.acsConnectionString,
      clientOptions: emailClientOptions(stack.emulator),
      pollIntervalInMs: 10,
    });
    const outcome = await sendOwnerNotices({ ...wired, clock: fixedClock('2026-11-20T12:05:00Z'), mailer });
    expect(outcome.failed).toEqual([]);
    const text = stack.emulator.mailbox
      .to('alice@contoso.com')
      .map((m) => m.plainText)
      .join('\n');
    expect(text).toContain('shop-fix');
    expect(text).not.toContain('To fix:');
    expect(text).toMatch(
      /Network: {10}through logical server sql-shop, shared with production: public network access Disabled\n {20}- no firewall rules\n {20}reported, never changed: pitr-warden never modifies a logical server/,
    );
  });

  it('extend writes ExpiresOn through the Tags API on the database, and nothing else', async () => {
    const from = mark();
    const result = await run(tag('extend'), ['shop-fix', '--until', '2026-12-10', ...as, '--output', 'json']);
    expect(result.exitCode, result.stderr).toBeUndefined();
    expect(JSON.parse(result.stdout)).toMatchObject({
      serverId: COPY,
      outcome: 'changed',
      after: { ExpiresOn: '2026-12-10T00:00:00Z' },
    });
    expect((await live(COPY)).tags.ExpiresOn).toBe('2026-12-10T00:00:00Z');
    expect(writesSince(from)).toEqual(tagsOf(COPY));
  });

  it('hold and release write and remove LegalHold on the database, by resource id too', async () => {
    let from = mark();
    expect(
      (await run(tag('hold'), [COPY.toUpperCase(), '--reason', 'litigation INC-9', ...as])).exitCode,
    ).toBeUndefined();
    expect((await live(COPY)).tags.LegalHold).toBe('litigation INC-9');
    expect(writesSince(from)).toEqual(tagsOf(COPY));

    from = mark();
    const released = await run(tag('release'), ['shop-fix', '--reason', 'case closed', ...as, '--output', 'json']);
    expect(released.exitCode, released.stderr).toBeUndefined();
    expect((await live(COPY)).tags.LegalHold).toBeUndefined();
    expect(writesSince(from)).toEqual(tagsOf(COPY));
  });

  it('a tag command on the production database is refused with no write', async () => {
    const from = mark();
    await expect(run(tag('extend'), [PROD, '--until', '2026-12-10', ...as])).rejects.toThrow(
      /Cannot extend shop: it is not a clone/,
    );
    expect(writesSince(from)).toEqual([]);
  });

  it('confirm --clone proves the claimed database: a record in the inventory and evidence, no Azure write', async () => {
    const from = mark();
    const result = await run(confirmCommand, [
      'shop-old',
      '--clone',
      '--reason',
      'checked the restore ticket with bob',
      ...as,
      '--output',
      'json',
    ]);
    expect(result.exitCode, result.stderr).toBeUndefined();
    expect(JSON.parse(result.stdout)).toMatchObject({
      serverId: CLAIMED,
      outcome: 'recorded',
      decision: { kind: 'confirmed-clone', by: 'alice@contoso.com' },
    });
    expect(writesSince(from)).toEqual([]);
    await reconcile({ ...wired, clock });
    expect((await row(CLAIMED)).proof).toMatchObject({ level: 'proven', basis: 'operator' });
  });

  it("promote ends the copy's clone lifecycle: ExpiresOn removed through the Tags API on the database", async () => {
    const from = mark();
    const result = await run(promoteCommand, [
      'shop-fix',
      '--reason',
      'CHG-77: the shop now runs on shop-fix',
      ...as,
      '--output',
      'json',
    ]);
    expect(result.exitCode, result.stderr).toBeUndefined();
    expect(JSON.parse(result.stdout)).toMatchObject({
      serverId: COPY,
      outcome: 'recorded',
      removedTags: { ExpiresOn: '2026-12-10T00:00:00Z' },
    });
    expect((await live(COPY)).tags.ExpiresOn).toBeUndefined();
    expect(writesSince(from)).toEqual(tagsOf(COPY));
    await reconcile({ ...wired, clock });
    expect(await row(COPY)).toMatchObject({ state: 'promoted' });
  });

  it('status counts the SQL copies by state; inventory list shows them with their engine', async () => {
    const status = await run(statusCommand, ['--output', 'json']);
    expect((JSON.parse(status.stdout) as WardenStatus).clones).toMatchObject({ total: 2, promoted: 1, governed: 1 });

    Object.assign(process.env, stack.settings);
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: () => undefined };
    await inventoryCommand(io).exitOverride().parseAsync(['list', '--output', 'json'], { from: 'user' });
    const rows = JSON.parse(out.join('')) as InventoryRecord[];
    expect(rows.map((r) => [r.name, r.engine, r.state]).sort()).toEqual([
      ['shop-fix', 'sql-database', 'promoted'],
      ['shop-old', 'sql-database', 'governed'],
    ]);
    out.length = 0;
    await inventoryCommand(io).exitOverride().parseAsync(['list', '--all'], { from: 'user' });
    expect(out.join('')).toMatch(/^shop\s+SQL Database\s+rg-shop\s+not-a-clone/m);
    expect(out.join('')).toMatch(
      /^shop-fix\s+SQL Database\s+rg-shop\s+clone\s+proven \(governed-restore\)\s+promoted/m,
    );
  });

  it('across every command, the logical server and the production database received no write', () => {
    const writes = writesSince(0);
    const under = (path: string, id: string) => path === id.toLowerCase() || path.startsWith(`${id.toLowerCase()}/`);
    expect(writes.filter(([, path]) => under(path!, PROD))).toEqual([]);
    expect(writes.filter(([, path]) => under(path!, SERVER) && !under(path!, COPY) && !under(path!, CLAIMED))).toEqual(
      [],
    );
    // The copy's create, then Tags API writes only.
    expect([...new Set(writes.map(([op]) => op))].sort()).toEqual(['Databases_CreateOrUpdate', 'Tags_UpdateAtScope']);
  });
});
