import { createMemoryStores } from '../../src/adapters/memory/memoryStores.js';
import { runInventoryContract } from '../contract/inventoryContract.js';

runInventoryContract('memory twins', () => Promise.resolve({ stores: createMemoryStores(), close: () => Promise.resolve() }));
