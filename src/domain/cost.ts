import { DEFAULT_ENGINE, ENGINE_SPECS, type Engine } from './engines.js';

/**
 * Cost estimate of a flexible server from list prices in the Azure Retail Prices API item shape.
 * Pure: prices and `now` come in, a figure or an explicit "unknown price" comes out (never a silent zero).
 */

/** One price item as the Retail Prices API returns it (only the fields the estimate reads). */
export interface PriceItem {
  readonly armRegionName: string;
  /** Set for Burstable SKUs (`Standard_B1ms`); empty for vCore meters. */
  readonly armSkuName?: string;
  readonly productName: string;
  readonly skuName: string;
  readonly meterName: string;
  /** `1 Hour` for compute, `1 GB/Month` for storage. */
  readonly unitOfMeasure: string;
  readonly unitPrice: number;
  readonly effectiveStartDate: string;
  /** `Consumption` for pay-as-you-go; `Reservation` and `DevTestConsumption` are ignored. */
  readonly type: string;
  readonly currencyCode?: string;
  readonly serviceName?: string;
}

/** Where the prices came from: the live API (asOf = when fetched) or the dated table shipped in the repo. */
export interface PriceSourceInfo {
  readonly kind: 'retail-prices-api' | 'price-table';
  readonly asOf: string;
}

export interface Prices {
  readonly items: readonly PriceItem[];
  readonly source: PriceSourceInfo;
}

export type ServerTier = 'Burstable' | 'GeneralPurpose' | 'MemoryOptimized';

/** Hours in a month as Azure bills GB/Month meters per hour. */
export const HOURS_PER_MONTH = 730;
const HOUR_MS = 3_600_000;

export interface SkuInfo {
  readonly tier: ServerTier;
  readonly vCores: number;
  /** Burstable: the SKU without `Standard_` (`B1ms`); vCore SKUs: the series as the price list names it (`Ddsv5`). */
  readonly series: string;
}

/**
 * Reads tier, vCores and series from an ARM SKU name.
 * @example parseSku('Standard_D2ds_v5') // { tier: 'GeneralPurpose', vCores: 2, series: 'Ddsv5' }
 * @example parseSku('Standard_B1ms')    // { tier: 'Burstable', vCores: 1, series: 'B1ms' }
 */
export function parseSku(skuName: string): SkuInfo | undefined {
  const name = skuName.trim().replace(/^standard_/i, '');
  const burstable = /^B(\d+)([a-z]*)$/i.exec(name);
  if (burstable)
    return { tier: 'Burstable', vCores: Number(burstable[1]), series: `B${burstable[1]}${burstable[2] ?? ''}` };
  const vcore = /^([DE])(\d+)([a-z]*)_v(\d+)$/i.exec(name);
  if (!vcore) return undefined;
  const [, family = '', cores = '', features = '', version = ''] = vcore;
  const letter = family.toUpperCase();
  return {
    tier: letter === 'D' ? 'GeneralPurpose' : 'MemoryOptimized',
    vCores: Number(cores),
    series: `${letter}${features.toLowerCase()}v${version}`,
  };
}

export interface CostInput {
  /** Which engine's prices apply (its Retail Prices `serviceName`); PostgreSQL when left out. */
  readonly engine?: Engine;
  readonly skuName: string;
  /** ARM `sku.tier`; when absent it is derived from the SKU name. */
  readonly tier?: string;
  readonly storageSizeGb: number;
  readonly region: string;
  /** Creation time (ISO); cost to date accrues from here. */
  readonly createdAt?: string;
  /** Stop accruing here (ISO), e.g. the deletion time of a deleted clone. */
  readonly until?: string;
}

export interface KnownCost {
  readonly known: true;
  readonly perHour: number;
  readonly perDay: number;
  readonly perMonth: number;
  /** Accrued from createdAt to min(now, until); undefined when createdAt is unknown. */
  readonly toDate: number | undefined;
  readonly hoursToDate: number | undefined;
  readonly currency: string;
  readonly compute: {
    /** A flexible server's ServerTier, or a SQL database's service tier (Standard, GeneralPurpose, …). */
    readonly tier: string;
    readonly vCores: number;
    readonly productName: string;
    readonly meterName: string;
    /** Price of one unit of the meter (one vCore hour, or one Burstable SKU hour). */
    readonly unitPrice: number;
    readonly perHour: number;
  };
  readonly storage: { readonly sizeGb: number; readonly pricePerGbMonth: number; readonly perHour: number };
  readonly priceSource: PriceSourceInfo;
}

