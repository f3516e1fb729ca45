import { describe, expect, it } from 'vitest';
import {
  findTagKey,
  formatUtc,
  getTag,
  isLegalHold,
  mergeTags,
  parseExpiresOn,
  tagChanges,
} from '../../src/domain/tags.js';

describe('tags compared as Azure does', () => {
  it('finds keys case-insensitively', () => {
    expect(getTag({ owner: 'a@contoso.com' }, 'Owner')).toBe('a@contoso.com');
    expect(findTagKey({ EXPIRESON: 'x' }, 'ExpiresOn')).toBe('EXPIRESON');
    expect(getTag({}, 'Owner')).toBeUndefined();
  });

  it('merges onto the existing casing, never creating a case twin', () => {
    expect(mergeTags({ owner: 'old', Env: 'prod' }, { Owner: 'new', Incident: 'INC-1' })).toEqual({
      owner: 'new',
      Env: 'prod',
      Incident: 'INC-1',
    });
    expect(tagChanges({ owner: 'same', Env: 'prod' }, { Owner: 'same', env: 'dev' })).toEqual({ Env: 'dev' });
  });

  it('holds for any legal-hold value other than empty or false', () => {
    expect(isLegalHold('true')).toBe(true);
    expect(isLegalHold('case-117')).toBe(true);
    expect(isLegalHold('FALSE')).toBe(false);
    expect(isLegalHold(' ')).toBe(false);
    expect(isLegalHold(undefined)).toBe(false);
  });
});

describe('parseExpiresOn', () => {
  it.each([
    ['2026-12-01', '2026-12-01T00:00:00.000Z'],
    ['2026-12-01T10:00:00Z', '2026-12-01T10:00:00.000Z'],
    ['2026-12-01T10:00Z', '2026-12-01T10:00:00.000Z'],
    ['2026-12-01T10:00:00.123456Z', '2026-12-01T10:00:00.123Z'],
    [' 2028-02-29 ', '2028-02-29T00:00:00.000Z'],
  ])('accepts %s', (value, iso) => {
    const parsed = parseExpiresOn(value);
    expect(parsed.ok && parsed.at.toISOString()).toBe(iso);
  });

  it.each([
    'next week',
    '01/12/2026',
    '2026-12-01T10:00:00+02:00',
    '2026-12-01T10:00:00',
    '2026-12-01t10:00:00z',
    '2026-02-30',
    '2026-13-01',
    '2026-12-01T24:00:00Z',
    '20261201',
    '',
  ])('rejects %j', (value) => {
    const parsed = parseExpiresOn(value);
    expect(parsed.ok).toBe(false);
  });

  it('names the value in the reason', () => {
    const parsed = parseExpiresOn('next week');
    expect(!parsed.ok && parsed.reason).toContain('"next week"');
  });

  it('formats UTC without milliseconds', () => {
    expect(formatUtc(new Date('2026-12-01T10:00:00.000Z'))).toBe('2026-12-01T10:00:00Z');
  });
});
