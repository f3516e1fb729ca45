import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAcsMailer } from '../../src/adapters/azure/email/mailer.js';
import { loadConfig } from '../../src/config.js';
import { serverKey } from '../../src/domain/ids.js';
import { sendOwnerNotices } from '../../src/jobs/notices.js';
import { reconcile } from '../../src/jobs/reconcile.js';
import { emailClientOptions } from '../../src/local/emulator/index.js';
import { fixedClock } from '../../src/ports/clock.js';
import { MailerError } from '../../src/ports/mailer.js';
import { build, type Wired } from '../../src/wiring.js';
import { armServer, SUB1 } from '../support/estate.js';
import { startStack, type TestStack } from '../support/stack.js';
import { withRestoreLog } from '../support/restoreLog.js';

const NOW = '2026-11-21T09:00:00.000Z';
const HOUR = 3_600_000;

/** The notices deps of a stack, on a fixed clock, polling ACS every 10 ms. */
async function noticesDeps(
  stack: TestStack,
  clock: ReturnType<typeof fixedClock>,
  settings: Record<string, string> = {},
): Promise<Wired> {
  const wired = await build(loadConfig({ ...stack.settings, ...settings }));
  const connectionString = settings.ACS_CONNECTION_STRING ?? stack.emulator.acsConnectionString;
  const mailer = createAcsMailer({
    sender: wired.config.mail.sender,
    connectionString,
    clientOptions: emailClientOptions(stack.emulator),
    pollIntervalInMs: 10,
  });
  return { ...wired, clock, mailer };
}

