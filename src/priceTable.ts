import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/**
 * The dated Retail Prices table shipped in the repository: the app's fallback when the Retail Prices API fails, and
 * what the local emulator serves as that API. One file name, one reader.
 */
export const PRICE_TABLE_FILE = 'data/retail-prices-2026-11-01.json';

/** The table: the API's `Items`, the day they were fetched and where from. */
export interface PriceTable<Item = unknown> {
  readonly asOf: string;
  readonly currency: string;
  readonly source?: string;
  readonly Items: readonly Item[];
}

/** Checks a table's text; the error names the file. */
export function parsePriceTable<Item>(text: string, path: string): PriceTable<Item> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`Cannot read the price table ${path}: it is not JSON`, { cause: error });
  }
  const t = (parsed ?? {}) as Partial<PriceTable<Item>>;
  if (typeof t.asOf !== 'string' || !Array.isArray(t.Items))
    throw new Error(`Price table ${path} lacks "asOf" or "Items"`);
  return {
    asOf: t.asOf,
    currency: t.currency ?? 'USD',
    ...(t.source !== undefined ? { source: t.source } : {}),
    Items: t.Items,
  };
}

/** Reads and checks a table file. @example const table = await loadPriceTable<PriceItem>(PRICE_TABLE_FILE); */
export async function loadPriceTable<Item>(path: string): Promise<PriceTable<Item>> {
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    throw new Error(`Cannot read the price table ${path}`, { cause: error });
  });
  return parsePriceTable<Item>(text, path);
}

/** The same, synchronously (the emulator reads it once as it starts). */
export function loadPriceTableSync<Item>(path: string): PriceTable<Item> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`Cannot read the price table ${path}`, { cause: error });
  }
  return parsePriceTable<Item>(text, path);
}
