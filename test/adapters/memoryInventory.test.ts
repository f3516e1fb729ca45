import { describe, expect, it } from 'vitest';
import { createMemoryStores } from '../../src/adapters/memory/memoryStores.js';
import { runInventoryContract } from '../contract/inventoryContract.js';

runInventoryContract('memory twins', () =>
  Promise.resolve({ stores: createMemoryStores(), close: () => Promise.resolve() }),
);

describe('memory twins, beyond the contract', () => {
  it('two sets of stores share nothing', async () => {
    const a = createMemoryStores();
    const b = createMemoryStores();
    await a.checkpoints.set('cursor', 'one');
    expect((await a.checkpoints.get('cursor'))?.value).toBe('one');
    expect(await b.checkpoints.get('cursor')).toBeUndefined();
  });
});
