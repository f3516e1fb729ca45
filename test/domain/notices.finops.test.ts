import { describe, expect, it } from 'vitest';
import { loadTemplates } from '../../src/adapters/noticeTemplates.js';
import type { CostEstimate } from '../../src/domain/cost.js';
import { buildFinopsSummary, costAvoided, pastExpiryReason } from '../../src/domain/notices/finops.js';
import { costFor, NOW, record, SUB_B } from './notices.fixtures.js';

const templates = await loadTemplates(new URL('../../templates', import.meta.url).pathname);
const options = { templates, maxLifetimeDays: 30, graceDays: 2, legalHoldTagKey: 'LegalHold' };
const B1MS_PER_DAY = (0.017 + (32 * 0.115) / 730) * 24; // 0.528986301...

// Every clone: Standard_B1ms, 32 GB, eastus, created 2026-11-20T00:00Z (57 h before NOW) unless said otherwise.
const records = [
  record('pg-fresh'),
  record('pg-grace', {
    expiresOn: '2026-11-21T00:00:00Z',
    noticesSent: [{ stage: 'final-notice', sentAt: '2026-11-21T10:00:00Z', to: 'ana@contoso.com' }],
  }),
  record('pg-held', {
    subscriptionId: SUB_B,
    expiresOn: '2026-11-21T00:00:00Z',
    state: 'held',
    tags: { LegalHold: 'true' },
  }),
  record('pg-badtag', { expiresOn: undefined, expiresOnTag: 'next week' }),
  record('pg-due', {
    expiresOn: '2026-11-19T00:00:00Z',
    noticesSent: [{ stage: 'final-notice', sentAt: '2026-11-19T09:00:00Z', to: 'ana@contoso.com' }],
  }),
  record('pg-recent', {
    createdAt: '2026-11-09T09:00:00Z',
    state: 'deleted',
    deletedAt: '2026-11-19T09:00:00Z',
    deletedBy: 'pitr-warden',
    deleteReason: 'expired',
  }),
  record('pg-old', {
    createdAt: '2026-10-01T00:00:00Z',
    state: 'deleted',
    deletedAt: '2026-10-20T00:00:00Z',
    deletedBy: 'ana@contoso.com',
    deleteReason: 'done',
  }),
  record('pg-prod', { classification: 'not-a-clone' }),
];
const costs = new Map<string, CostEstimate>(records.map((r) => [r.key, costFor(r)]));

describe('FinOps weekly summary', () => {
  it('counts clones alive with their cost so far and per day', () => {
    const mail = buildFinopsSummary(records, costs, NOW, options);
    // 5 alive x 0.528986/day = 2.644932/day; each 57 h x 0.022041096/h = 1.256342, x 5 = 6.281712
    expect(mail.plainText).toContain('ALIVE: 5 clones, USD 2.64 per day, USD 6.28 so far.');
    expect(mail.plainText).toContain(
      '  - pg-fresh (00000000-0000-4000-8000-000000000001/rg-restores), owner ana@contoso.com, USD 0.53/day, USD 1.26 so far, expires 2026-11-27 00:00 UTC',
    );
    expect(mail.plainText).not.toContain('pg-prod');
    expect(mail.subject).toBe(
      '[pitr-warden] Weekly PITR clone costs: 5 alive (USD 2.64/day), 1 deleted this week, 4 past expiry',
    );
  });

  it('reports deletions of the last 7 days and all-time with the cost avoided', () => {
    // pg-recent lived 10 of its 30 days: avoided 20 x 0.528986 = 10.579726
    // pg-old lived 19 of its 30 days: avoided 11 x 0.528986 = 5.818849; all-time 16.398575
    expect(costAvoided(records[5]!, costs.get(records[5]!.key), 30)).toBeCloseTo(20 * B1MS_PER_DAY, 9);
    expect(costAvoided(records[6]!, costs.get(records[6]!.key), 30)).toBeCloseTo(11 * B1MS_PER_DAY, 9);

    const mail = buildFinopsSummary(records, costs, NOW, options);
    expect(mail.plainText).toContain(
      'DELETED in the last 7 days: 1, no longer costing USD 0.53 per day, cost avoided USD 10.58.',
    );
    expect(mail.plainText).toContain(
      '  - pg-recent (00000000-0000-4000-8000-000000000001/rg-restores), owner ana@contoso.com, deleted 2026-11-19 09:00 UTC by pitr-warden (expired), cost avoided USD 10.58',
    );
    expect(mail.plainText).toContain(
      'DELETED all-time: 2, no longer costing USD 1.06 per day, cost avoided USD 16.40.',
    );
    expect(mail.html).toMatch(/<td[^>]*>pg-recent<\/td>/);
    expect(mail.html).not.toMatch(/<td[^>]*>pg-old<\/td>/);
  });

  it('lists clones past expiry with the reason each is still there', () => {
    const mail = buildFinopsSummary(records, costs, NOW, options);
    expect(mail.plainText).toContain('PAST EXPIRY and still there: 4');
    expect(mail.plainText).toContain(
      'pg-grace (00000000-0000-4000-8000-000000000001/rg-restores), owner ana@contoso.com, expiry 2026-11-21 00:00 UTC, USD 0.53/day: in grace period until 2026-11-23 10:00 UTC',
    );
    expect(mail.plainText).toContain(
      `pg-held (${SUB_B}/rg-restores), owner ana@contoso.com, expiry 2026-11-21 00:00 UTC, USD 0.53/day: legal hold (tag LegalHold)`,
    );
    expect(mail.plainText).toContain(
      'pg-badtag (00000000-0000-4000-8000-000000000001/rg-restores), owner ana@contoso.com, expiry next week, USD 0.53/day: expiry tag "next week" cannot be read as a date',
    );
    expect(mail.plainText).toContain(
      'pg-due (00000000-0000-4000-8000-000000000001/rg-restores), owner ana@contoso.com, expiry 2026-11-19 00:00 UTC, USD 0.53/day: due for deletion',
    );
    expect(pastExpiryReason(records[0]!, NOW, options)).toBeUndefined();
    expect(pastExpiryReason(record('x', { expiresOn: '2026-11-22T00:00:00Z' }), NOW, options)).toBe(
      'final notice not sent yet',
    );
  });

  it('states that costs are estimates and from which prices, and escapes tag-derived values in HTML', () => {
    const evil = record('pg-evil', {
      owner: '<script>alert(1)</script>',
      expiresOn: undefined,
      expiresOnTag: '<img src=x onerror=alert(1)>',
    });
    const mail = buildFinopsSummary([evil], { [evil.key]: costFor(evil) }, NOW, options);
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<img');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    for (const part of [mail.plainText, mail.html]) {
      expect(part).toContain('Costs are estimates, not invoices');
      expect(part).toContain('the price table dated 2026-11-01');
      expect(part).toContain('maximum lifetime (30 days after creation)');
    }
  });
});
