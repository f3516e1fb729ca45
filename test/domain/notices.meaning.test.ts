import { describe, expect, it } from 'vitest';
import { loadTemplates } from '../../src/adapters/noticeTemplates.js';
import type { EvidenceEntry, InventoryRecord } from '../../src/domain/model.js';
import { buildDigests } from '../../src/domain/notices/digest.js';
import { describeFixes } from '../../src/domain/notices/fixed.js';
import { renderDigest } from '../../src/domain/notices/render.js';
import { planExtend } from '../../src/domain/operator.js';
import { DEFAULT_POLICY } from '../../src/domain/policy.js';
import { serverFromArm } from '../../src/domain/snapshot.js';
import { armServer } from '../support/estate.js';
import { item, NOW, record } from './notices.fixtures.js';

/** Emails mean what they say (issue 13): every sentence of an owner notice is true and every command in it works. */
const templates = await loadTemplates(new URL('../../templates', import.meta.url).pathname);

function mailOf(...items: ReturnType<typeof item>[]) {
  const [digest] = buildDigests(items, { now: NOW });
  return renderDigest(digest!, templates);
}

/** The live server a record describes, as `extend` reads it. */
function serverOf(r: InventoryRecord) {
  return serverFromArm(
    armServer({
      subscriptionId: r.subscriptionId,
      resourceGroup: r.resourceGroup,
      name: r.name,
      tags: r.tags,
      ...(r.createdAt ? { createdAt: r.createdAt } : {}),
    }),
  );
}

const EXTEND = /pitr-warden extend (\S+) --until (\S+)/;

describe('the extension an owner notice advises', () => {
  it('is a command `extend` accepts: after now and the current expiry, within the maximum lifetime', () => {
    const cases: Array<[string, Partial<InventoryRecord>]> = [
      ['pg-young', { createdAt: '2026-11-20T06:30:00Z' }],
      [
        'pg-late-day',
        {
          createdAt: '2026-10-24T10:00:00Z',
          expiresOn: '2026-11-23T00:00:00.000Z',
          tags: { Owner: 'ana@contoso.com', ExpiresOn: '2026-11-23' },
        },
      ],
      [
        'pg-unparseable',
        { expiresOn: undefined, expiresOnTag: 'next week', tags: { Owner: 'ana@contoso.com', ExpiresOn: 'next week' } },
      ],
    ];
    for (const [name, overrides] of cases) {
      const r = record(name, overrides);
      const mail = mailOf(item(r, { stage: 'reminder', leadDays: 3 }));
      const [, server, until] = EXTEND.exec(mail.plainText) ?? [];
      expect(server, `${name}: no extend command in\n${mail.plainText}`).toBe(name);
      expect(
        planExtend({ server: serverOf(r), until: until!, now: NOW, policy: DEFAULT_POLICY }),
        `${name}: extend --until ${until}`,
      ).toMatchObject({ ok: true });
      expect(mail.html).toContain(`pitr-warden extend ${name} --until ${until}`);
    }
  });

  it('is the last day of the maximum lifetime: created 2026-11-20 06:30 UTC + 30 days', () => {
    const mail = mailOf(
      item(record('pg-ext', { createdAt: '2026-11-20T06:30:00Z' }), { stage: 'reminder', leadDays: 3 }),
    );
    expect(mail.plainText).toContain('pitr-warden extend pg-ext --until 2026-12-20');
    expect(mail.plainText).toContain('2026-12-20 06:30 UTC');
  });

  it('is never a date in the past: a clone past its maximum lifetime cannot be extended, and the mail says so and offers promote and hold', () => {
    // Created 2026-10-01 with a maximum lifetime of 30 days: the latest allowed expiry (2026-10-31) has passed.
    const r = record('pg-old', { createdAt: '2026-10-01T00:00:00Z', expiresOn: '2026-11-23T00:00:00.000Z' });
    const mail = mailOf(item(r, { stage: 'reminder', leadDays: 1 }));
    for (const part of [mail.plainText, mail.html]) {
      expect(part).not.toMatch(EXTEND);
      expect(part).not.toContain('2026-10-31,');
      expect(part).not.toMatch(/e\.g\. (<code>)?2026-10-31/);
      expect(part).toContain('cannot be extended');
      expect(part).toContain('pitr-warden promote pg-old --reason');
      expect(part).toContain('pitr-warden hold pg-old --reason');
    }
  });

  it('is never beyond what extend accepts: an expiry already past the maximum lifetime cannot move later', () => {
    // Someone set ExpiresOn by hand beyond the maximum lifetime (2026-12-20): extend refuses any date.
    const r = record('pg-far', {
      expiresOn: '2027-01-15T00:00:00.000Z',
      expiresOnTag: '2027-01-15',
      tags: { Owner: 'ana@contoso.com', ExpiresOn: '2027-01-15' },
    });
    const mail = mailOf(item(r, { stage: 'new-clone' }));
    expect(mail.plainText).not.toMatch(EXTEND);
    expect(mail.plainText).toContain('cannot be extended');
  });

  it('without a known creation time, extend cannot check the maximum lifetime: the mail does not advise it', () => {
    const mail = mailOf(item(record('pg-nocreated', { createdAt: undefined }), { stage: 'reminder', leadDays: 1 }));
    expect(mail.plainText).not.toMatch(EXTEND);
    expect(mail.plainText).toContain('cannot be extended');
  });

  it('without a maximum lifetime in the policy, advises a later date than the current expiry', () => {
    const r = record('pg-free');
    const mail = mailOf(item(r, { stage: 'reminder', leadDays: 3, maxLifetimeDays: undefined }));
    const [, , until] = EXTEND.exec(mail.plainText) ?? [];
    expect(until).toBe('2026-12-04');
    expect(mail.plainText).not.toContain('maximum lifetime');
  });
});

