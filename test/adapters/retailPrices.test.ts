import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { afterEach, describe, expect, it } from 'vitest';
import { createRetailPriceSource, type PriceTable } from '../../src/adapters/azure/prices/retailPrices.js';
import { estimateCost } from '../../src/domain/cost.js';
import { fixedClock } from '../../src/ports/clock.js';
import type { CheckpointsPort, Versioned } from '../../src/ports/inventory.js';

const page = (n: 1 | 2) =>
  readFileSync(new URL(`../fixtures/prices/westeurope-page${n}.json`, import.meta.url), 'utf8');
const table = JSON.parse(
  readFileSync(new URL('../../data/retail-prices-2026-11-01.json', import.meta.url), 'utf8'),
) as PriceTable;

/** A Map-backed checkpoints store with the port's ETag rules. */
function memoryCheckpoints(): CheckpointsPort & { entries: Map<string, Versioned<string>> } {
  const entries = new Map<string, Versioned<string>>();
  let version = 0;
  return {
    entries,
    get: (name) => Promise.resolve(entries.get(name)),
    set: (name, value, options) => {
      const current = entries.get(name);
      if (options?.ifMatch === null && current) return Promise.reject(new Error(`${name} exists`));
      if (typeof options?.ifMatch === 'string' && current?.etag !== options.ifMatch)
        return Promise.reject(new Error(`${name} changed`));
      const etag = `v${++version}`;
      entries.set(name, { value, etag });
      return Promise.resolve(etag);
    },
  };
}

