/** Tags as Azure treats them: keys compared case-insensitively, at most 50 per resource. */

export type Tags = Readonly<Record<string, string>>;

/** Azure's limit of tags on one resource; a plan that would exceed it is a violation, never a write. */
export const AZURE_MAX_TAGS = 50;

/** The key as present on the resource (whatever its casing), or undefined. */
export function findTagKey(tags: Tags, key: string): string | undefined {
  const wanted = key.toLowerCase();
  return Object.keys(tags).find((k) => k.toLowerCase() === wanted);
}

/**
 * The value of a tag, key compared case-insensitively; undefined when absent.
 * @example getTag({ owner: 'a@contoso.com' }, 'Owner') // 'a@contoso.com'
 */
export function getTag(tags: Tags, key: string): string | undefined {
  const found = findTagKey(tags, key);
  return found === undefined ? undefined : tags[found];
}

/** The value trimmed, or undefined when absent or blank. */
export function getNonEmptyTag(tags: Tags, key: string): string | undefined {
  const value = getTag(tags, key)?.trim();
  return value ? value : undefined;
}

/**
 * Applies a Merge of `set` onto `tags` as the Tags API does: an existing key (any casing) keeps its casing
 * and takes the new value; new keys are added.
 */
export function mergeTags(tags: Tags, set: Tags): Record<string, string> {
  const merged: Record<string, string> = { ...tags };
  for (const [key, value] of Object.entries(set)) merged[findTagKey(merged, key) ?? key] = value;
  return merged;
}

/** Writes of `set` that change something, keyed as on the resource so a Merge never creates a case twin. */
export function tagChanges(tags: Tags, set: Tags): Record<string, string> {
  const changes: Record<string, string> = {};
  for (const [key, value] of Object.entries(set)) {
    const existing = findTagKey(tags, key);
    if (existing === undefined || tags[existing] !== value) changes[existing ?? key] = value;
  }
  return changes;
}

/** Legal hold: any value other than empty or "false" holds the server. */
export function isLegalHold(value: string | undefined): boolean {
  const v = value?.trim().toLowerCase();
  return v !== undefined && v !== '' && v !== 'false';
}

export type ExpiresOnParse = { readonly ok: true; readonly at: Date } | { readonly ok: false; readonly reason: string };

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME_Z = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?Z$/;

/**
 * Parses an `ExpiresOn` value. Accepted: an ISO 8601 UTC date (`2026-12-01`, meaning 00:00 UTC that day) or
 * a UTC date-time ending in `Z` (`2026-12-01T10:00:00Z`, seconds and fractions optional). Anything else,
 * including offsets such as `+02:00`, lower-case `z`, `next week` or `01/12/2026`, is invalid: a wrong guess
 * about a time zone must never bring a deletion earlier.
 * @example parseExpiresOn('2026-12-01') // { ok: true, at: 2026-12-01T00:00:00.000Z }
 */
export function parseExpiresOn(value: string | undefined): ExpiresOnParse {
  if (value === undefined || value.trim() === '') return { ok: false, reason: 'missing' };
  const text = value.trim();
  const match = DATE_ONLY.exec(text) ?? DATE_TIME_Z.exec(text);
  if (!match)
    return {
      ok: false,
      reason: `"${value}" is not an ISO 8601 UTC date (2026-12-01) or date-time ending in Z (2026-12-01T10:00:00Z)`,
    };
  const at = calendarUtc(match);
  if (!at) return { ok: false, reason: `"${value}" is not a real calendar date and time` };
  return { ok: true, at };
}

/**
 * The instant a date-time pattern's groups name as UTC (1 year, 2 month, 3 day, 4-6 hour, minute, second, 7 the
 * fraction; time groups may be absent), or undefined when they are no real calendar date and time (2026-02-30, 24:00).
 * @example calendarUtc(/^(\d{4})-(\d{2})-(\d{2})$/.exec('2026-02-30')!) // undefined
 */
export function calendarUtc(match: RegExpExecArray): Date | undefined {
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(match[i] ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const fraction = match[7] ? Math.floor(Number(`0.${match[7]}`) * 1000) : 0;
  const at = new Date(Date.UTC(year, month - 1, day, hour, minute, second, fraction));
  const real =
    at.getUTCFullYear() === year &&
    at.getUTCMonth() === month - 1 &&
    at.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60;
  return real ? at : undefined;
}

/**
 * The UTC form the warden writes and prints: seconds precision, ending in Z.
 * @example formatUtc(new Date('2026-12-01T10:00:00.000Z')) // '2026-12-01T10:00:00Z'
 */
export function formatUtc(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const DAY_MS = 24 * 60 * 60 * 1000;

export function addDays(at: Date, days: number): Date {
  return new Date(at.getTime() + days * DAY_MS);
}
