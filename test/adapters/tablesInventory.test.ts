import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTables } from '../../src/adapters/azure/tables/tables.js';
import { workerAzurite } from '../support/azurite.js';
import type { AzuriteHandle } from '../../src/local/azurite.js';
import { runInventoryContract } from '../contract/inventoryContract.js';

let azurite: AzuriteHandle;
let tests = 0;

beforeAll(async () => {
  azurite = await workerAzurite();
});
afterAll(async () => {
  await azurite.close();
});

// A fresh table prefix per test: every test starts from empty tables.
runInventoryContract('Azure Table Storage (Azurite)', async () => ({
  stores: await openTables({ connectionString: azurite.connectionString, prefix: `contract${++tests}` }),
  close: () => Promise.resolve(),
}));

describe('Table Storage stores, beyond the contract', () => {
  it('count the Table operations they make (benchmarks report them)', async () => {
    const stores = await openTables({ connectionString: azurite.connectionString, prefix: `stats${++tests}` });
    stores.resetStats();
    await stores.checkpoints.set('cursor', 'one');
    await stores.checkpoints.get('cursor');
    const stats = stores.stats();
    expect(stats.writes).toBeGreaterThanOrEqual(1);
    expect(stats.reads).toBeGreaterThanOrEqual(1);
  });
});
