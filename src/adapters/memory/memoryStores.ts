import type { InventoryStores } from '../../ports/inventory.js';
import { MemoryCheckpoints } from './memoryCheckpoints.js';
import { MemoryEvidence } from './memoryEvidence.js';
import { MemoryInventory } from './memoryInventory.js';
import { MemoryRuns } from './memoryRuns.js';

export { MemoryCheckpoints, MemoryEvidence, MemoryInventory, MemoryRuns };

/**
 * The four stores in memory, with the semantics of the Table Storage adapters (one contract suite runs on both).
 * @example const stores = createMemoryStores(); await handleEvent(event, { ...stores, servers, clock });
 */
export function createMemoryStores(): InventoryStores {
  return {
    inventory: new MemoryInventory(),
    evidence: new MemoryEvidence(),
    runs: new MemoryRuns(),
    checkpoints: new MemoryCheckpoints(),
  };
}
