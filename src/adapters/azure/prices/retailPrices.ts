import http from 'node:http';
import https from 'node:https';
import { resolve } from 'node:path';
import type { PriceItem } from '../../../domain/cost.js';
import { DEFAULT_ENGINE, ENGINE_SPECS, type Engine } from '../../../domain/engines.js';
import type { Clock } from '../../../ports/clock.js';
import type { CheckpointsPort } from '../../../ports/inventory.js';
import type { PriceSource } from '../../../ports/prices.js';
import { errorMessage } from '../../../errorMessage.js';
import {
  loadPriceTable as loadDatedPriceTable,
  PRICE_TABLE_FILE,
  type PriceTable as DatedPriceTable,
} from '../../../priceTable.js';

export type { PriceSource };

/** The checkpoint of one region's prices: `prices:<region>` for PostgreSQL (as before engines), `prices:<engine>:<region>` else. */
const cacheKey = (region: string, engine: Engine): string =>
  engine === DEFAULT_ENGINE ? `prices:${region}` : `prices:${engine}:${region}`;

/** The items an engine's estimate reads: pay-as-you-go flexible server meters, or single-database SQL meters. */
function isEngineConsumption(item: PriceItem, engine: Engine): boolean {
  if (item.type !== 'Consumption' || typeof item.unitPrice !== 'number') return false;
  return engine === 'sql-database'
    ? /^SQL Database Single/i.test(item.productName ?? '')
    : /flexible server/i.test(item.productName ?? '');
}

/** The table's items of one region and engine (items of a table written before engines carry PostgreSQL's service). */
const tableItems = (table: PriceTable, region: string, engine: Engine): PriceItem[] =>
  table.Items.filter(
    (i) =>
      i.armRegionName.toLowerCase() === region &&
      (i.serviceName ?? ENGINE_SPECS[DEFAULT_ENGINE].priceServiceName) === ENGINE_SPECS[engine].priceServiceName,
  );

/** The dated price table shipped in the repo (`data/retail-prices-YYYY-MM-DD.json`). */
/** The dated table (src/priceTable.ts) of the API's items. */
export type PriceTable = DatedPriceTable<PriceItem>;

const DAY_MS = 86_400_000;
const MAX_PAGES = 50;

export interface RetailPriceSourceOptions {
  /** e.g. `https://prices.azure.com` (RETAIL_PRICES_ENDPOINT). */
  readonly endpoint: string;
  readonly checkpoints: CheckpointsPort;
  readonly clock: Clock;
  /** PEM of an extra CA to trust (the local emulator's self-signed certificate). */
  readonly ca?: string;
  /** The fallback table; when absent it is read from `priceTablePath`. */
  readonly priceTable?: PriceTable;
  /** Default: env PRICE_TABLE_PATH, else `data/retail-prices-2026-11-01.json` under the working directory. */
  readonly priceTablePath?: string;
  /** How long cached API items are used; default one day. */
  readonly cacheTtlInMs?: number;
  readonly timeoutInMs?: number;
}

/** What a `prices:<region>` checkpoint holds. */
interface CachedPrices {
  readonly fetchedAt: string;
  /** Compact rows (see `toRow`) keep the value small: checkpoints live in one Table Storage property. */
  readonly rows: readonly Row[];
}
type Row = [
  productName: string,
  skuName: string,
  meterName: string,
  armSkuName: string,
  unitOfMeasure: string,
  unitPrice: number,
  effectiveStartDate: string,
  currencyCode: string,
];

/**
 * Prices from the Retail Prices API, cached per region for a day in checkpoints, falling back to the shipped
 * dated price table when the API fails or knows nothing about the region.
 */
export function createRetailPriceSource(options: RetailPriceSourceOptions): PriceSource {
  const ttl = options.cacheTtlInMs ?? DAY_MS;
  let table: Promise<PriceTable> | undefined;
  const loadTable = (): Promise<PriceTable> =>
    (table ??= options.priceTable
      ? Promise.resolve(options.priceTable)
      : loadPriceTable(resolve(process.cwd(), options.priceTablePath ?? PRICE_TABLE_FILE)));

  return {
    async itemsFor(rawRegion, engine = DEFAULT_ENGINE) {
      const region = rawRegion.trim().toLowerCase();
      const now = options.clock.now();
      const key = cacheKey(region, engine);
      const cached = await readCache(options.checkpoints, key);
      if (cached && now.getTime() - Date.parse(cached.value.fetchedAt) < ttl && cached.value.rows.length > 0) {
        return {
          items: cached.value.rows.map((row) => fromRow(row, region, engine)),
          source: { kind: 'retail-prices-api', asOf: cached.value.fetchedAt },
        };
      }
      let fallbackReason: string;
      try {
        const items = (await fetchRegion(options, region, engine)).filter((item) => isEngineConsumption(item, engine));
        if (items.length > 0) {
          const fetchedAt = now.toISOString();
          await writeCache(options.checkpoints, key, { fetchedAt, rows: items.map(toRow) }, cached?.etag);
          return { items, source: { kind: 'retail-prices-api', asOf: fetchedAt } };
        }
        fallbackReason = `Retail Prices API returned no ${ENGINE_SPECS[engine].label} prices for ${region}`;
      } catch (error) {
        fallbackReason = errorMessage(error);
      }
      const fallback = await loadTable();
      return {
        items: tableItems(fallback, region, engine),
        source: { kind: 'price-table', asOf: fallback.asOf },
        fallbackReason,
      };
    },
  };
}

