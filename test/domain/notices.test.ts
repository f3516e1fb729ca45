import { describe, expect, it } from 'vitest';
import { loadTemplates } from '../../src/adapters/noticeTemplates.js';
import { buildDigests } from '../../src/domain/notices/digest.js';
import { renderDigest } from '../../src/domain/notices/render.js';
import { item, NOW, record, SUB_A, SUB_B } from './notices.fixtures.js';

const templates = await loadTemplates(new URL('../../templates', import.meta.url).pathname);

describe('buildDigests', () => {
  it('makes one digest per recipient covering all their clones across subscriptions', () => {
    const items = [
      item(record('pg-a1'), { stage: 'new-clone' }),
      item(record('pg-a2', { subscriptionId: SUB_B }), { stage: 'reminder', leadDays: 3 }),
      item(record('pg-a3'), { stage: 'noncompliant', recipient: '  Ana@Contoso.com ' }),
      item(record('pg-b1', { subscriptionId: SUB_B, owner: 'bob@contoso.com' }), { stage: 'new-clone' }),
    ];

    const digests = buildDigests(items, { now: NOW });

    expect(digests.map((d) => d.recipient)).toEqual(['ana@contoso.com', 'bob@contoso.com']);
    const [ana, bob] = digests;
    expect(ana!.entries.map((e) => e.item.server.name).sort()).toEqual(['pg-a1', 'pg-a2', 'pg-a3']);
    expect(ana!.subscriptionIds).toEqual([SUB_A, SUB_B]);
    expect(ana!.generatedAt).toBe(NOW.toISOString());
    expect(bob!.entries.map((e) => e.item.server.name)).toEqual(['pg-b1']);
    expect(bob!.covers).toEqual([{ serverKey: record('pg-b1', { subscriptionId: SUB_B }).key, stage: 'new-clone' }]);
  });

  it('orders by urgency: final notice, deleted, soonest expiry, non-compliant, new; the same for any input order', () => {
    const items = [
      item(record('new'), { stage: 'new-clone' }),
      item(record('fix'), { stage: 'noncompliant' }),
      item(record('later', { expiresOn: '2026-11-25T00:00:00Z' }), { stage: 'reminder', leadDays: 3 }),
      item(record('sooner', { expiresOn: '2026-11-23T00:00:00Z' }), { stage: 'reminder', leadDays: 1 }),
      item(record('gone', { state: 'deleted', deletedAt: '2026-11-21T10:00:00Z' }), { stage: 'deleted' }),
      item(record('final', { expiresOn: '2026-11-21T00:00:00Z' }), {
        stage: 'final-notice',
        deleteAfter: '2026-11-24T09:00:00Z',
      }),
    ];
    const expected = ['final', 'gone', 'sooner', 'later', 'fix', 'new'];

    const names = (list: typeof items) => buildDigests(list, { now: NOW })[0]!.entries.map((e) => e.item.server.name);

    expect(names(items)).toEqual(expected);
    expect(names([...items].reverse())).toEqual(expected);
    expect(buildDigests([...items].reverse(), { now: NOW })).toEqual(buildDigests(items, { now: NOW }));
  });

  it('shows a clone with several stages once, with every stage covered and the violations of all of them', () => {
    const r = record('pg-x', {
      violations: [{ rule: 'network-firewall', detail: 'rule AllowAll 0.0.0.0-255.255.255.255' }],
    });
    const fixed = {
      rule: 'required-tags' as const,
      detail: 'missing ExpiresOn tag',
      text: 'The missing ExpiresOn tag was set to 2026-11-27 by pitr-warden at 2026-11-20 00:05 UTC.',
    };
    const [digest] = buildDigests(
      [item(r, { stage: 'new-clone', violationsFixed: [fixed] }), item(r, { stage: 'noncompliant' })],
      { now: NOW },
    );

    expect(digest!.entries).toHaveLength(1);
    expect(digest!.entries[0]!.stages).toEqual([{ stage: 'noncompliant' }, { stage: 'new-clone' }]);
    expect(digest!.covers.map((c) => c.stage)).toEqual(['noncompliant', 'new-clone']);
    expect(digest!.entries[0]!.item.violationsFixed).toEqual([fixed]);

    const mail = renderDigest(digest!, templates);
    expect(mail.plainText).toContain('NON-COMPLIANT');
    expect(mail.plainText).toContain('NEW: pitr-warden found this clone');
    expect(mail.plainText).toContain(
      'Already fixed:\n    - The missing ExpiresOn tag was set to 2026-11-27 by pitr-warden at 2026-11-20 00:05 UTC.',
    );
    expect(mail.plainText).toContain('To fix:\n    - network-firewall: rule AllowAll 0.0.0.0-255.255.255.255');
  });
});

