import type { EvidenceEntry } from '../../../domain/model.js';

/**
 * How structured values fit Table Storage limits (string property 64 KiB = 32K UTF-16 characters, entity 1 MiB,
 * 255 properties). Pure, so the memory twins apply the very same rules.
 *
 * - Structured fields are JSON strings. A JSON string longer than JSON_CHUNK_CHARS is split over numbered
 *   properties (`details`, `details__1`, `details__2`, ... and `details__parts`), and joined again on read: nothing lost.
 * - Evidence whose before/after/details together exceed EVIDENCE_JSON_BUDGET_CHARS is cut, largest field first:
 *   the field becomes a `TruncatedValue` marker with its original size and the start of its JSON.
 * - Other evidence strings (summary, reason, ...) longer than JSON_CHUNK_CHARS keep their start and end in
 *   `… [truncated N characters]`.
 */
export const JSON_CHUNK_CHARS = 32_000;
export const EVIDENCE_JSON_BUDGET_CHARS = 300_000;
export const TRUNCATED_PREVIEW_CHARS = 4_000;

/** What stands in for a before/after/details value too large for one table row. */
export interface TruncatedValue {
  readonly truncated: true;
  readonly reason: string;
  readonly originalChars: number;
  /** The first TRUNCATED_PREVIEW_CHARS characters of the value's JSON. */
  readonly preview: string;
}

export function isTruncatedValue(value: unknown): value is TruncatedValue {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { truncated?: unknown }).truncated === true &&
    'originalChars' in value
  );
}

type Props = Record<string, unknown>;

/** Writes `value` as JSON under `name`, split over numbered properties when long; undefined writes nothing. */
export function putJson(props: Props, name: string, value: unknown): void {
  if (value === undefined) return;
  putLongString(props, name, JSON.stringify(value));
}

export function getJson<T>(props: Props, name: string): T | undefined {
  const text = getLongString(props, name);
  return text === undefined ? undefined : (JSON.parse(text) as T);
}

export function putLongString(props: Props, name: string, text: string): void {
  if (text.length <= JSON_CHUNK_CHARS) {
    props[name] = text;
    return;
  }
  const parts = Math.ceil(text.length / JSON_CHUNK_CHARS);
  props[name] = text.slice(0, JSON_CHUNK_CHARS);
  for (let i = 1; i < parts; i++) props[`${name}__${i}`] = text.slice(i * JSON_CHUNK_CHARS, (i + 1) * JSON_CHUNK_CHARS);
  props[`${name}__parts`] = parts;
}

export function getLongString(props: Props, name: string): string | undefined {
  const first = props[name];
  if (typeof first !== 'string') return undefined;
  const parts = typeof props[`${name}__parts`] === 'number' ? (props[`${name}__parts`] as number) : 1;
  let text = first;
  for (let i = 1; i < parts; i++) {
    const part = props[`${name}__${i}`];
    if (typeof part !== 'string') throw new Error(`Table property ${name} is missing part ${i} of ${parts}`);
    text += part;
  }
  return text;
}

export function optionalString(props: Props, name: string): string | undefined {
  const value = props[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Keeps a plain string within one property: start and end, and how much was cut. */
export function fitString(text: string): string {
  if (text.length <= JSON_CHUNK_CHARS) return text;
  const cut = text.length - (JSON_CHUNK_CHARS - 100);
  const marker = ` … [truncated ${cut} characters] … `;
  const keep = JSON_CHUNK_CHARS - 100 - marker.length;
  return text.slice(0, Math.ceil(keep / 2)) + marker + text.slice(text.length - Math.floor(keep / 2));
}

/**
 * The entry as it will be stored: JSON-shaped (what a JSON round trip keeps), strings within a property,
 * before/after/details within the row budget. Idempotent.
 * @example fitEvidence({ ...entry, details: hugeObject }).details // { truncated: true, originalChars: 5000000, ... }
 */
export function fitEvidence(entry: EvidenceEntry): EvidenceEntry {
  const { fields, json } = fittedEvidence(entry);
  return {
    ...fields,
    ...(json.before === undefined ? {} : { before: JSON.parse(json.before) as unknown }),
    ...(json.after === undefined ? {} : { after: JSON.parse(json.after) as unknown }),
    ...(json.details === undefined ? {} : { details: JSON.parse(json.details) as unknown }),
  };
}

/**
 * `fitEvidence`'s entry as it is written: the plain fields fitted, and before, after and details as their JSON (the
 * largest replaced by a truncation marker while the three are over the row budget), not yet parsed back.
 * @example fittedEvidence({ ...entry, details: { a: 1 } }).json.details // '{"a":1}'
 */
export function fittedEvidence(entry: EvidenceEntry): {
  fields: Omit<EvidenceEntry, 'before' | 'after' | 'details'>;
  json: Record<'before' | 'after' | 'details', string | undefined>;
} {
  const json: Record<'before' | 'after' | 'details', string | undefined> = {
    before: entry.before === undefined ? undefined : JSON.stringify(entry.before),
    after: entry.after === undefined ? undefined : JSON.stringify(entry.after),
    details: entry.details === undefined ? undefined : JSON.stringify(entry.details),
  };
  const size = () => (json.before?.length ?? 0) + (json.after?.length ?? 0) + (json.details?.length ?? 0);
  while (size() > EVIDENCE_JSON_BUDGET_CHARS) {
    const largest = (['before', 'after', 'details'] as const).reduce((a, b) =>
      (json[b]?.length ?? 0) > (json[a]?.length ?? 0) ? b : a,
    );
    const original = json[largest] ?? '';
    const marker: TruncatedValue = {
      truncated: true,
      reason: `too large for one table row (${original.length} characters of JSON; at most ${EVIDENCE_JSON_BUDGET_CHARS} for before, after and details together)`,
      originalChars: original.length,
      preview: original.slice(0, TRUNCATED_PREVIEW_CHARS),
    };
    json[largest] = JSON.stringify(marker);
  }
  const fields = {
    serverKey: entry.serverKey,
    id: entry.id,
    at: fitString(entry.at),
    actor: fitString(entry.actor),
    kind: fitString(entry.kind),
    summary: fitString(entry.summary),
    ...(entry.reason === undefined ? {} : { reason: fitString(entry.reason) }),
  };
  return { fields, json };
}

/** A deep copy as a JSON round trip makes it (undefined members dropped, dates as strings), like a table row read back. */
export function jsonCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * Bytes Table Storage counts for an entity (its documented formula; strings count 2 bytes a character).
 * Used to keep entities under 1 MiB and batches under 4 MiB.
 */
export function entitySizeBytes(entity: Props): number {
  let size = 4;
  for (const [name, value] of Object.entries(entity)) {
    if (name === 'partitionKey' || name === 'rowKey') {
      size += String(value).length * 2;
      continue;
    }
    size += 8 + name.length * 2;
    if (typeof value === 'string') size += 4 + value.length * 2;
    else if (value instanceof Uint8Array) size += 4 + value.byteLength;
    else size += 8;
  }
  return size;
}

export const MAX_ENTITY_BYTES = 1_000_000;