describe('held clones', () => {
  it('never asks the owner of a held clone to set a hold; it shows how to release it', () => {
    const r = record('pg-held', {
      state: 'held',
      tags: { Owner: 'ana@contoso.com', ExpiresOn: '2026-11-27', LegalHold: 'litigation case 88' },
    });
    const mail = mailOf(item(r, { stage: 'new-clone' }));
    for (const part of [mail.plainText, mail.html]) {
      expect(part).not.toContain('pitr-warden hold pg-held');
      expect(part).not.toMatch(/set the tag (<code>)?LegalHold/);
      expect(part).toContain('pitr-warden release pg-held');
      expect(part).toContain('litigation case 88');
    }
  });

  it('a clone held by a delete lock is released by removing the lock, which the warden never does', () => {
    const r = record('pg-locked', { state: 'held' });
    const mail = mailOf(item(r, { stage: 'new-clone' }));
    expect(mail.plainText).not.toContain('pitr-warden hold pg-locked');
    expect(mail.plainText).toMatch(/delete lock/);
    expect(mail.plainText).toContain('remove the lock');
  });
});

describe('fixed problems read as fixed', () => {
  const at = '2026-11-21T10:14:00Z';
  const entries: EvidenceEntry[] = [
    {
      serverKey: 'k',
      id: 'a',
      at,
      actor: 'pitr-warden',
      kind: 'delete-firewall-rule',
      summary: 'Deleted firewall rule AllowAll',
      before: { name: 'AllowAll', startIpAddress: '0.0.0.0', endIpAddress: '255.255.255.255' },
      after: { rule: 'AllowAll', deleted: true },
    },
    {
      serverKey: 'k',
      id: 'b',
      at: '2026-11-21T10:15:00Z',
      actor: 'pitr-warden',
      kind: 'disable-public-access',
      summary: 'Disabled public network access',
      after: { publicNetworkAccess: 'Disabled' },
    },
    {
      serverKey: 'k',
      id: 'c',
      at: '2026-11-21T10:16:00Z',
      actor: 'pitr-warden',
      kind: 'tag',
      summary: 'Tagged',
      after: { ExpiresOn: '2026-11-28T00:00:00Z', SourceOwner: 'prod@contoso.com', Owner: 'ana@contoso.com' },
    },
  ];

  it('in the past tense, with the time it was fixed and by whom', () => {
    const fixes = describeFixes(
      [
        {
          rule: 'network-firewall',
          detail:
            'firewall rule "AllowAll" opens 0.0.0.0-255.255.255.255 (4294967296 addresses), and no range is allowed',
        },
        { rule: 'network-firewall', detail: 'public network access is enabled' },
        { rule: 'required-tags', detail: 'missing ExpiresOn tag (a default is stamped)' },
        { rule: 'replace-inherited-ownership', detail: 'Owner tag "prod@contoso.com" is inherited from the source' },
        { rule: 'required-tags', detail: 'missing Incident or Purpose tag' },
      ],
      entries,
      { checkedAt: '2026-11-22T09:00:00Z' },
    );
    expect(fixes.map((f) => f.text)).toEqual([
      'Firewall rule AllowAll (0.0.0.0-255.255.255.255) was deleted by pitr-warden at 2026-11-21 10:14 UTC.',
      'Public network access was disabled by pitr-warden at 2026-11-21 10:15 UTC.',
      'The missing ExpiresOn tag was set to 2026-11-28T00:00:00Z by pitr-warden at 2026-11-21 10:16 UTC.',
      'The Owner tag inherited from the source ("prod@contoso.com") was replaced with ana@contoso.com by pitr-warden at 2026-11-21 10:16 UTC (the source\'s value is kept in SourceOwner).',
      'Missing Incident or Purpose tag: resolved, no longer found at 2026-11-22 09:00 UTC.',
    ]);
  });

  it('a notice shows what was fixed as done, not as a problem', () => {
    const r = record('pg-fixed');
    const fixed = describeFixes(
      [
        {
          rule: 'network-firewall',
          detail:
            'firewall rule "AllowAll" opens 0.0.0.0-255.255.255.255 (4294967296 addresses), and no range is allowed',
        },
      ],
      entries,
      { checkedAt: NOW.toISOString() },
    );
    const mail = mailOf(item(r, { stage: 'new-clone', violationsFixed: fixed }));
    for (const part of [mail.plainText, mail.html]) {
      expect(part).toContain(
        'Firewall rule AllowAll (0.0.0.0-255.255.255.255) was deleted by pitr-warden at 2026-11-21 10:14 UTC.',
      );
      expect(part).not.toContain('opens 0.0.0.0-255.255.255.255');
    }
  });
});

