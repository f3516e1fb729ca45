import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRetailPriceSource } from '../../src/adapters/azure/prices/retailPrices.js';
import { estimateCost } from '../../src/domain/cost.js';
import { startEmulator, type Emulator } from '../../src/local/emulator/index.js';
import { fixedClock } from '../../src/ports/clock.js';
import type { CheckpointsPort, Versioned } from '../../src/ports/inventory.js';

function memoryCheckpoints(): CheckpointsPort & { entries: Map<string, Versioned<string>> } {
  const entries = new Map<string, Versioned<string>>();
  let version = 0;
  return {
    entries,
    get: (name) => Promise.resolve(entries.get(name)),
    set: (name, value) => {
      const etag = `v${++version}`;
      entries.set(name, { value, etag });
      return Promise.resolve(etag);
    },
  };
}

/** Prices per engine: "Azure Database for MySQL" from the emulator's Retail Prices API, cached apart from PostgreSQL's. */
describe('Retail prices of MySQL flexible servers', () => {
  let emulator: Emulator;
  const NOW = '2026-11-21T09:00:00Z';
  beforeAll(async () => (emulator = await startEmulator()));
  afterAll(async () => emulator?.close());

  it('asks the API for serviceName "Azure Database for MySQL", caches it under its own key, and prices a MySQL SKU from it', async () => {
    const checkpoints = memoryCheckpoints();
    const source = createRetailPriceSource({
      endpoint: emulator.pricesEndpoint,
      ca: emulator.caCertPem,
      checkpoints,
      clock: fixedClock(NOW),
    });
    const mysql = await source.itemsFor('eastus', 'mysql-flexible');
    expect(mysql.source.kind).toBe('retail-prices-api');
    expect(new Set(mysql.items.map((i) => i.serviceName))).toEqual(new Set(['Azure Database for MySQL']));
    const pg = await source.itemsFor('eastus');
    expect(new Set(pg.items.map((i) => i.serviceName))).toEqual(new Set(['Azure Database for PostgreSQL']));
    expect([...checkpoints.entries.keys()].sort()).toEqual(['prices:eastus', 'prices:mysql-flexible:eastus']);
    const filters = emulator.requests.entries({ operation: 'RetailPrices_List' }).length;
    expect(filters).toBeGreaterThanOrEqual(2);

    const cached = await source.itemsFor('eastus', 'mysql-flexible');
    expect(cached.items.every((i) => i.serviceName === 'Azure Database for MySQL')).toBe(true);
    const cost = estimateCost(
      {
        engine: 'mysql-flexible',
        skuName: 'Standard_D2ds_v4',
        tier: 'GeneralPurpose',
        storageSizeGb: 100,
        region: 'eastus',
      },
      cached,
      new Date(NOW),
    );
    expect(cost).toMatchObject({
      known: true,
      compute: {
        productName: 'Azure Database for MySQL Flexible Server General Purpose Ddsv4 Series Compute',
        vCores: 2,
      },
    });
    // 2 vCores at 0.086 plus 100 GB at 0.115 a month.
    expect(cost.known && cost.perHour).toBeCloseTo(2 * 0.086 + (100 * 0.115) / 730, 6);
  });

  it('never prices a MySQL server at PostgreSQL prices: the same SKU on a PostgreSQL-only list is an unknown price', async () => {
    const source = createRetailPriceSource({
      endpoint: emulator.pricesEndpoint,
      ca: emulator.caCertPem,
      checkpoints: memoryCheckpoints(),
      clock: fixedClock(NOW),
    });
    const pg = await source.itemsFor('eastus');
    const cost = estimateCost(
      { engine: 'mysql-flexible', skuName: 'Standard_B1ms', storageSizeGb: 20, region: 'eastus' },
      pg,
      new Date(NOW),
    );
    expect(cost.known).toBe(false);
    const both = {
      items: [...pg.items, ...(await source.itemsFor('eastus', 'mysql-flexible')).items],
      source: pg.source,
    };
    const mysqlB1ms = estimateCost(
      { engine: 'mysql-flexible', skuName: 'Standard_B1ms', storageSizeGb: 20, region: 'eastus' },
      both,
      new Date(NOW),
    );
    const pgB1ms = estimateCost({ skuName: 'Standard_B1ms', storageSizeGb: 20, region: 'eastus' }, both, new Date(NOW));
    expect(mysqlB1ms.known && mysqlB1ms.compute.unitPrice).toBe(0.0155);
    expect(pgB1ms.known && pgB1ms.compute.unitPrice).toBe(0.017);
  });
});
