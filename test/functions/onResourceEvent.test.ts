import { PostgreSQLManagementFlexibleServerClient } from '@azure/arm-postgresql-flexible';
import { InvocationContext, type Timer } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTables, type TableStores } from '../../src/adapters/azure/tables/tables.js';
import { EventFormatError } from '../../src/domain/events.js';
import { serverKey } from '../../src/domain/ids.js';
import { armClientOptions } from '../../src/local/emulator/index.js';
import { SUB1, productionEstate } from '../support/estate.js';
import { startStack, type TestStack } from '../support/stack.js';

/** The queue and timer triggers called as the host calls them: the decoded message (or the timer) and a real InvocationContext. */
describe('onResourceEvent and reconcile (queue and timer triggers)', () => {
  const { prod, snapshot } = productionEstate();
  let stack: TestStack;
  let stores: TableStores;
  let triggers: {
    onResourceEvent: (message: unknown, context: InvocationContext) => Promise<void>;
    reconcile: (timer: Timer, context: InvocationContext) => Promise<void>;
  };
  const logged: string[] = [];
  const context = (functionName: string) =>
    new InvocationContext({
      functionName,
      invocationId: 'test',
      logHandler: (level, ...args) => logged.push(`${level}: ${args.join(' ')}`),
    });

  beforeAll(async () => {
    stack = await startStack({ snapshot });
    // config() and wire() are built once per process from process.env: point them at this stack before the first call.
    Object.assign(process.env, stack.settings);
    const [{ onResourceEvent }, { reconcile }] = await Promise.all([
      import('../../functions/onResourceEvent.js'),
      import('../../functions/reconcile.js'),
    ]);
    triggers = { onResourceEvent, reconcile };
    stores = await openTables({ connectionString: stack.azurite.connectionString, prefix: stack.config.tablePrefix });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('onResourceEvent governs the restore its event names: row, tags and the open rule, with a log line per server', async () => {
    const pg = new PostgreSQLManagementFlexibleServerClient(
      stack.emulator.credential,
      SUB1,
      armClientOptions(stack.emulator),
    );
    await pg.servers.beginCreateOrUpdateAndWait(
      'rg-prod',
      'pg-orders-restore',
      {
        location: 'eastus',
        createMode: 'PointInTimeRestore',
        sourceServerResourceId: prod.id,
        pointInTimeUTC: new Date(Date.now() - 3_600_000),
      },
      { updateIntervalInMs: 1 },
    );
    const [event] = stack.emulator.events.emitted();
    const key = serverKey(String(event!.subject));

    await triggers.onResourceEvent(event, context('onResourceEvent'));
    expect((await stores.inventory.get(key))?.value).toMatchObject({
      classification: 'clone',
      state: 'governed',
      owner: 'operator@contoso.com',
    });
    expect((await pg.servers.get('rg-prod', 'pg-orders-restore')).tags?.RestoredFrom).toBe(prod.id);
    const rules: string[] = [];
    for await (const r of pg.firewallRules.listByServer('rg-prod', 'pg-orders-restore')) rules.push(r.name!);
    expect(rules).toEqual([]);
    expect(logged).toContainEqual(
      expect.stringMatching(new RegExp(`^information: ${key}: clone; done .*tag.*delete-firewall-rule`)),
    );
  });

  it('onResourceEvent logs why a message cannot be read on every attempt (host.json passes the text as queued)', async () => {
    const garbage = new InvocationContext({
      functionName: 'onResourceEvent',
      invocationId: 'garbage',
      triggerMetadata: { id: 'msg-7', dequeueCount: 3 },
      logHandler: (level, ...args) => logged.push(`${level}: ${args.join(' ')}`),
    });
    await expect(triggers.onResourceEvent('%%% not an event %%%', garbage)).rejects.toBeInstanceOf(EventFormatError);
    expect(logged).toContainEqual(
      expect.stringMatching(/^error: queue message msg-7 \(attempt 3\) cannot be read: delivery: not JSON/),
    );
  });

  it('onResourceEvent throws on a message that is not an event, so the host retries it and then moves it to the poison queue', async () => {
    const rowsBefore = (await stores.inventory.list()).length;
    await expect(triggers.onResourceEvent({ hello: 'world' }, context('onResourceEvent'))).rejects.toBeInstanceOf(
      EventFormatError,
    );
    expect((await stores.inventory.list()).length).toBe(rowsBefore);
  });

  it('reconcile lists the subscription, records the production server as listed, and logs its counts', async () => {
    logged.length = 0;
    await triggers.reconcile(
      { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: { last: '', next: '', lastUpdated: '' } },
      context('reconcile'),
    );
    expect((await stores.inventory.get(serverKey(prod.id)))?.value).toMatchObject({
      classification: 'not-a-clone',
      state: 'listed',
    });
    expect(logged).toContainEqual(
      expect.stringMatching(
        /^information: reconcile: 2 servers in 1 subscriptions, 1 clones, 1 added, 0 updated, 0 vanished, 0 failed$/,
      ),
    );
    const runs = await stores.runs.list();
    expect(runs.find((r) => r.job === 'reconcile')).toMatchObject({ lastOutcome: 'succeeded' });
  });

  it('onResourceEvent accepts an event queued as plain JSON text, not only base64', async () => {
    const pg = new PostgreSQLManagementFlexibleServerClient(
      stack.emulator.credential,
      SUB1,
      armClientOptions(stack.emulator),
    );
    await pg.servers.beginCreateOrUpdateAndWait(
      'rg-prod',
      'pg-orders-plain',
      {
        location: 'eastus',
        createMode: 'PointInTimeRestore',
        sourceServerResourceId: prod.id,
        pointInTimeUTC: new Date(Date.now() - 3_600_000),
      },
      { updateIntervalInMs: 1 },
    );
    const event = stack.emulator.events.emitted().find((e) => String(e.subject).endsWith('/pg-orders-plain'));
    await triggers.onResourceEvent(JSON.stringify(event), context('onResourceEvent'));
    expect((await stores.inventory.get(serverKey(String(event!.subject))))?.value).toMatchObject({
      classification: 'clone',
    });
  });
});
