import { describe, expect, it } from 'vitest';
import { previewOwnerNotices, sendFinopsSummary, sendOwnerNotices } from '../../src/jobs/notices.js';
import { mailRoute } from '../../src/domain/owner.js';
import { cloneServer, memoryNoticesDeps, NOW } from './notices.support.js';

const HOUR = 3_600_000;

describe('owner notices: stages, cost and the FinOps summary (memory adapters)', () => {
  it('states the cost of a Standard_B1ms clone as a hand calculation from the price table gives it', async () => {
    // eastus: B1ms USD 0.017/hour; storage USD 0.115/GB-month over 730 h. 32 GB: 0.017 + 32 x 0.115 / 730 = 0.022041/h.
    // Per day x 24 = 0.5290 -> USD 0.53; created 48 h before now -> 1.0580 -> USD 1.06 so far.
    const { deps, mailer } = await memoryNoticesDeps([cloneServer('pg-cost', 'cost@contoso.com')]);
    await sendOwnerNotices(deps);
    const [mail] = mailer.sent;
    expect(mail?.plainText).toContain('USD 0.53 per day, USD 1.06 so far');
    expect(mail?.plainText).toContain('the price table dated 2026-11-01');
  });

  it('sends the deleted notice once for a row the sweep marked deleted, with when, who and why', async () => {
    const gone = cloneServer('pg-gone', 'gone@contoso.com');
    const servers = [gone];
    const { deps, mailer, stores, clock } = await memoryNoticesDeps(servers);
    await sendOwnerNotices(deps); // the new-clone notice
    servers.splice(0, servers.length); // deleted in ARM
    const row = (await stores.inventory.get(gone.key))!;
    await stores.inventory.upsert(
      {
        ...row.value,
        state: 'deleted',
        deletedAt: '2026-11-21T10:30:00Z',
        deletedBy: 'pitr-warden',
        deleteReason: 'expired 2026-11-18, final notice sent',
      },
      { ifMatch: row.etag },
    );

    clock.advance(2 * HOUR);
    const outcome = await sendOwnerNotices(deps);
    expect(outcome).toMatchObject({ owners: 1, sent: 1, notices: 1 });
    const mail = mailer.sent.at(-1)!;
    expect(mail.to).toBe('gone@contoso.com');
    expect(mail.plainText).toContain('pg-gone');
    expect(mail.plainText).toContain('2026-11-21 10:30 UTC');
    expect(mail.plainText).toContain('expired 2026-11-18, final notice sent');
    expect((await stores.inventory.get(gone.key))!.value.noticesSent.map((n) => n.stage)).toEqual([
      'new-clone',
      'deleted',
    ]);

    clock.advance(HOUR);
    expect(await sendOwnerNotices(deps)).toMatchObject({ owners: 0, sent: 0 });
  });

  it('sends the reminder for each lead time once, and none for an expiry the owner moved out of the window', async () => {
    const servers = [cloneServer('pg-soon', 'soon@contoso.com', { ExpiresOn: '2026-11-23T09:00:00Z' })];
    const { deps, mailer, clock } = await memoryNoticesDeps(servers);
    await sendOwnerNotices(deps); // new-clone: the countdown starts once the owner heard of the clone
    expect(mailer.sent[0]?.plainText).not.toContain('reminder');
    clock.advance(HOUR);
    await sendOwnerNotices(deps); // reminder (3 days)
    expect(mailer.sent[1]?.subject).toMatch(/expiring soon/);
    // The owner extends the clone before the 1-day reminder is due: the live tag counts, not the row.
    servers[0] = cloneServer('pg-soon', 'soon@contoso.com', { ExpiresOn: '2026-11-30T09:00:00Z' });
    clock.set('2026-11-22T10:00:00Z');
    expect(await sendOwnerNotices(deps)).toMatchObject({ owners: 0, sent: 0 });
    // Moved back: the 1-day window opens, one reminder.
    servers[0] = cloneServer('pg-soon', 'soon@contoso.com', { ExpiresOn: '2026-11-23T09:00:00Z' });
    expect(await sendOwnerNotices(deps)).toMatchObject({ sent: 1, notices: 1 });
    expect(mailer.sent.at(-1)?.plainText).toContain('reminder (1 days before expiry)');
  });

  it('a thrown send (not an authentication failure) is a failed notice, the run goes on', async () => {
    const { MailerError } = await import('../../src/ports/mailer.js');
    const { deps, mailer, stores } = await memoryNoticesDeps([
      cloneServer('pg-a', 'a@contoso.com'),
      cloneServer('pg-b', 'b@contoso.com'),
    ]);
    mailer.throwNext(
      'a@contoso.com',
      new MailerError('Could not send email to a@contoso.com through ACS at x: socket hang up', 'a@contoso.com'),
    );
    const outcome = await sendOwnerNotices(deps);
    expect(outcome).toMatchObject({
      owners: 2,
      sent: 1,
      failed: [{ to: 'a@contoso.com', reason: expect.stringContaining('socket hang up') as unknown }],
    });
    const rows = await stores.inventory.list();
    expect(rows.map((r) => [r.name, r.noticesSent.length])).toEqual([
      ['pg-a', 0],
      ['pg-b', 1],
    ]);
    expect((await stores.evidence.list(rows[0]!.key)).map((e) => e.kind)).toContain('notice-failed');
    expect((await stores.runs.list()).find((r) => r.job === 'sendOwnerNotices')).toMatchObject({
      lastOutcome: 'failed',
    });
  });

  it('previews without sending or recording, one recipient with --owner', async () => {
    const { deps, mailer, stores } = await memoryNoticesDeps([
      cloneServer('pg-a', 'a@contoso.com'),
      cloneServer('pg-b', 'b@contoso.com'),
    ]);
    const all = await previewOwnerNotices(deps);
    expect(all.digests.map((d) => d.to)).toEqual(['a@contoso.com', 'b@contoso.com']);
    const one = await previewOwnerNotices(deps, { owner: 'B@contoso.com' });
    expect(one.digests.map((d) => [d.to, d.notices.map((n) => `${n.server}:${n.stage}`)])).toEqual([
      ['b@contoso.com', ['pg-b:new-clone']],
    ]);
    expect(one.digests[0]?.html).toContain('pg-b');
    expect(mailer.sent).toEqual([]);
    expect((await stores.inventory.list()).every((r) => r.noticesSent.length === 0)).toBe(true);
  });

  it('sends the weekly FinOps summary to FINOPS_MAILBOX, alive and deleted clones with cost', async () => {
    const servers = [
      cloneServer('pg-alive', 'a@contoso.com'),
      cloneServer('pg-old', 'b@contoso.com', { ExpiresOn: '2026-11-20' }),
    ];
    const { deps, mailer, stores } = await memoryNoticesDeps(servers, { FINOPS_MAILBOX: 'finops@contoso.com' });
    const row = (await stores.inventory.get(servers[1]!.key))!;
    await stores.inventory.upsert(
      { ...row.value, state: 'deleted', deletedAt: NOW, deletedBy: 'pitr-warden', deleteReason: 'expired' },
      { ifMatch: row.etag },
    );

    const outcome = await sendFinopsSummary(deps);
    expect(outcome).toMatchObject({ sent: true, to: 'finops@contoso.com', clones: 2 });
    const [mail] = mailer.sent;
    expect(mail?.to).toBe('finops@contoso.com');
    expect(mail?.plainText).toContain('pg-alive');
    expect(mail?.plainText).toContain('pg-old');
    expect(mail?.plainText).toContain('USD 0.53');
    expect((await stores.runs.list()).find((r) => r.job === 'sendFinopsSummary')).toMatchObject({
      lastOutcome: 'succeeded',
    });
  });

  it('skips the FinOps summary when FINOPS_MAILBOX is not set', async () => {
    const { deps, mailer } = await memoryNoticesDeps([cloneServer('pg-alive', 'a@contoso.com')]);
    expect(await sendFinopsSummary(deps)).toEqual({ sent: false, clones: 0, skipped: 'FINOPS_MAILBOX is not set' });
    expect(mailer.sent).toEqual([]);
  });
});