/**
 * Prices without a request or a write: the cached Retail Prices API items of the region whatever their age (the notice
 * and reconcile jobs refresh them), else the shipped dated table. For read-only views such as the dashboard.
 * @example const { items, source } = await cachedPriceSource({ checkpoints, priceTablePath }).itemsFor('eastus');
 */
export function cachedPriceSource(
  options: Pick<RetailPriceSourceOptions, 'checkpoints' | 'priceTable' | 'priceTablePath'>,
): PriceSource {
  let table: Promise<PriceTable> | undefined;
  return {
    async itemsFor(rawRegion, engine = DEFAULT_ENGINE) {
      const region = rawRegion.trim().toLowerCase();
      const cached = await readCache(options.checkpoints, cacheKey(region, engine));
      if (cached && cached.value.rows.length > 0) {
        return {
          items: cached.value.rows.map((row) => fromRow(row, region, engine)),
          source: { kind: 'retail-prices-api', asOf: cached.value.fetchedAt },
        };
      }
      table ??= options.priceTable
        ? Promise.resolve(options.priceTable)
        : loadPriceTable(resolve(process.cwd(), options.priceTablePath ?? PRICE_TABLE_FILE));
      const fallback = await table;
      return { items: tableItems(fallback, region, engine), source: { kind: 'price-table', asOf: fallback.asOf } };
    },
  };
}

/** Reads and checks a dated price table file. */
export const loadPriceTable = (path: string): Promise<PriceTable> => loadDatedPriceTable<PriceItem>(path);

async function fetchRegion(options: RetailPriceSourceOptions, region: string, engine: Engine): Promise<PriceItem[]> {
  if (!/^[a-z0-9]+$/.test(region)) throw new Error(`Region "${region}" is not an ARM region name`);
  const filter = `serviceName eq '${ENGINE_SPECS[engine].priceServiceName}' and armRegionName eq '${region}'`;
  let url: string | undefined =
    `${options.endpoint.replace(/\/+$/, '')}/api/retail/prices?$filter=${encodeURIComponent(filter)}`;
  const items: PriceItem[] = [];
  for (let page = 0; url; page++) {
    if (page >= MAX_PAGES)
      throw new Error(`Retail Prices API: more than ${MAX_PAGES} pages for ${region}; stopped following NextPageLink`);
    const body = (await getJson(url, options)) as { Items?: unknown; NextPageLink?: unknown };
    if (!Array.isArray(body.Items)) throw new Error(`Retail Prices API: no "Items" in the answer to GET ${url}`);
    items.push(...(body.Items as PriceItem[]));
    url = typeof body.NextPageLink === 'string' && body.NextPageLink !== '' ? body.NextPageLink : undefined;
  }
  return items;
}

/** GET through node:http(s) rather than fetch: Node 20's fetch cannot trust an extra CA per request. */
function getJson(url: string, options: Pick<RetailPriceSourceOptions, 'ca' | 'timeoutInMs'>): Promise<unknown> {
  return new Promise((resolvePromise, reject) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    const request = client.get(
      target,
      { headers: { accept: 'application/json' }, ...(options.ca ? { ca: options.ca } : {}) },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) =>
          reject(new Error(`Retail Prices API request failed: GET ${url}`, { cause: error })),
        );
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = response.statusCode ?? 0;
          if (status < 200 || status >= 300) {
            reject(new Error(`Retail Prices API request failed with status code ${status}: GET ${url}`));
            return;
          }
          try {
            resolvePromise(JSON.parse(text));
          } catch (error) {
            reject(new Error(`Retail Prices API answered with invalid JSON: GET ${url}`, { cause: error }));
          }
        });
      },
    );
    request.setTimeout(options.timeoutInMs ?? 15_000, () =>
      request.destroy(new Error(`timed out after ${options.timeoutInMs ?? 15_000} ms`)),
    );
    request.on('error', (error) =>
      reject(new Error(`Retail Prices API request failed: GET ${url}: ${error.message}`, { cause: error })),
    );
  });
}

async function readCache(
  checkpoints: CheckpointsPort,
  key: string,
): Promise<{ value: CachedPrices; etag: string } | undefined> {
  try {
    const entry = await checkpoints.get(key);
    if (!entry) return undefined;
    const value = JSON.parse(entry.value) as CachedPrices;
    if (typeof value.fetchedAt !== 'string' || !Array.isArray(value.rows)) return undefined;
    return { value, etag: entry.etag };
  } catch {
    return undefined; // an unreadable cache only costs a fresh request
  }
}

async function writeCache(
  checkpoints: CheckpointsPort,
  key: string,
  value: CachedPrices,
  etag: string | undefined,
): Promise<void> {
  try {
    await checkpoints.set(key, JSON.stringify(value), { ifMatch: etag ?? null });
  } catch {
    // Another run refreshed it first, or storage is down: the prices in hand are still good for this run.
  }
}

function toRow(i: PriceItem): Row {
  return [
    i.productName,
    i.skuName,
    i.meterName,
    i.armSkuName ?? '',
    i.unitOfMeasure,
    i.unitPrice,
    i.effectiveStartDate,
    i.currencyCode ?? 'USD',
  ];
}

function fromRow(row: Row, region: string, engine: Engine): PriceItem {
  const [productName, skuName, meterName, armSkuName, unitOfMeasure, unitPrice, effectiveStartDate, currencyCode] = row;
  return {
    armRegionName: region,
    productName,
    skuName,
    meterName,
    armSkuName,
    unitOfMeasure,
    unitPrice,
    effectiveStartDate,
    currencyCode,
    type: 'Consumption',
    serviceName: ENGINE_SPECS[engine].priceServiceName,
  };
}
