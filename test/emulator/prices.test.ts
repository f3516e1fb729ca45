import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/local/emulator/index.js';
import { call, now } from './helpers.js';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ now, pageSize: 5 });
});
afterAll(() => emulator.close());

const prices = (query: string) => call(emulator, 'GET', `/api/retail/prices?${query}`);
const filter = (f: string) => prices(`$filter=${encodeURIComponent(f)}`);

describe('Retail Prices API subset', () => {
  it('answers PostgreSQL flexible compute meters in the real response shape', async () => {
    const res = await filter(
      "serviceName eq 'Azure Database for PostgreSQL' and armRegionName eq 'eastus' and skuName eq 'B1ms'",
    );
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual([
      'BillingCurrency',
      'Count',
      'CustomerEntityId',
      'CustomerEntityType',
      'Items',
      'NextPageLink',
    ]);
    expect(res.body).toMatchObject({
      BillingCurrency: 'USD',
      CustomerEntityId: 'Default',
      CustomerEntityType: 'Retail',
      Count: 1,
      NextPageLink: null,
    });
    expect(res.body.Items[0]).toMatchObject({
      armRegionName: 'eastus',
      armSkuName: 'Standard_B1ms',
      meterName: 'B1ms',
      unitOfMeasure: '1 Hour',
      type: 'Consumption',
      unitPrice: 0.017,
      retailPrice: 0.017,
    });
  });

  it('filters vCore meters with contains() and pages with NextPageLink', async () => {
    const res = await filter("contains(productName, 'Ddsv5') and meterName eq 'vCore'");
    expect(res.body.Count).toBe(5);
    expect(res.body.NextPageLink).toBeNull();
    const all = await filter("serviceName eq 'Azure Database for PostgreSQL' and armRegionName eq 'westeurope'");
    expect(all.body.Count).toBe(5);
    const next = new URL(all.body.NextPageLink as string);
    const second = await call(emulator, 'GET', `${next.pathname}${next.search}`);
    expect(second.body.Items).toHaveLength(4);
    expect((second.body.Items as { armRegionName: string }[]).every((i) => i.armRegionName === 'westeurope')).toBe(
      true,
    );
  });

  it('converts to another currency and rejects a filter it cannot read', async () => {
    const eur = await prices(
      `currencyCode='EUR'&$filter=${encodeURIComponent("serviceName eq 'Azure Database for PostgreSQL' and armRegionName eq 'eastus' and meterName eq 'Storage Data Stored'")}`,
    );
    expect(eur.body).toMatchObject({
      BillingCurrency: 'EUR',
      Items: [{ currencyCode: 'EUR', unitOfMeasure: '1 GB/Month' }],
    });
    expect((await filter('unitPrice gt 1')).status).toBe(400);
  });
});