describe('subjects name the server (or the count) and the nearest date', () => {
  it('one clone: its name and the date that matters', () => {
    const reminder = mailOf(item(record('pg-one'), { stage: 'reminder', leadDays: 3 }));
    expect(reminder.subject).toBe('[pitr-warden] pg-one: expiring soon, expires 2026-11-27 00:00 UTC');
    const final = mailOf(
      item(record('pg-final', { expiresOn: '2026-11-21T00:00:00Z' }), {
        stage: 'final-notice',
        deleteAfter: '2026-11-24T09:00:00Z',
      }),
    );
    expect(final.subject).toBe('[pitr-warden] pg-final: final notice, deleted no earlier than 2026-11-24 09:00 UTC');
    const gone = mailOf(
      item(record('pg-gone', { state: 'deleted', deletedAt: '2026-11-21T10:00:00Z' }), { stage: 'deleted' }),
    );
    expect(gone.subject).toBe('[pitr-warden] pg-gone: deleted 2026-11-21 10:00 UTC');
  });

  it('several clones: the count, the stages, and the nearest date with its server', () => {
    const mail = mailOf(
      item(record('pg-a', { expiresOn: '2026-11-29T00:00:00Z' }), { stage: 'new-clone' }),
      item(record('pg-b', { expiresOn: '2026-11-25T00:00:00Z' }), { stage: 'reminder', leadDays: 3 }),
      item(record('pg-c', { expiresOn: '2026-11-28T00:00:00Z' }), { stage: 'new-clone' }),
    );
    expect(mail.subject).toBe(
      '[pitr-warden] Your 3 restore clones: 1 expiring soon, 2 new; nearest: pg-b expires 2026-11-25 00:00 UTC',
    );
  });
});

describe('the three ways out, only for proven clones', () => {
  it('every notice of a proven clone gives the exact extend, promote and hold commands', () => {
    for (const stage of ['new-clone', 'reminder', 'noncompliant', 'final-notice'] as const) {
      const mail = mailOf(
        item(record('pg-way'), {
          stage,
          ...(stage === 'reminder' ? { leadDays: 3 } : {}),
          ...(stage === 'final-notice' ? { deleteAfter: '2026-11-24T09:00:00Z' } : {}),
        }),
      );
      for (const part of [mail.plainText, mail.html]) {
        expect(part, stage).toContain('pitr-warden extend pg-way --until 2026-12-20');
        expect(part, stage).toContain('pitr-warden promote pg-way --reason');
        expect(part, stage).toContain('pitr-warden hold pg-way --reason');
      }
    }
  });

  it('the owner of an unproven server is never told it will be deleted: no notice is built for it', () => {
    const claimed = record('pg-claimed', {
      proof: { level: 'claimed', evidence: ['lineage tags only'], contradictions: [] },
    });
    const suspected = record('pg-suspected', {
      classification: 'probable-clone',
      proof: { level: 'suspected', evidence: ['looks like pg-prod'], contradictions: [] },
    });
    const digests = buildDigests(
      [
        item(claimed, { stage: 'reminder', leadDays: 1 }),
        item(claimed, { stage: 'final-notice', deleteAfter: '2026-11-24T09:00:00Z' }),
        item(suspected, { stage: 'new-clone' }),
      ],
      { now: NOW },
    );
    expect(digests).toEqual([]);
  });
});

describe('long values wrap at phone and desktop widths', () => {
  it('the HTML part sets the viewport and lets value cells and commands break anywhere', () => {
    const mail = mailOf(item(record('pg-wrap'), { stage: 'new-clone' }));
    expect(mail.html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(mail.html).toMatch(/<td[^>]*overflow-wrap: ?anywhere[^>]*>/);
    expect(mail.html).toMatch(
      /<table[^>]*table-layout: ?fixed[^>]*width: ?100%|<table[^>]*width: ?100%[^>]*table-layout: ?fixed/,
    );
  });
});

describe('the estimate note', () => {
  it('names each price source once, though each region was fetched a few milliseconds apart', async () => {
    const { estimateNote } = await import('../../src/domain/notices/format.js');
    const note = estimateNote([
      { kind: 'retail-prices-api', asOf: '2026-12-05T10:40:01.123Z' },
      { kind: 'retail-prices-api', asOf: '2026-12-05T10:40:01.456Z' },
      { kind: 'price-table', asOf: '2026-11-01' },
    ]);
    expect(note.match(/Retail Prices API \(list prices/g)).toHaveLength(1);
    expect(note).toContain(
      'from the price table dated 2026-11-01 shipped with pitr-warden (used when the Retail Prices API cannot be reached) and the Azure Retail Prices API (list prices fetched 2026-12-05 10:40 UTC).',
    );
  });
});