describe('owner notices over examples/estate.json, on the emulator and Azurite', () => {
  const clock = fixedClock(NOW);
  let stack: TestStack;
  let deps: Wired;

  beforeAll(async () => {
    stack = await startStack({ snapshot: 'examples/estate.json', now: () => clock.now() });
    deps = await noticesDeps(stack, clock);
    const reconciled = await reconcile(deps);
    expect(reconciled.failed).toEqual([]);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('sends one email per owner with the right clones and stages, and records each (clone, stage) once', async () => {
    const outcome = await sendOwnerNotices(deps);

    // Only proven clones' owners hear from the warden: the claimed pg-inventory-prod-pitr-1109 and the suspected
    // pg-orders-copy are on the review list instead, and their owners get nothing.
    expect(outcome).toMatchObject({ owners: 6, sent: 6, failed: [], deferred: 0, problems: [] });
    const mails = stack.emulator.mailbox.list();
    const recipients = mails.map((m) => m.to.map((t) => t.address).join(','));
    expect(recipients.sort()).toEqual(
      [
        'alice@contoso.com',
        'bob@contoso.com',
        'dave@example.com',
        'erin@contoso.com',
        'frank@example.com',
        'grace@example.com',
      ].sort(),
    );
    const rows = await deps.inventory.list();
    const stagesOf = (name: string) =>
      rows
        .find((r) => r.name === name)!
        .noticesSent.map((n) => `${n.stage}${n.leadDays ? `:${n.leadDays}` : ''}>${n.to}`)
        .sort();
    expect(stagesOf('pg-inventory-prod-pitr-1109')).toEqual([]);
    expect(stagesOf('pg-orders-copy')).toEqual([]);
    // Expired before its owner was ever told: the countdown restarts, so the first digest is the new-clone notice alone.
    expect(stagesOf('pg-crm-prod-pitr-1030')).toEqual(['new-clone>dave@example.com']);
    expect(stagesOf('pg-crm-prod-pitr-1115')).toEqual([
      'new-clone>grace@example.com',
      'noncompliant>grace@example.com',
    ]);
    expect(stagesOf('pg-orders-prod-restore-1114')).toEqual(['new-clone>bob@contoso.com']);
    // The MySQL clone of the estate: bob's digest names it beside his PostgreSQL clone.
    expect(stagesOf('my-payments-prod-pitr-1116')).toEqual(['new-clone>bob@contoso.com']);
    expect(stack.emulator.mailbox.to('bob@contoso.com')[0]!.plainText).toContain('my-payments-prod-pitr-1116');
    // Legal hold and a delete lock: expired, but no countdown is announced.
    expect(stagesOf('pg-billing-prod-pitr-1020')).toEqual(['new-clone>erin@contoso.com']);
    expect(stagesOf('pg-analytics-prod-pitr-1101')).toEqual(['new-clone>frank@example.com']);
    expect(stagesOf('pg-orders-prod-pitr-20261121')).toEqual([
      'new-clone>alice@contoso.com',
      'noncompliant>alice@contoso.com',
    ]);
    expect(rows.filter((r) => r.classification === 'not-a-clone').every((r) => r.noticesSent.length === 0)).toBe(true);

    // What the owner reads: the clone, the stage, the cost and where the prices came from, how to extend.
    const dave = stack.emulator.mailbox.to('dave@example.com')[0]!;
    expect(dave.subject).toMatch(/^\[pitr-warden\] pg-crm-prod-pitr-1030: new, expires /);
    expect(dave.subject).not.toContain('final notice');
    expect(dave.plainText).toContain('pg-crm-prod-pitr-1030');
    expect(dave.plainText).not.toContain('deleted no earlier than');
    expect(dave.plainText).toMatch(/USD \d+\.\d{2} per day/);
    expect(dave.plainText).toContain('Azure Retail Prices API');
    expect(dave.plainText).toContain('set the tag ExpiresOn');
    expect(dave.html).toContain('pg-crm-prod-pitr-1030');
    expect(dave.headers['X-PITR-Warden-Run']).toBe(`sendOwnerNotices:${NOW}`);
    expect(stack.emulator.mailbox.to('carol@contoso.com')).toEqual([]);

    const evidence = await deps.evidence.list(serverKey(rows.find((r) => r.name === 'pg-crm-prod-pitr-1030')!.id));
    expect(
      evidence
        .filter((e) => e.kind === 'notice-sent')
        .map((e) => e.id)
        .sort(),
    ).toEqual([`notice:new-clone:${NOW}`]);
    const run = (await deps.runs.list()).find((r) => r.job === 'sendOwnerNotices');
    expect(run).toMatchObject({
      lastOutcome: 'succeeded',
      counts: expect.objectContaining({ sent: 6, notices: 11 }) as unknown,
    });
  });

  it('a second run the same day sends nothing new', async () => {
    clock.advance(2 * HOUR);
    const before = stack.emulator.mailbox.list().length;
    const outcome = await sendOwnerNotices(deps);
    expect(outcome).toMatchObject({ owners: 0, sent: 0, notices: 0, failed: [] });
    expect(stack.emulator.mailbox.list()).toHaveLength(before);
  });
});

describe('owner notices: escaping, allowed domains, ACS failures', () => {
  const clock = fixedClock(NOW);
  const source = armServer({ name: 'pg-src', tags: { Owner: 'src-team@contoso.com' }, publicAccess: false });
  const clone = (name: string, owner: string, tags: Record<string, string>) =>
    armServer({
      name,
      createdAt: '2026-11-19T09:00:00Z',
      publicAccess: false,
      sku: { name: 'Standard_B1ms', tier: 'Burstable' },
      storageSizeGb: 32,
      tags: {
        Owner: owner,
        RestoredFrom: source.id,
        RestorePointUtc: '2026-11-19T08:00:00Z',
        RestoredBy: owner,
        ExpiresOn: '2026-12-01',
        ...tags,
      },
    });
  const script = '<script>alert("owned")</script> & <b>bold</b>';
  const snapshot = {
    servers: [
      source,
      clone('pg-xss', 'mallory@contoso.com', { Purpose: script }),
      clone('pg-outsider', 'eve@gmail.com', { Incident: 'INC-7' }),
      // No Incident or Purpose: its noncompliant notice is the most urgent digest, so it goes first and meets the
      // injected fault. Expired before its owner was told: the countdown restarts, no final notice in the first digest.
      clone('pg-flaky', 'flaky@contoso.com', { ExpiresOn: '2026-11-20' }),
    ],
    firewallRules: {},
    locks: {},
  };
  let stack: TestStack;
  let deps: Wired;
  const key = (name: string) =>
    serverKey(
      `/subscriptions/${SUB1}/resourceGroups/rg-prod/providers/Microsoft.DBforPostgreSQL/flexibleServers/${name}`,
    );

  beforeAll(async () => {
    stack = await startStack({ snapshot: withRestoreLog(snapshot), now: () => clock.now() });
    deps = await noticesDeps(stack, clock);
    expect((await reconcile(deps)).failed).toEqual([]);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('a wrong ACS key fails the run with a clear error naming the recipient, and records nothing as sent', async () => {
    const wrongKey = stack.emulator.acsConnectionString.replace(
      /accesskey=.*/i,
      `accesskey=${Buffer.from('not-the-key').toString('base64')}`,
    );
    const wrong = await noticesDeps(stack, clock, { ACS_CONNECTION_STRING: wrongKey });

    const error = await sendOwnerNotices(wrong).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MailerError);
    expect((error as MailerError).statusCode).toBe(401);
    expect((error as MailerError).message).toMatch(
      /^Could not send email to flaky@contoso\.com through ACS at https:\/\/127\.0\.0\.1:\d+\/: 401 .*signature.*check the access key in ACS_CONNECTION_STRING/,
    );
    expect((error as MailerError).message).not.toContain(Buffer.from('not-the-key').toString('base64'));
    expect(stack.emulator.mailbox.list()).toHaveLength(0);
    for (const name of ['pg-xss', 'pg-outsider', 'pg-flaky'])
      expect((await deps.inventory.get(key(name)))!.value.noticesSent).toEqual([]);
    expect((await deps.evidence.list(key('pg-flaky'))).filter((e) => e.kind === 'notice-failed')).toHaveLength(2);
    expect((await deps.runs.list()).find((r) => r.job === 'sendOwnerNotices')).toMatchObject({
      lastOutcome: 'failed',
      lastError: expect.stringContaining('401') as unknown,
    });
  });

  it('escapes tag values in HTML, mails outsiders via the fallback with the reason, and leaves a failed send unsent', async () => {
    clock.advance(60_000);
    stack.emulator.faults.add({
      operation: 'Email_Send',
      failLro: true,
      errorCode: 'EmailDropped',
      errorMessage: 'mailbox unavailable (injected)',
      times: 1,
    });
    const outcome = await sendOwnerNotices(deps);

    expect(outcome).toMatchObject({ owners: 3, sent: 2, deferred: 0 });
    expect(outcome.failed).toEqual([
      { to: 'flaky@contoso.com', reason: expect.stringContaining('mailbox unavailable (injected)') as unknown },
    ]);

    // Escaped in HTML: the script arrives as text, never as markup.
    const mallory = stack.emulator.mailbox.to('mallory@contoso.com');
    expect(mallory).toHaveLength(1);
    expect(mallory[0]!.html).toContain(
      '&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;',
    );
    expect(mallory[0]!.html).not.toContain('<script>');
    expect(mallory[0]!.html).not.toContain('<b>bold</b>');

    // The owner outside the allowed domains is not mailed; the fallback mailbox gets the clone and the reason.
    expect(stack.emulator.mailbox.to('eve@gmail.com')).toEqual([]);
    const fallback = stack.emulator.mailbox.to('dba-team@contoso.com');
    expect(fallback).toHaveLength(1);
    expect(fallback[0]!.plainText).toContain('pg-outsider');
    expect(fallback[0]!.plainText).toContain('owner domain gmail.com is not an allowed recipient domain');
    expect((await deps.inventory.get(key('pg-outsider')))!.value.noticesSent.map((n) => `${n.stage}>${n.to}`)).toEqual([
      'new-clone>dba-team@contoso.com',
    ]);

    // The failed send: not recorded as sent, recorded as failed.
    expect((await deps.inventory.get(key('pg-flaky')))!.value.noticesSent).toEqual([]);
    const failedEvidence = (await deps.evidence.list(key('pg-flaky'))).filter(
      (e) => e.kind === 'notice-failed' && e.at === clock.now().toISOString(),
    );
    expect(failedEvidence.map((e) => e.reason)).toEqual([
      expect.stringContaining('mailbox unavailable (injected)'),
      expect.stringContaining('mailbox unavailable (injected)'),
    ]);
  });

  it('the next run retries the failed notice, and only that one', async () => {
    clock.advance(HOUR);
    const before = stack.emulator.mailbox.list().length;
    const outcome = await sendOwnerNotices(deps);
    expect(outcome).toMatchObject({ owners: 1, sent: 1, notices: 2, failed: [] });
    const added = stack.emulator.mailbox.list().slice(before);
    expect(added.map((m) => m.to[0]!.address)).toEqual(['flaky@contoso.com']);
    expect((await deps.inventory.get(key('pg-flaky')))!.value.noticesSent.map((n) => n.stage).sort()).toEqual([
      'new-clone',
      'noncompliant',
    ]);
  });
});