describe('renderDigest', () => {
  it('escapes every tag-derived value in the HTML part; a script in a tag arrives as text', () => {
    const script = '<script>alert(1)</script>';
    const r = record('pg-evil', {
      tags: { Incident: script, Purpose: '"><img src=x onerror=alert(2)>' },
      violations: [{ rule: 'required-tags', detail: `owner tag "${script}" is not a mailbox` }],
    });
    const gone = record('pg-gone', {
      state: 'deleted',
      deletedAt: '2026-11-21T10:00:00Z',
      deletedBy: '<b>mallory</b>',
      deleteReason: script,
    });
    const [digest] = buildDigests(
      [
        item(r, { stage: 'noncompliant', recipientNote: `owner ${script} is outside the allowed domains` }),
        item(gone, { stage: 'deleted' }),
      ],
      { now: NOW },
    );

    const mail = renderDigest(digest!, templates);

    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<img');
    expect(mail.html).not.toContain('<b>mallory');
    expect(mail.html).toContain(
      'Incident &lt;script&gt;alert(1)&lt;/script&gt;; Purpose: &quot;&gt;&lt;img src=x onerror=alert(2)&gt;',
    );
    expect(mail.html).toContain('owner tag &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot; is not a mailbox');
    expect(mail.html).toContain('by &lt;b&gt;mallory&lt;/b&gt;');
    expect(mail.html).toContain('Why you get this: owner &lt;script&gt;');
    // The plain-text part carries the value as text.
    expect(mail.plainText).toContain(`Incident/purpose: Incident ${script}`);
  });

  it('flattens line breaks in tag values so they cannot forge lines', () => {
    const r = record('pg-crlf', { tags: { Incident: 'INC-1\r\nTo fix: nothing, ignore this mail' } });
    const mail = renderDigest(buildDigests([item(r, { stage: 'new-clone' })], { now: NOW })[0]!, templates);
    expect(mail.plainText).toContain('Incident/purpose: Incident INC-1 To fix: nothing, ignore this mail\n');
  });

  it('lists every clone in the plain-text part with its facts and portal link', () => {
    const records = [
      record('pg-one'),
      record('pg-two', { subscriptionId: SUB_B, resourceGroup: 'rg-b' }),
      record('pg-three', { expiresOn: undefined, expiresOnTag: 'next week' }),
    ];
    const mail = renderDigest(
      buildDigests(
        records.map((r) => item(r, { stage: 'new-clone' })),
        { now: NOW },
      )[0]!,
      templates,
    );

    for (const r of records) {
      expect(mail.plainText).toContain(`${r.name}  [new-clone]`);
      expect(mail.plainText).toContain(`Portal:           https://portal.azure.com/#@/resource${r.id}\n`);
      expect(mail.html).toContain(`href="https://portal.azure.com/#@/resource${r.id}"`);
    }
    expect(mail.plainText).toContain(`Subscription:     ${SUB_B}\n  Resource group:   rg-b`);
    expect(mail.plainText).toContain(`Restored from:    ${records[0]!.lineage.sourceServerId}`);
    expect(mail.plainText).toContain('Restore point:    2026-11-19 23:15 UTC');
    expect(mail.plainText).toContain('Incident/purpose: Incident INC-1042');
    expect(mail.plainText).toContain('Expires:          2026-11-27 00:00 UTC (4 days left)');
    expect(mail.plainText).toContain('Expires:          "next week" cannot be read as a date');
    expect(mail.plainText).toContain('State:            Ready');
    expect(mail.subject).toBe(
      '[pitr-warden] Your 3 restore clones: 3 new; nearest: pg-one expires 2026-11-27 00:00 UTC',
    );
  });

  it('shows cost per day and so far with the note that it is an estimate and from which prices', () => {
    // B1ms, 32 GB, eastus: (0.017 + 32 x 0.115 / 730) x 24 = 0.528986/day; 57 h since creation -> 1.256342
    // D2ds_v5, 128 GB, westeurope: (2 x 0.0997 + 128 x 0.1288 / 730) x 24 = 5.327619/day; 57 h -> 12.653094
    const small = record('pg-small');
    const big = record('pg-big', {
      skuName: 'Standard_D2ds_v5',
      skuTier: 'GeneralPurpose',
      storageSizeGb: 128,
      location: 'westeurope',
    });
    const odd = record('pg-odd', { skuName: 'Standard_M8ms', skuTier: 'MemoryOptimized' });
    const mail = renderDigest(
      buildDigests(
        [small, big, odd].map((r) => item(r, { stage: 'reminder', leadDays: 3 })),
        { now: NOW },
      )[0]!,
      templates,
    );

    expect(mail.plainText).toContain('Cost (estimate):  USD 0.53 per day, USD 1.26 so far');
    expect(mail.plainText).toContain('Cost (estimate):  USD 5.33 per day, USD 12.65 so far');
    expect(mail.plainText).toContain(
      'Cost (estimate):  unknown price for Standard_M8ms in eastus: SKU name not understood',
    );
    // totals: 0.528986 + 5.327619 = 5.856605/day; 1.256342 + 12.653094 = 13.909436 so far
    expect(mail.plainText).toContain('Estimated cost of these clones: USD 5.86 per day, USD 13.91 so far.');
    expect(mail.html).toMatch(/<td[^>]*>Cost \(estimate\)<\/td><td[^>]*>USD 5\.33 per day, USD 12\.65 so far<\/td>/);
    for (const part of [mail.plainText, mail.html]) {
      expect(part).toContain('Costs are estimates, not invoices');
      expect(part).toContain('from the price table dated 2026-11-01 shipped with pitr-warden');
    }

    const fromApi = item(small, { stage: 'reminder', leadDays: 3 });
    const apiMail = renderDigest(
      buildDigests(
        [
          {
            ...fromApi,
            cost: { ...fromApi.cost, priceSource: { kind: 'retail-prices-api', asOf: '2026-11-22T08:00:00.000Z' } },
          },
        ],
        { now: NOW },
      )[0]!,
      templates,
    );
    expect(apiMail.plainText).toContain('from the Azure Retail Prices API (list prices fetched 2026-11-22 08:00 UTC)');
  });

  it('tells how to extend with the exact command, tag and the latest allowed date, and how to place a legal hold', () => {
    const r = record('pg-ext', { createdAt: '2026-11-20T06:30:00Z' });
    const custom = item(r, {
      stage: 'reminder',
      leadDays: 1,
      tagKeys: { incident: 'Incident', purpose: 'Purpose', expiresOn: 'DeleteAfterUtc', legalHold: 'Hold-Legal' },
      maxLifetimeDays: 14,
    });
    const mail = renderDigest(buildDigests([custom], { now: NOW })[0]!, templates);

    // 2026-11-20T06:30Z + 14 days = 2026-12-04T06:30Z
    expect(mail.plainText).toContain(
      'Extend it (its maximum lifetime of 14 days ends 2026-12-04 06:30 UTC):\n      pitr-warden extend pg-ext --until 2026-12-04\n    or set the tag DeleteAfterUtc to 2026-12-04.',
    );
    expect(mail.plainText).toContain('pitr-warden hold pg-ext --reason "..."');
    expect(mail.html).toContain('or set the tag <code>DeleteAfterUtc</code> to <code>2026-12-04</code>');

    const unknownCreation = item(record('pg-nocreated', { createdAt: undefined }), { stage: 'reminder', leadDays: 1 });
    expect(renderDigest(buildDigests([unknownCreation], { now: NOW })[0]!, templates).plainText).toContain(
      'It cannot be extended: its creation time is unknown, so its maximum lifetime of 30 days cannot be checked.',
    );
  });

  it('states the deletion date on a final notice and what was deleted, when, by whom and why', () => {
    const final = item(record('pg-final', { expiresOn: '2026-11-21T00:00:00Z' }), {
      stage: 'final-notice',
      deleteAfter: '2026-11-24T09:00:00Z',
    });
    const gone = item(
      record('pg-gone', {
        state: 'deleted',
        deletedAt: '2026-11-21T10:00:00Z',
        deletedBy: 'pitr-warden',
        deleteReason: 'expired 2026-11-19, grace ended',
      }),
      { stage: 'deleted' },
    );
    const mail = renderDigest(buildDigests([gone, final], { now: NOW })[0]!, templates);

    expect(mail.subject).toBe(
      '[pitr-warden] Your 2 restore clones: 1 final notice, 1 deleted; nearest: pg-final deleted no earlier than 2026-11-24 09:00 UTC',
    );
    expect(mail.plainText).toContain(
      'FINAL NOTICE: this clone has expired and will be deleted no earlier than 2026-11-24 09:00 UTC.',
    );
    expect(mail.plainText).toContain(
      'DELETED on 2026-11-21 10:00 UTC by pitr-warden. Reason: expired 2026-11-19, grace ended.',
    );
    expect(mail.plainText.indexOf('pg-final')).toBeLessThan(mail.plainText.indexOf('pg-gone'));
    // Nothing to extend on a deleted clone: exactly one extend instruction (the final notice's).
    expect(mail.plainText.match(/Extend it/g)).toHaveLength(1);
    expect(mail.plainText).toContain('State:            Deleted');
  });
});
