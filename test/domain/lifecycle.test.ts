import { describe, expect, it } from 'vitest';
import { decideExpiry, deletionCheck, dueExpiryNotice, type DeletionFacts } from '../../src/domain/lifecycle.js';
import { DEFAULT_POLICY, ruleOf } from '../../src/domain/policy.js';
import { server } from '../fixtures/snapshots/build.js';

const expiryRule = ruleOf(DEFAULT_POLICY, 'expiry')!;
const notices = { reminderLeadDays: [3, 1], graceDays: 2 };
const now = new Date('2026-12-01T09:00:00Z');

describe('decideExpiry', () => {
  it('stamps now + default lifetime when missing, whether or not the creation time is known', () => {
    const s = server({ name: 'c', createdAt: '2026-11-29T08:00:00Z' });
    expect(decideExpiry(s, expiryRule, 'ExpiresOn', now)).toMatchObject({ write: '2026-12-08T09:00:00Z' });
    const unknown = { ...s, createdAt: undefined };
    expect(decideExpiry(unknown, expiryRule, 'ExpiresOn', now)).toMatchObject({ write: '2026-12-08T09:00:00Z' });
  });

  it('caps the stamped default at the maximum lifetime from creation', () => {
    const old = server({ name: 'c', createdAt: '2026-11-05T08:00:00Z' });
    const d = decideExpiry(old, expiryRule, 'ExpiresOn', now);
    expect(d.write).toBe('2026-12-05T08:00:00Z');
    expect(d.writeReason).toContain('maximum lifetime of 30 days from creation');
  });

  it('clamps to the maximum lifetime from creation, as a violation', () => {
    const s = server({ name: 'c', createdAt: '2026-11-29T08:00:00Z', tags: { expireson: '2027-06-01' } });
    const d = decideExpiry(s, expiryRule, 'ExpiresOn', now);
    expect(d.write).toBe('2026-12-29T08:00:00Z');
    expect(d.violation?.detail).toContain('beyond the maximum lifetime (30 days');
  });

  it('leaves an unparseable value to the owner and never writes over it', () => {
    const d = decideExpiry(server({ name: 'c', tags: { ExpiresOn: 'next week' } }), expiryRule, 'ExpiresOn', now);
    expect(d.write).toBeUndefined();
    expect(d.effective).toBeUndefined();
    expect(d.ownerNeeded).toContain('ISO 8601');
  });
});

describe('dueExpiryNotice', () => {
  const expiry = new Date('2026-12-03T12:00:00Z');
  it('sends the reminder of the shortest open lead time, once per lead time and expiry', () => {
    expect(dueExpiryNotice(expiry, new Date('2026-11-29T12:00:00Z'), [], notices)).toBeUndefined();
    expect(dueExpiryNotice(expiry, now, [], notices)).toEqual({ stage: 'reminder', leadDays: 3 });
    expect(
      dueExpiryNotice(expiry, now, [{ stage: 'reminder', leadDays: 3, sentAt: '2026-11-30T13:00:00Z' }], notices),
    ).toBeUndefined();
    expect(
      dueExpiryNotice(
        expiry,
        new Date('2026-12-02T13:00:00Z'),
        [{ stage: 'reminder', leadDays: 3, sentAt: '2026-11-30T13:00:00Z' }],
        notices,
      ),
    ).toEqual({ stage: 'reminder', leadDays: 1 });
    // A reminder sent before an extension does not count for the new date.
    expect(
      dueExpiryNotice(expiry, now, [{ stage: 'reminder', leadDays: 3, sentAt: '2026-11-20T13:00:00Z' }], notices),
    ).toEqual({ stage: 'reminder', leadDays: 3 });
  });

  it('sends the final notice at expiry with deletion no earlier than max(expiry, now) + grace', () => {
    expect(dueExpiryNotice(new Date('2026-11-30T00:00:00Z'), now, [], notices)).toEqual({
      stage: 'final-notice',
      deleteAfter: '2026-12-03T09:00:00Z',
    });
    expect(
      dueExpiryNotice(
        new Date('2026-11-30T00:00:00Z'),
        now,
        [{ stage: 'final-notice', sentAt: '2026-11-30T09:00:00Z' }],
        notices,
      ),
    ).toBeUndefined();
  });
});

describe('deletionCheck', () => {
  const eligible: DeletionFacts = {
    classification: 'clone',
    proven: true,
    newCloneNoticeSent: true,
    expiresOnTag: '2026-11-27',
    expiryChanging: false,
    now,
    history: [{ stage: 'final-notice', sentAt: '2026-11-27T10:00:00Z' }],
    graceDays: 2,
    legalHold: false,
    locks: [],
  };

  it('is eligible when every belt holds', () => {
    expect(deletionCheck(eligible)).toEqual({
      eligible: true,
      expiresOn: '2026-11-27T00:00:00Z',
      finalNoticeSentAt: '2026-11-27T10:00:00Z',
    });
  });

  it.each<[string, Partial<DeletionFacts>]>([
    ['expiry-unparseable', { expiresOnTag: 'next week' }],
    ['not-a-clone', { classification: 'not-a-clone' }],
    ['legal-hold', { legalHold: true }],
    ['locked', { locks: [{ name: 'keep', level: 'CanNotDelete' }] }],
    ['locked', { locks: [{ name: 'ro', level: 'ReadOnly' }] }],
    ['locks-not-read', { locks: undefined }],
    ['not-announced', { classification: 'probable-clone', newCloneNoticeSent: false }],
    ['expiry-changing', { expiryChanging: true }],
    ['final-notice-not-sent', { history: [] }],
    ['final-notice-not-sent', { history: [{ stage: 'final-notice', sentAt: '2026-11-20T10:00:00Z' }] }],
    ['grace-period', { history: [{ stage: 'final-notice', sentAt: '2026-11-30T10:00:00Z' }] }],
  ])('refuses with %s', (reason, change) => {
    expect(deletionCheck({ ...eligible, ...change })).toMatchObject({ eligible: false, reason });
  });

  it('says nothing before expiry or without an expiry', () => {
    expect(deletionCheck({ ...eligible, expiresOnTag: '2026-12-05' })).toBeUndefined();
    expect(deletionCheck({ ...eligible, expiresOnTag: undefined })).toBeUndefined();
  });
});