describe("mailRoute: where a notice goes, decided once in the domain (the notices job sends to the plan's recipient)", () => {
  const settings = { fallbackMailbox: 'dba-team@contoso.com', allowedRecipientDomains: ['contoso.com'] };

  it('keeps an owner in an allowed domain, with no note', () => {
    expect(mailRoute('ann@contoso.com', 'claims', settings)).toEqual({ to: 'ann@contoso.com', toSource: 'claims' });
  });

  it('routes an address outside the allowed domains to the fallback, with the note its reader sees', () => {
    expect(mailRoute('x@evil.example', 'claims', settings)).toMatchObject({
      to: 'dba-team@contoso.com',
      toSource: 'fallback-domain-not-allowed',
      note: 'Sent to dba-team@contoso.com: owner domain evil.example is not an allowed recipient domain: notices go to dba-team@contoso.com',
    });
    expect(mailRoute('dba-team@contoso.com', 'fallback', settings).note).toContain('no owner is known');
  });

  it('the notice of a clone whose owner is outside the allowed domains goes to the fallback and says why', async () => {
    const { deps, mailer } = await memoryNoticesDeps([cloneServer('pg-gmail', 'eve@gmail.com')]);
    await sendOwnerNotices(deps);
    expect(mailer.sent.map((m) => m.to)).toEqual(['dba-team@contoso.com']);
    expect(mailer.sent[0]!.plainText).toContain('owner domain gmail.com is not an allowed recipient domain');
  });
});
