import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PriceItem, Prices } from '../../src/domain/cost.js';
import { estimateCostOf, estimateSqlCost, parseSqlObjective } from '../../src/domain/costSql.js';

const table = JSON.parse(
  readFileSync(new URL('../../data/retail-prices-2026-11-01.json', import.meta.url), 'utf8'),
) as { asOf: string; Items: PriceItem[] };
const prices: Prices = { items: table.Items, source: { kind: 'price-table', asOf: table.asOf } };
const NOW = new Date('2026-11-21T12:00:00Z');

describe('SQL Database cost by service objective', () => {
  it('reads DTU and vCore objectives', () => {
    expect(parseSqlObjective('S0')).toEqual({ model: 'dtu', tier: 'Standard', objective: 'S0' });
    expect(parseSqlObjective('GP_Gen5_2')).toEqual({
      model: 'vcore',
      tier: 'General Purpose',
      family: 'Gen5',
      vCores: 2,
    });
    expect(parseSqlObjective('Standard_D2ds_v5')).toBeUndefined();
  });

  it('a DTU database costs its daily meter, storage included', () => {
    const cost = estimateSqlCost(
      { skuName: 'S0', storageSizeGb: 250, region: 'westeurope', createdAt: '2026-11-20T12:00:00Z' },
      prices,
      NOW,
    );
    expect(cost).toMatchObject({
      known: true,
      compute: { tier: 'Standard', meterName: 'S0 DTUs' },
      storage: { perHour: 0 },
    });
    if (!cost.known) throw new Error('known');
    expect(cost.perDay).toBeCloseTo(0.542, 3);
    expect(cost.toDate).toBeCloseTo(0.542, 3);
  });

  it('a vCore database costs vCore hours times vCores plus storage per GB-month', () => {
    const cost = estimateSqlCost({ skuName: 'GP_Gen5_2', storageSizeGb: 32, region: 'eastus' }, prices, NOW);
    if (!cost.known) throw new Error(cost.reason);
    expect(cost.compute.perHour).toBeCloseTo(0.5046, 4);
    expect(cost.storage.perHour).toBeCloseTo((32 * 0.115) / 730, 6);
  });

  it('says why a price is unknown, never a silent zero; flexible servers keep their estimate', () => {
    expect(estimateSqlCost({ skuName: 'S0', storageSizeGb: 250, region: 'uksouth' }, prices, NOW)).toMatchObject({
      known: false,
      reason: 'unknown price for SQL database S0 in uksouth: no meter for Standard S0',
    });
    expect(estimateSqlCost({ skuName: 'Standard', storageSizeGb: 1, region: 'eastus' }, prices, NOW)).toMatchObject({
      known: false,
      reason: expect.stringContaining('service objective not understood'),
    });
    expect(
      estimateCostOf(
        'postgresql-flexible',
        { skuName: 'Standard_B1ms', storageSizeGb: 32, region: 'eastus' },
        prices,
        NOW,
      ).known,
    ).toBe(true);
    expect(
      estimateCostOf('sql-database', { skuName: 'S1', storageSizeGb: 250, region: 'eastus' }, prices, NOW),
    ).toMatchObject({ known: true, compute: { meterName: 'S1 DTUs' } });
  });
});
