import { describe, expect, it } from 'vitest';
import { sendFinopsSummary, sendOwnerNotices } from '../../src/jobs/notices.js';
import { cloneServer, memoryNoticesDeps } from './notices.support.js';

/** What the notice jobs put in a mail and in the runs table mean what they say (issue 13). */
describe('owner notices mean what they say (memory adapters)', () => {
  it('a firewall rule the warden deleted reads as deleted, with the time, in the new-clone notice', async () => {
    const server = cloneServer('pg-fw', 'fw@contoso.com');
    const { deps, mailer, stores } = await memoryNoticesDeps([server]);
    const detail =
      'firewall rule "AllowAll" opens 0.0.0.0-255.255.255.255 (4294967296 addresses), and no range is allowed';
    const row = (await stores.inventory.get(server.key))!;
    await stores.inventory.upsert(
      { ...row.value, violations: [{ rule: 'network-firewall', detail }], compliant: false },
      { ifMatch: row.etag },
    );
    await stores.evidence.append([
      {
        serverKey: server.key,
        id: 'violation:1',
        at: '2026-11-21T08:13:00Z',
        actor: 'pitr-warden',
        kind: 'violation',
        summary: `network-firewall: ${detail}`,
        details: { rule: 'network-firewall', detail },
      },
      {
        serverKey: server.key,
        id: 'delete-firewall-rule:1',
        at: '2026-11-21T08:14:00Z',
        actor: 'pitr-warden',
        kind: 'delete-firewall-rule',
        summary: 'Deleted firewall rule AllowAll (0.0.0.0-255.255.255.255) of pg-fw',
        before: { name: 'AllowAll', startIpAddress: '0.0.0.0', endIpAddress: '255.255.255.255' },
        after: { rule: 'AllowAll', deleted: true },
      },
    ]);

    await sendOwnerNotices(deps);

    const [mail] = mailer.sent;
    expect(mail?.plainText).toContain(
      'Firewall rule AllowAll (0.0.0.0-255.255.255.255) was deleted by pitr-warden at 2026-11-21 08:14 UTC.',
    );
    expect(mail?.plainText).not.toContain(detail);
    expect(mail?.subject).toBe('[pitr-warden] pg-fw: new, expires 2026-12-01 00:00 UTC');
  });

  it('a FinOps summary held back by the mail budget is not recorded as a failed run', async () => {
    const { deps, mailer, stores } = await memoryNoticesDeps([cloneServer('pg-a', 'a@contoso.com')], {
      FINOPS_MAILBOX: 'finops@contoso.com',
      MAIL_LIMIT_PER_HOUR: '1',
    });
    await sendOwnerNotices(deps); // spends the hour's one mail

    const outcome = await sendFinopsSummary(deps);

    expect(outcome).toMatchObject({ sent: false, skipped: expect.stringContaining('mail budget') as unknown });
    expect(mailer.sent).toHaveLength(1);
    const run = (await stores.runs.list()).find((r) => r.job === 'sendFinopsSummary');
    expect(run?.lastOutcome).not.toBe('failed');
    expect(run?.lastOutcome).toBe('succeeded');
  });
});
