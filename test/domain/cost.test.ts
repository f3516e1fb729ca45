import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  estimateCost,
  HOURS_PER_MONTH,
  parseSku,
  type KnownCost,
  type PriceItem,
  type Prices,
} from '../../src/domain/cost.js';

const table = JSON.parse(
  readFileSync(new URL('../../data/retail-prices-2026-11-01.json', import.meta.url), 'utf8'),
) as {
  asOf: string;
  currency: string;
  Items: PriceItem[];
};
const prices: Prices = { items: table.Items, source: { kind: 'price-table', asOf: table.asOf } };
const createdAt = '2026-11-20T00:00:00Z';
const now = new Date('2026-11-22T12:00:00Z'); // 60 hours after createdAt

function known(estimate: ReturnType<typeof estimateCost>): KnownCost {
  if (!estimate.known) throw new Error(estimate.reason);
  return estimate;
}

describe('parseSku', () => {
  it('reads tier, vCores and the price-list series from ARM SKU names', () => {
    expect(parseSku('Standard_B1ms')).toEqual({ tier: 'Burstable', vCores: 1, series: 'B1ms' });
    expect(parseSku('Standard_B20ms')).toEqual({ tier: 'Burstable', vCores: 20, series: 'B20ms' });
    expect(parseSku('Standard_D2ds_v5')).toEqual({ tier: 'GeneralPurpose', vCores: 2, series: 'Ddsv5' });
    expect(parseSku('Standard_D4s_v3')).toEqual({ tier: 'GeneralPurpose', vCores: 4, series: 'Dsv3' });
    expect(parseSku('Standard_E4ds_v5')).toEqual({ tier: 'MemoryOptimized', vCores: 4, series: 'Edsv5' });
    expect(parseSku('GP_Gen5_2')).toBeUndefined();
  });
});

describe('estimateCost against a hand calculation from the 2026-11-01 price table', () => {
  it('Burstable Standard_B1ms, 32 GB, eastus', () => {
    // compute: B1ms meter 0.017/hour (whole SKU)
    // storage: 32 GB x 0.115/GB-month = 3.68/month; 3.68 / 730 = 0.005041095890/hour
    // per hour 0.017 + 0.005041095890 = 0.022041095890
    // per day 0.022041095890 x 24 = 0.528986301370
    // per month 0.017 x 730 + 3.68 = 12.41 + 3.68 = 16.09
    // to date: 60 hours x 0.022041095890 = 1.322465753425
    const cost = known(
      estimateCost(
        { skuName: 'Standard_B1ms', tier: 'Burstable', storageSizeGb: 32, region: 'eastus', createdAt },
        prices,
        now,
      ),
    );
    expect(cost.compute.perHour).toBeCloseTo(0.017, 10);
    expect(cost.storage.perHour).toBeCloseTo(0.00504109589, 10);
    expect(cost.perHour).toBeCloseTo(0.02204109589, 10);
    expect(cost.perDay).toBeCloseTo(0.52898630137, 9);
    expect(cost.perMonth).toBeCloseTo(16.09, 9);
    expect(cost.hoursToDate).toBe(60);
    expect(cost.toDate).toBeCloseTo(1.322465753425, 9);
    expect(cost.currency).toBe('USD');
    expect(cost.priceSource).toEqual({ kind: 'price-table', asOf: '2026-11-01' });
  });

  it('General Purpose Standard_D2ds_v5, 128 GB, westeurope', () => {
    // compute: Ddsv5 vCore 0.0997/hour x 2 vCores = 0.1994/hour
    // storage: 128 GB x 0.1288 = 16.4864/month; / 730 = 0.022584109589/hour
    // per month 0.1994 x 730 + 16.4864 = 145.562 + 16.4864 = 162.0484
    // per day 162.0484 / 730 x 24 = 5.327618630137
    // to date 60 hours x (0.1994 + 0.022584109589) = 60 x 0.221984109589 = 13.319046575342
    const cost = known(
      estimateCost(
        { skuName: 'Standard_D2ds_v5', tier: 'GeneralPurpose', storageSizeGb: 128, region: 'westeurope', createdAt },
        prices,
        now,
      ),
    );
    expect(cost.compute).toMatchObject({ tier: 'GeneralPurpose', vCores: 2, unitPrice: 0.0997, meterName: 'vCore' });
    expect(cost.compute.productName).toContain('Ddsv5');
    expect(cost.compute.perHour).toBeCloseTo(0.1994, 10);
    expect(cost.perMonth).toBeCloseTo(162.0484, 9);
    expect(cost.perDay).toBeCloseTo(5.327618630137, 9);
    expect(cost.toDate).toBeCloseTo(13.319046575342, 9);
  });

  it('Memory Optimized Standard_E4ds_v5, 256 GB, uksouth (tier derived from the SKU name)', () => {
    // compute: Edsv5 vCore 0.1348/hour x 4 vCores = 0.5392/hour
    // storage: 256 GB x 0.1265 = 32.384/month
    // per month 0.5392 x 730 + 32.384 = 393.616 + 32.384 = 426.000
    // per hour 426 / 730 = 0.583561643836; per day x 24 = 14.005479452055
    const cost = known(
      estimateCost({ skuName: 'Standard_E4ds_v5', storageSizeGb: 256, region: 'UKSouth', createdAt }, prices, now),
    );
    expect(cost.compute.tier).toBe('MemoryOptimized');
    expect(cost.perMonth).toBeCloseTo(426, 9);
    expect(cost.perHour).toBeCloseTo(0.583561643836, 10);
    expect(cost.perDay).toBeCloseTo(14.005479452055, 9);
    expect(cost.storage).toEqual({ sizeGb: 256, pricePerGbMonth: 0.1265, perHour: (256 * 0.1265) / HOURS_PER_MONTH });
  });
});