interface Served {
  base: string;
  requests: string[];
  close(): Promise<void>;
}
const open: Served[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** Serves the two fixture pages (page 1 links to page 2 through NextPageLink), or fails with `failWith`. */
async function servePrices(options: { failWith?: number; tls?: { key: string; cert: string } } = {}): Promise<Served> {
  const requests: string[] = [];
  const handler: http.RequestListener = (req, res) => {
    requests.push(req.url ?? '');
    if (options.failWith) {
      res.writeHead(options.failWith, { 'content-type': 'application/json' }).end('{"Error":"boom"}');
      return;
    }
    const body = (req.url ?? '').includes('$skip=4') ? page(2) : page(1);
    res.writeHead(200, { 'content-type': 'application/json' }).end(body.replaceAll('{{base}}', served.base));
  };
  const server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const served: Served = {
    base: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  open.push(served);
  return served;
}

describe('Retail Prices API price source', () => {
  it('follows NextPageLink, keeps only flexible-server consumption items and filters by service and region', async () => {
    const api = await servePrices();
    const clock = fixedClock('2026-11-22T09:00:00Z');
    const source = createRetailPriceSource({
      endpoint: api.base,
      checkpoints: memoryCheckpoints(),
      clock,
      priceTable: table,
    });

    const result = await source.itemsFor('WestEurope');

    expect(api.requests).toHaveLength(2);
    expect(decodeURIComponent(api.requests[0]!)).toBe(
      "/api/retail/prices?$filter=serviceName eq 'Azure Database for PostgreSQL' and armRegionName eq 'westeurope'",
    );
    expect(api.requests[1]).toContain('$skip=4');
    expect(result.source).toEqual({ kind: 'retail-prices-api', asOf: '2026-11-22T09:00:00.000Z' });
    expect(result.fallbackReason).toBeUndefined();
    expect(result.items.map((i) => i.productName)).toEqual([
      'Azure Database for PostgreSQL Flexible Server Burstable BS Series Compute',
      'Azure Database for PostgreSQL Flexible Server General Purpose Ddsv5 Series Compute',
      'Az DB for PostgreSQL Flexible Server Storage',
      'Az DB for PostgreSQL Flexible Server Backup Storage',
    ]);
    // 2 x 0.0997 + 128 x 0.1288 / 730 per hour
    const cost = estimateCost(
      { skuName: 'Standard_D2ds_v5', storageSizeGb: 128, region: 'westeurope' },
      result,
      clock.now(),
    );
    expect(cost.known && cost.perHour).toBeCloseTo(2 * 0.0997 + (128 * 0.1288) / 730, 10);
  });

  it('answers from the cache within a day without a second request, and refreshes after a day', async () => {
    const api = await servePrices();
    const clock = fixedClock('2026-11-22T09:00:00Z');
    const checkpoints = memoryCheckpoints();
    const source = createRetailPriceSource({ endpoint: api.base, checkpoints, clock, priceTable: table });

    const first = await source.itemsFor('westeurope');
    const cached = JSON.parse(checkpoints.entries.get('prices:westeurope')!.value);
    expect(cached.fetchedAt).toBe('2026-11-22T09:00:00.000Z');
    expect(cached.rows).toHaveLength(4);

    clock.advance(23 * 3_600_000);
    const second = await source.itemsFor('westeurope');
    expect(api.requests).toHaveLength(2); // only the two pages of the first call
    expect(second.source).toEqual(first.source);
    const summary = (items: typeof first.items) =>
      items.map((i) => `${i.armRegionName}|${i.productName}|${i.meterName}|${i.unitPrice}|${i.unitOfMeasure}`);
    expect(summary(second.items)).toEqual(summary(first.items));

    clock.advance(2 * 3_600_000);
    const third = await source.itemsFor('westeurope');
    expect(api.requests).toHaveLength(4);
    expect(third.source.asOf).toBe('2026-11-23T10:00:00.000Z');
    expect(JSON.parse(checkpoints.entries.get('prices:westeurope')!.value).fetchedAt).toBe('2026-11-23T10:00:00.000Z');
  });

  it('falls back to the dated price table when the API fails, says why, and caches nothing', async () => {
    const api = await servePrices({ failWith: 503 });
    const checkpoints = memoryCheckpoints();
    const source = createRetailPriceSource({
      endpoint: api.base,
      checkpoints,
      clock: fixedClock('2026-11-22T09:00:00Z'),
      priceTable: table,
    });

    const result = await source.itemsFor('uksouth');

    expect(result.source).toEqual({ kind: 'price-table', asOf: '2026-11-01' });
    expect(result.fallbackReason).toMatch(/status code 503: GET http:\/\/127\.0\.0\.1:\d+\/api\/retail\/prices/);
    expect(result.items).toHaveLength(9);
    expect(result.items.every((i) => i.armRegionName === 'uksouth')).toBe(true);
    expect(checkpoints.entries.size).toBe(0);
  });

  it('reads the fallback table from a file path when none is given', async () => {
    const source = createRetailPriceSource({
      endpoint: 'http://127.0.0.1:1', // nothing listens on port 1
      checkpoints: memoryCheckpoints(),
      clock: fixedClock('2026-11-22T09:00:00Z'),
      priceTablePath: new URL('../../data/retail-prices-2026-11-01.json', import.meta.url).pathname,
    });
    const result = await source.itemsFor('eastus');
    expect(result.source).toEqual({ kind: 'price-table', asOf: '2026-11-01' });
    expect(result.items.map((i) => i.armSkuName).filter(Boolean)).toEqual([
      'Standard_B1ms',
      'Standard_B2s',
      'Standard_B2ms',
    ]);
  });

  it('trusts an extra CA for HTTPS to a local emulator, and refuses the certificate without it', async () => {
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    const api = await servePrices({ tls: { key: pems.private, cert: pems.cert } });
    const clock = fixedClock('2026-11-22T09:00:00Z');

    const trusted = createRetailPriceSource({
      endpoint: api.base,
      checkpoints: memoryCheckpoints(),
      clock,
      ca: pems.cert,
      priceTable: table,
    });
    expect((await trusted.itemsFor('westeurope')).source.kind).toBe('retail-prices-api');

    const untrusted = createRetailPriceSource({
      endpoint: api.base,
      checkpoints: memoryCheckpoints(),
      clock,
      priceTable: table,
    });
    const result = await untrusted.itemsFor('westeurope');
    expect(result.source.kind).toBe('price-table');
    expect(result.fallbackReason).toMatch(/certificate/i);
  });
});
