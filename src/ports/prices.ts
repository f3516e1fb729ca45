import type { PriceItem, PriceSourceInfo } from '../domain/cost.js';

/**
 * Retail prices of one region, and where they came from (the Retail Prices API, its cached copy, or the dated table
 * shipped in the repository). Adapters: src/adapters/azure/prices/retailPrices.ts.
 * @example
 *   const { items, source } = await prices.itemsFor('westeurope');
 *   estimateCost({ skuName, storageSizeGb, region: 'westeurope', createdAt }, { items, source }, now);
 */
export interface PriceSource {
  itemsFor(region: string): Promise<{ items: PriceItem[]; source: PriceSourceInfo; fallbackReason?: string }>;
}
