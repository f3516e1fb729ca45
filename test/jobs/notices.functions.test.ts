import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { reconcile } from '../../src/jobs/reconcile.js';
import { startLocalHost, type LocalHost } from '../../src/local/functionsHost.js';
import { build } from '../../src/wiring.js';
import { armServer } from '../support/estate.js';
import { startStack, type TestStack } from '../support/stack.js';
import { withRestoreLog } from '../support/restoreLog.js';

const DAY = 86_400_000;

describe('the sendOwnerNotices and sendFinopsSummary timer functions, as the Functions host runs them', () => {
  const now = Date.now();
  const source = armServer({ name: 'pg-src', tags: { Owner: 'src-team@contoso.com' }, publicAccess: false });
  const clone = armServer({
    name: 'pg-src-restore',
    createdAt: new Date(now - DAY).toISOString(),
    publicAccess: false,
    sku: { name: 'Standard_B1ms', tier: 'Burstable' },
    storageSizeGb: 32,
    tags: {
      Owner: 'olga@contoso.com',
      RestoredFrom: source.id,
      RestorePointUtc: new Date(now - 2 * DAY).toISOString(),
      RestoredBy: 'olga@contoso.com',
      Incident: 'INC-42',
      ExpiresOn: new Date(now + 10 * DAY).toISOString().slice(0, 10),
    },
  });
  let stack: TestStack;
  let host: LocalHost;
  // Schedules that do not fire during the test: the test runs the timers itself.
  const settings = () => ({
    ...stack.settings,
    NOTICES_SCHEDULE: '0 0 0 1 1 *',
    FINOPS_SUMMARY_SCHEDULE: '0 0 0 1 1 *',
  });

  beforeAll(async () => {
    stack = await startStack({ snapshot: withRestoreLog({ servers: [source, clone], firewallRules: {}, locks: {} }) });
    expect((await reconcile(await build(loadConfig(stack.settings)))).failed).toEqual([]);
    host = await startLocalHost({
      entry: new URL('../../functions/sendOwnerNotices.ts', import.meta.url).pathname,
      settings: settings(),
    });
  });
  afterAll(async () => {
    await host?.close();
    await stack?.close();
  });

  it('sendOwnerNotices runs on %NOTICES_SCHEDULE% and mails the owner through the wired ACS mailer', async () => {
    expect(host.functions.map((f) => [f.name, f.trigger.schedule])).toEqual([
      ['sendOwnerNotices', '%NOTICES_SCHEDULE%'],
    ]);
    await host.runTimer('sendOwnerNotices');
    expect(host.invocations.map((i) => [i.functionName, i.outcome, i.error])).toEqual([
      ['sendOwnerNotices', 'succeeded', undefined],
    ]);
    const mails = stack.emulator.mailbox.to('olga@contoso.com');
    expect(mails.map((m) => m.subject)).toEqual([
      expect.stringMatching(/^\[pitr-warden\] pg-src-restore: new/) as unknown,
    ]);
    expect(mails[0]?.plainText).toContain('pg-src-restore');
    expect(mails[0]?.plainText).toContain('Azure Retail Prices API'); // through the emulator, trusting its CA
  });

  it('sendFinopsSummary runs on %FINOPS_SUMMARY_SCHEDULE% and mails FINOPS_MAILBOX', async () => {
    const finops = await startLocalHost({
      entry: new URL('../../functions/sendFinopsSummary.ts', import.meta.url).pathname,
      settings: settings(),
    });
    try {
      expect(finops.functions.map((f) => [f.name, f.trigger.schedule])).toEqual([
        ['sendFinopsSummary', '%FINOPS_SUMMARY_SCHEDULE%'],
      ]);
      await finops.runTimer('sendFinopsSummary');
      expect(finops.invocations.map((i) => i.outcome)).toEqual(['succeeded']);
      const [mail] = stack.emulator.mailbox.to('finops@contoso.com');
      expect(mail?.plainText).toContain('pg-src-restore');
    } finally {
      await finops.close();
    }
  });
});
