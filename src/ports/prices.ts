import type { PriceItem, PriceSourceInfo } from '../domain/cost.js';
import type { Engine } from '../domain/engines.js';

/**
 * Retail prices of one region and engine (the engine's Retail Prices `serviceName`; PostgreSQL when left out), and where
 * they came from (the Retail Prices API, its cached copy, or the dated table shipped in the repository). Adapters:
 * src/adapters/azure/prices/retailPrices.ts.
 * @example
 *   const { items, source } = await prices.itemsFor('westeurope', 'sql-database');
 *   estimateCostOf('sql-database', { skuName: 'S0', storageSizeGb, region: 'westeurope', createdAt }, { items, source }, now);
 */
export interface PriceSource {
  itemsFor(
    region: string,
    engine?: Engine,
  ): Promise<{ items: PriceItem[]; source: PriceSourceInfo; fallbackReason?: string }>;
}
