/**
 * Cost estimate of a SQL database from list prices of the Retail Prices API service "SQL Database", by its service
 * objective: DTU objectives (Basic, S0…S12, P1…P15) are one meter per objective, billed per day with storage included;
 * vCore objectives (GP_Gen5_2, BC_Gen5_4, HS_Gen5_2) price one vCore hour of their tier and family, plus storage per
 * GB-month. Pure: prices and `now` come in, a figure or an explicit "unknown price" comes out.
 */
import {
  estimateCost,
  HOURS_PER_MONTH,
  knownEstimate,
  isFuture,
  latest,
  type CostEstimate,
  type CostInput,
  type PriceItem,
  type Prices,
  type UnknownCost,
} from './cost.js';
import type { Engine } from './engines.js';

const DTU_TIERS: Record<string, string> = { B: 'Basic', S: 'Standard', P: 'Premium' };
const VCORE_TIERS: Record<string, string> = { GP: 'General Purpose', BC: 'Business Critical', HS: 'Hyperscale' };

/** What a service objective names: a DTU size, or a vCore tier, hardware family and vCore count. */
export type SqlObjective =
  | { readonly model: 'dtu'; readonly tier: string; readonly objective: string }
  | { readonly model: 'vcore'; readonly tier: string; readonly family: string; readonly vCores: number };

/**
 * @example parseSqlObjective('S0')        // { model: 'dtu', tier: 'Standard', objective: 'S0' }
 * @example parseSqlObjective('GP_Gen5_2') // { model: 'vcore', tier: 'General Purpose', family: 'Gen5', vCores: 2 }
 */
export function parseSqlObjective(objective: string): SqlObjective | undefined {
  const name = objective.trim();
  if (/^basic$/i.test(name)) return { model: 'dtu', tier: 'Basic', objective: 'Basic' };
  const dtu = /^([SP])(\d+)$/i.exec(name);
  if (dtu)
    return { model: 'dtu', tier: DTU_TIERS[dtu[1]!.toUpperCase()]!, objective: `${dtu[1]!.toUpperCase()}${dtu[2]}` };
  const vcore = /^(GP|BC|HS)_(Gen5|Gen4|DC|FSv2|M|8IM|8IH)_(\d+)$/i.exec(name);
  if (vcore)
    return { model: 'vcore', tier: VCORE_TIERS[vcore[1]!.toUpperCase()]!, family: vcore[2]!, vCores: Number(vcore[3]) };
  return undefined;
}

/** Price per hour of one unit from "1 Hour", "1/Day", "1 GB/Month" and the like; undefined for other units. */
function hourly(item: PriceItem): number | undefined {
  const unit = item.unitOfMeasure.trim().toLowerCase().replace(/\s+/g, ' ');
  if (!Number.isFinite(item.unitPrice)) return undefined;
  if (unit === '1 hour' || unit === '1/hour') return item.unitPrice;
  if (unit === '1/day' || unit === '1 day') return item.unitPrice / 24;
  if (unit === '1 gb/month') return item.unitPrice / HOURS_PER_MONTH;
  return undefined;
}

/**
 * Estimates compute and storage of one SQL database at list prices (backup storage left out, as for servers).
 * @example estimateSqlCost({ skuName: 'S0', storageSizeGb: 250, region: 'westeurope', createdAt }, prices, now).perDay
 */
export function estimateSqlCost(input: CostInput, prices: Prices, now: Date): CostEstimate {
  const unknown = (why: string): UnknownCost => ({
    known: false,
    reason: `unknown price for SQL database ${input.skuName || '(no service objective)'} in ${input.region || '(no region)'}: ${why}`,
    priceSource: prices.source,
  });
  const objective = parseSqlObjective(input.skuName);
  if (!objective) return unknown('service objective not understood');
  const regional = prices.items.filter(
    (i) =>
      i.armRegionName.toLowerCase() === input.region.toLowerCase() &&
      i.type === 'Consumption' &&
      !isFuture(i, now) &&
      (i.serviceName === undefined || i.serviceName === 'SQL Database'),
  );
  let computeItem: PriceItem | undefined;
  let storageItem: PriceItem | undefined;
  let units = 1;
  if (objective.model === 'dtu') {
    // e.g. product "SQL Database Single Standard", sku "S0", meter "S0 DTUs", 1/Day; storage up to the maximum is included.
    computeItem = latest(
      regional.filter(
        (i) =>
          new RegExp(`^SQL Database Single ${objective.tier}$`, 'i').test(i.productName.trim()) &&
          i.skuName.toLowerCase() === objective.objective.toLowerCase(),
      ),
    );
    if (!computeItem) return unknown(`no meter for ${objective.tier} ${objective.objective}`);
  } else {
    // e.g. product "SQL Database Single/Elastic Pool General Purpose - Compute Gen5", meter "vCore", 1 Hour per vCore.
    const compute = new RegExp(
      `^SQL Database Single/Elastic Pool ${objective.tier} - Compute ${objective.family}$`,
      'i',
    );
    computeItem = latest(
      regional.filter((i) => compute.test(i.productName.trim()) && /^vcore$/i.test(i.meterName.trim())),
    );
    if (!computeItem) return unknown(`no compute meter for ${objective.tier} ${objective.family}`);
    const storage = new RegExp(`^SQL Database Single/Elastic Pool ${objective.tier} - Storage$`, 'i');
    storageItem = latest(
      regional.filter((i) => storage.test(i.productName.trim()) && /data stored$/i.test(i.meterName.trim())),
    );
    if (!storageItem) return unknown(`no storage meter for ${objective.tier}`);
    units = objective.vCores;
  }
  const computeUnitHourly = hourly(computeItem);
  if (computeUnitHourly === undefined)
    return unknown(`compute meter unit "${computeItem.unitOfMeasure}" not understood`);
  const storagePerGbHour = storageItem ? hourly(storageItem) : 0;
  if (storagePerGbHour === undefined)
    return unknown(`storage meter unit "${storageItem!.unitOfMeasure}" not understood`);
  if (!Number.isFinite(input.storageSizeGb) || input.storageSizeGb < 0)
    return unknown(`storage size ${input.storageSizeGb} GB not understood`);
  const computePerHour = computeUnitHourly * units;
  const storagePerHour = storagePerGbHour * input.storageSizeGb;
  return knownEstimate(input, now, prices.source, {
    currency: computeItem.currencyCode ?? 'USD',
    compute: {
      tier: objective.tier,
      vCores: objective.model === 'vcore' ? objective.vCores : 0,
      productName: computeItem.productName,
      meterName: computeItem.meterName,
      unitPrice: computeUnitHourly,
      perHour: computePerHour,
    },
    storage: {
      sizeGb: input.storageSizeGb,
      pricePerGbMonth: storagePerGbHour * HOURS_PER_MONTH,
      perHour: storagePerHour,
    },
  });
}

/** The estimate for a resource of any engine: flexible servers by SKU, SQL databases by service objective. */
export function estimateCostOf(engine: Engine, input: CostInput, prices: Prices, now: Date): CostEstimate {
  return engine === 'sql-database'
    ? estimateSqlCost(input, prices, now)
    : estimateCost({ ...input, engine }, prices, now);
}