describe('estimateCost edge cases', () => {
  it('says which price is unknown instead of returning zero', () => {
    const region = estimateCost(
      { skuName: 'Standard_D2ds_v5', storageSizeGb: 32, region: 'westus3', createdAt },
      prices,
      now,
    );
    expect(region).toMatchObject({
      known: false,
      reason: 'unknown price for Standard_D2ds_v5 in westus3: no compute meter for General Purpose Ddsv5',
    });
    const series = estimateCost(
      { skuName: 'Standard_D2ads_v5', storageSizeGb: 32, region: 'eastus', createdAt },
      prices,
      now,
    );
    expect(series).toMatchObject({
      known: false,
      reason: expect.stringContaining('unknown price for Standard_D2ads_v5 in eastus'),
    });
    const garbage = estimateCost({ skuName: 'weird', storageSizeGb: 32, region: 'eastus', createdAt }, prices, now);
    expect(garbage).toMatchObject({
      known: false,
      reason: 'unknown price for weird in eastus: SKU name not understood',
    });
  });

  it('stops accruing at `until`, leaves toDate undefined without createdAt, and ignores future and reservation prices', () => {
    const deleted = known(
      estimateCost(
        { skuName: 'Standard_B1ms', storageSizeGb: 32, region: 'eastus', createdAt, until: '2026-11-20T10:00:00Z' },
        prices,
        now,
      ),
    );
    expect(deleted.hoursToDate).toBe(10);
    const noCreation = known(
      estimateCost({ skuName: 'Standard_B1ms', storageSizeGb: 32, region: 'eastus' }, prices, now),
    );
    expect(noCreation.toDate).toBeUndefined();

    const base = table.Items.find((i) => i.armSkuName === 'Standard_B1ms' && i.armRegionName === 'eastus')!;
    const extra: PriceItem[] = [
      { ...base, unitPrice: 99, effectiveStartDate: '2027-01-01T00:00:00Z' },
      { ...base, unitPrice: 0.001, type: 'Reservation' },
      { ...base, unitPrice: 0.02, effectiveStartDate: '2026-06-01T00:00:00Z' },
    ];
    const cost = known(
      estimateCost(
        { skuName: 'Standard_B1ms', storageSizeGb: 0, region: 'eastus' },
        { ...prices, items: [...table.Items, ...extra] },
        now,
      ),
    );
    expect(cost.compute.unitPrice).toBe(0.02);
  });
});