export interface UnknownCost {
  readonly known: false;
  /** e.g. `unknown price for Standard_D2ds_v5 in westus3: no compute meter for General Purpose Ddsv5` */
  readonly reason: string;
  readonly priceSource?: PriceSourceInfo;
}

export type CostEstimate = KnownCost | UnknownCost;

/**
 * Estimates compute + storage cost of one server at list (pay-as-you-go) prices. Backup storage is left out:
 * backup up to the provisioned storage size is free, and the warden does not know the backup size.
 * @example estimateCost({ skuName: 'Standard_B1ms', storageSizeGb: 32, region: 'eastus', createdAt }, prices, now).perDay
 */
export function estimateCost(input: CostInput, prices: Prices, now: Date): CostEstimate {
  const unknown = (why: string): UnknownCost => ({
    known: false,
    reason: `unknown price for ${input.skuName || '(no SKU)'} in ${input.region || '(no region)'}: ${why}`,
    priceSource: prices.source,
  });
  const sku = parseSku(input.skuName);
  if (!sku) return unknown('SKU name not understood');
  const tier = normaliseTier(input.tier) ?? sku.tier;
  if (!Number.isFinite(input.storageSizeGb) || input.storageSizeGb < 0)
    return unknown(`storage size ${input.storageSizeGb} GB not understood`);

  // Items without a serviceName come from sources that held one engine's prices (PostgreSQL, before engines existed).
  const service = ENGINE_SPECS[input.engine ?? DEFAULT_ENGINE].priceServiceName;
  const regional = prices.items.filter(
    (i) =>
      i.armRegionName.toLowerCase() === input.region.toLowerCase() &&
      i.type === 'Consumption' &&
      !isFuture(i, now) &&
      (i.serviceName ?? ENGINE_SPECS[DEFAULT_ENGINE].priceServiceName) === service,
  );
  const computeItem = latest(regional.filter((i) => isComputeMeter(i, tier, sku, input.skuName)));
  if (!computeItem) return unknown(`no compute meter for ${tierLabel(tier)} ${sku.series}`);
  const storageItem = latest(regional.filter(isStorageMeter));
  if (!storageItem) return unknown('no storage meter');

  const computeUnitHourly = perUnit(computeItem, 'Hour');
  const storageUnitMonthly = perUnit(storageItem, 'GB/Month');
  if (computeUnitHourly === undefined)
    return unknown(`compute meter unit "${computeItem.unitOfMeasure}" not understood`);
  if (storageUnitMonthly === undefined)
    return unknown(`storage meter unit "${storageItem.unitOfMeasure}" not understood`);

  // Burstable meters price the whole SKU per hour; General Purpose / Memory Optimized price one vCore hour.
  const computePerHour = tier === 'Burstable' ? computeUnitHourly : computeUnitHourly * sku.vCores;
  const storagePerHour = (input.storageSizeGb * storageUnitMonthly) / HOURS_PER_MONTH;
  return knownEstimate(input, now, prices.source, {
    currency: computeItem.currencyCode ?? storageItem.currencyCode ?? 'USD',
    compute: {
      tier,
      vCores: sku.vCores,
      productName: computeItem.productName,
      meterName: computeItem.meterName,
      unitPrice: computeUnitHourly,
      perHour: computePerHour,
    },
    storage: { sizeGb: input.storageSizeGb, pricePerGbMonth: storageUnitMonthly, perHour: storagePerHour },
  });
}

/**
 * A known estimate from its compute and storage parts: per hour, day and month, and to date from the resource's
 * creation (to its deletion, or now). Every engine's pricing ends here.
 */
