import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpError, ok } from './http.js';
import type { Route } from './route.js';
import { loadPriceTableSync, PRICE_TABLE_FILE, type PriceTable as DatedPriceTable } from '../../priceTable.js';

/** One item of the Retail Prices API (`Items[]`). */
export interface RetailPriceItem {
  currencyCode: string;
  tierMinimumUnits: number;
  retailPrice: number;
  unitPrice: number;
  armRegionName: string;
  location: string;
  effectiveStartDate: string;
  meterId: string;
  meterName: string;
  productId: string;
  skuId: string;
  availabilityId: string | null;
  productName: string;
  skuName: string;
  serviceName: string;
  serviceId: string;
  serviceFamily: string;
  unitOfMeasure: string;
  type: string;
  isPrimaryMeterRegion: boolean;
  armSkuName: string;
}

/** The dated price table in the repo (src/priceTable.ts), as the emulator serves it. */
export type PriceTable = DatedPriceTable<RetailPriceItem>;

/** The table next to the code (source tree or bundled dist/), else under the working directory. */
export function findPriceTable(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, PRICE_TABLE_FILE);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return join(process.cwd(), PRICE_TABLE_FILE);
  }
}

export function loadPriceTable(path = findPriceTable()): PriceTable {
  return loadPriceTableSync<RetailPriceItem>(path);
}

/** Fixed conversion rates for `currencyCode` (the emulator's assumption; the real API uses monthly rates). */
const RATES: Record<string, number> = { USD: 1, EUR: 0.92, GBP: 0.79 };
const FIELDS = new Set([
  'serviceName',
  'serviceId',
  'serviceFamily',
  'armRegionName',
  'location',
  'productName',
  'productId',
  'skuName',
  'skuId',
  'meterName',
  'meterId',
  'armSkuName',
  'type',
  'priceType',
  'unitOfMeasure',
  'currencyCode',
]);

type Clause = (item: RetailPriceItem) => boolean;

function fieldValue(item: RetailPriceItem, field: string): string {
  const key = field === 'priceType' ? 'type' : field;
  const value = (item as unknown as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : '';
}

/** `field eq 'v'`, `contains(field, 'v')` and `startswith(field, 'v')` joined by `and` (case-insensitive values). */
export function parsePriceFilter(filter: string): Clause[] {
  const parts = filter.split(/\s+and\s+/i);
  return parts.map((part) => {
    const trimmed = part.trim().replace(/^\((.*)\)$/, '$1');
    const eq = /^(\w+)\s+eq\s+'((?:[^']|'')*)'$/i.exec(trimmed);
    const fn = /^(contains|startswith)\(\s*(\w+)\s*,\s*'((?:[^']|'')*)'\s*\)$/i.exec(trimmed);
    const field = eq?.[1] ?? fn?.[2];
    if (!field || !FIELDS.has(field)) throw new HttpError(400, 'BadRequest', `Invalid OData filter clause: ${trimmed}`);
    const value = (eq?.[2] ?? fn?.[3] ?? '').replace(/''/g, "'").toLowerCase();
    if (eq) return (item) => fieldValue(item, field).toLowerCase() === value;
    return fn![1]!.toLowerCase() === 'contains'
      ? (item) => fieldValue(item, field).toLowerCase().includes(value)
      : (item) => fieldValue(item, field).toLowerCase().startsWith(value);
  });
}

/** `GET /api/retail/prices?$filter=…&currencyCode='EUR'&$skip=n` in the real response shape. */
export function priceRoutes(table: PriceTable, pageSize: number): Route[] {
  return [
    {
      kind: 'public',
      operation: 'RetailPrices_List',
      method: 'GET',
      pattern: /^\/api\/retail\/prices$/i,
      handle: (ctx) => {
        const currency = (ctx.query.get('currencyCode') ?? 'USD').replace(/'/g, '').toUpperCase();
        const rate = RATES[currency];
        if (rate === undefined)
          throw new HttpError(
            400,
            'BadRequest',
            `currencyCode '${currency}' is not supported by the emulator (USD, EUR, GBP).`,
          );
        const filter = ctx.query.get('$filter');
        const clauses = filter ? parsePriceFilter(filter) : [];
        const matching = table.Items.filter((item) => clauses.every((c) => c(item)));
        const skip = Number(ctx.query.get('$skip') ?? '0') || 0;
        const page = matching.slice(skip, skip + pageSize).map((item) => ({
          ...item,
          currencyCode: currency,
          retailPrice: Math.round(item.retailPrice * rate * 10000) / 10000,
          unitPrice: Math.round(item.unitPrice * rate * 10000) / 10000,
        }));
        let nextPageLink: string | null = null;
        if (skip + pageSize < matching.length) {
          const next = new URLSearchParams(ctx.query);
          next.set('$skip', String(skip + pageSize));
          nextPageLink = `${ctx.baseUrl}/api/retail/prices?${next.toString()}`;
        }
        return ok({
          BillingCurrency: currency,
          CustomerEntityId: 'Default',
          CustomerEntityType: 'Retail',
          Items: page,
          NextPageLink: nextPageLink,
          Count: page.length,
        });
      },
    },
  ];
}
