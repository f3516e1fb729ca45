import type { z } from 'zod';
import { EventFormatError } from './types.js';

/** Describes a JSON value in plain words for error messages: "a number", "null", "a string (\"abc\")". */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array';
  if (typeof value === 'string') return value.length <= 40 ? `a string (${JSON.stringify(value)})` : 'a string';
  if (typeof value === 'object') return value instanceof Date ? 'a date' : 'an object';
  const type = typeof value;
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** Appends a zod path to a location: `event[2]` + ['data', 'resourceUri'] -> `event[2].data.resourceUri`. */
export function joinPath(where: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, segment) => {
    if (typeof segment === 'number') return `${text}[${segment}]`;
    const name = String(segment);
    return /^[A-Za-z_$][\w$]*$/.test(name) ? `${text}.${name}` : `${text}[${JSON.stringify(name)}]`;
  }, where);
}

/**
 * A zod `error` option for unions and custom types, in the same words as the rest.
 * @example z.union([z.string(), z.date()], { error: expected('a date-time') })
 */
export function expected(what: string): (issue: { input?: unknown }) => string {
  return (issue) => (issue.input === undefined ? 'missing' : `expected ${what}, got ${describeValue(issue.input)}`);
}

const ARTICLE: Record<string, string> = {
  object: 'an object',
  record: 'an object',
  array: 'an array',
  string: 'a string',
  number: 'a number',
  boolean: 'a boolean',
  date: 'a date',
};

function problem(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  if (issue.code === 'invalid_type') {
    return input === undefined
      ? 'missing'
      : `expected ${ARTICLE[issue.expected] ?? issue.expected}, got ${describeValue(input)}`;
  }
  if (issue.code === 'invalid_value')
    return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${describeValue(input)}`;
  if (issue.code === 'too_small' && issue.origin === 'string') return 'empty';
  return issue.message;
}

const MAX_PROBLEMS_SHOWN = 5;

/**
 * Parses `value` with `schema`, or throws EventFormatError naming each problem by its path.
 * @example validate(z.object({ id: z.string() }), {}, 'event[0]') // throws "event[0].id: missing"
 */
export function validate<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${joinPath(where, issue.path)}: ${problem(issue)}`);
  const shown = problems.slice(0, MAX_PROBLEMS_SHOWN);
  if (problems.length > shown.length) shown.push(`and ${problems.length - shown.length} more`);
  throw new EventFormatError(shown.join('; '));
}