export function knownEstimate(
  input: Pick<CostInput, 'createdAt' | 'until'>,
  now: Date,
  priceSource: PriceSourceInfo,
  parts: Pick<KnownCost, 'currency' | 'compute' | 'storage'>,
): CostEstimate {
  const perHour = parts.compute.perHour + parts.storage.perHour;
  const hoursToDate = accruedHours(input.createdAt, input.until, now);
  return {
    known: true,
    perHour,
    perDay: perHour * 24,
    perMonth: perHour * HOURS_PER_MONTH,
    toDate: hoursToDate === undefined ? undefined : perHour * hoursToDate,
    hoursToDate,
    currency: parts.currency,
    compute: parts.compute,
    storage: parts.storage,
    priceSource,
  };
}

const TIERS: Readonly<Record<string, ServerTier>> = {
  burstable: 'Burstable',
  generalpurpose: 'GeneralPurpose',
  memoryoptimized: 'MemoryOptimized',
};

/** ARM answers `GeneralPurpose`; people write `General Purpose` or `general_purpose`. */
function normaliseTier(tier: string | undefined): ServerTier | undefined {
  return tier === undefined ? undefined : TIERS[tier.replace(/[\s_-]/g, '').toLowerCase()];
}

function tierLabel(tier: ServerTier): string {
  return tier === 'GeneralPurpose' ? 'General Purpose' : tier === 'MemoryOptimized' ? 'Memory Optimized' : 'Burstable';
}

const FLEXIBLE = /flexible server/i;

function isComputeMeter(item: PriceItem, tier: ServerTier, sku: SkuInfo, armSkuName: string): boolean {
  if (!FLEXIBLE.test(item.productName) || !/hour/i.test(item.unitOfMeasure)) return false;
  if (tier === 'Burstable') {
    if (!/burstable/i.test(item.productName)) return false;
    if (item.armSkuName) return item.armSkuName.toLowerCase() === armSkuName.trim().toLowerCase();
    return item.meterName.toLowerCase() === sku.series.toLowerCase();
  }
  // e.g. "Azure Database for PostgreSQL Flexible Server General Purpose Ddsv5 Series Compute", meter "vCore".
  const product = new RegExp(`\\b${tierLabel(tier)} ${sku.series} Series Compute\\b`, 'i');
  return product.test(item.productName) && /^vcore$/i.test(item.meterName.trim());
}

function isStorageMeter(item: PriceItem): boolean {
  // "Az DB for PostgreSQL Flexible Server Storage" (not "... Backup Storage", not Premium SSD v2 or IOPS).
  return (
    /flexible server storage$/i.test(item.productName.trim()) && /^storage data stored$/i.test(item.meterName.trim())
  );
}

export function isFuture(item: PriceItem, now: Date): boolean {
  const start = Date.parse(item.effectiveStartDate);
  return Number.isFinite(start) && start > now.getTime();
}

/** The most recent price when a meter has several effective dates (ties: the first listed). */
export function latest(items: readonly PriceItem[]): PriceItem | undefined {
  let best: PriceItem | undefined;
  for (const item of items) {
    if (!best || (Date.parse(item.effectiveStartDate) || 0) > (Date.parse(best.effectiveStartDate) || 0)) best = item;
  }
  return best;
}

/** Price of one unit from e.g. "1 Hour", "100 Hours", "1 GB/Month"; undefined for other units. */
function perUnit(item: PriceItem, unit: 'Hour' | 'GB/Month'): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)?\s*(.+?)\s*$/.exec(item.unitOfMeasure);
  const quantity = Number(match?.[1] ?? '1');
  const name = (match?.[2] ?? '').replace(/s$/i, '').toLowerCase();
  if (name !== unit.toLowerCase() || !(quantity > 0) || !Number.isFinite(item.unitPrice)) return undefined;
  return item.unitPrice / quantity;
}

export function accruedHours(createdAt: string | undefined, until: string | undefined, now: Date): number | undefined {
  const start = createdAt ? Date.parse(createdAt) : NaN;
  if (!Number.isFinite(start)) return undefined;
  const stop = until && Number.isFinite(Date.parse(until)) ? Math.min(Date.parse(until), now.getTime()) : now.getTime();
  return Math.max(0, stop - start) / HOUR_MS;
}
