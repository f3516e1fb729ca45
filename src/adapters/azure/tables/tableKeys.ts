import { createHash } from 'node:crypto';

/** Table Storage keys are at most 1 KiB; past this many characters a key ends in a hash of the rest. */
export const MAX_KEY_CHARS = 1000;
const HASHED_MARK = '~~';

/**
 * Makes any string a valid PartitionKey/RowKey, reversibly, and readable for people browsing the table:
 * `/` becomes `|`, letters, digits and `- . _ : @` stay, everything else becomes `~XX` (UTF-8 bytes in hex).
 * `%` and `'` never appear in the result (both break point operations on Azure and Azurite).
 * Keys longer than MAX_KEY_CHARS keep a prefix and end in `~~` + a SHA-256 of the whole (not reversible;
 * rows always store the original in a property).
 * @example encodeKey('/subscriptions/s/resourcegroups/rg') // '|subscriptions|s|resourcegroups|rg'
 */
export function encodeKey(value: string): string {
  const encoded = value
    .split('/')
    .map((segment) => encodeSegment(segment))
    .join('|');
  if (encoded.length <= MAX_KEY_CHARS) return encoded;
  const hash = createHash('sha256').update(value, 'utf8').digest('hex');
  return `${encoded.slice(0, MAX_KEY_CHARS - HASHED_MARK.length - hash.length).replace(/~[0-9A-F]?$/, '')}${HASHED_MARK}${hash}`;
}

/** The inverse of `encodeKey` (undefined for hashed long keys, whose original lives in a property). */
export function decodeKey(encoded: string): string | undefined {
  if (encoded.includes(HASHED_MARK)) return undefined;
  return encoded
    .split('|')
    .map((segment) => decodeURIComponent(segment.replace(/~/g, '%')))
    .join('/');
}

function encodeSegment(segment: string): string {
  let uri: string;
  try {
    uri = encodeURIComponent(segment);
  } catch (error) {
    throw new Error(`Cannot make a table key of ${JSON.stringify(segment)}: it is not valid Unicode`, { cause: error });
  }
  return uri
    .replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%3A/g, ':')
    .replace(/%40/g, '@')
    .replace(/%/g, '~');
}

/**
 * The inventory partition of a server key: its subscription id, lower case. Undefined when the key is not
 * under `/subscriptions/{id}/`.
 * @example inventoryPartition('/subscriptions/ABC/resourcegroups/rg/...') // 'abc'
 */
export function inventoryPartition(key: string): string | undefined {
  return /^\/?subscriptions\/([^/]+)(?:\/|$)/i.exec(key.trim())?.[1]?.toLowerCase();
}

/**
 * The partition of a record, checked: the key must name the record's subscription, so `get(key)` finds
 * what `upsert(record)` wrote and `list({ subscriptionId })` reads one partition.
 */
export function partitionOfRecord(record: { readonly key: string; readonly subscriptionId: string }): string {
  const partition = inventoryPartition(record.key);
  if (partition === undefined) {
    throw new Error(
      `Inventory key must be a resource id under /subscriptions/{id}/, got ${JSON.stringify(record.key)}`,
    );
  }
  if (partition !== record.subscriptionId.trim().toLowerCase()) {
    throw new Error(
      `Inventory record ${record.key} has subscriptionId ${record.subscriptionId}, not the key's ${partition}`,
    );
  }
  return partition;
}
