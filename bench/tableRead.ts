import { odata, TableClient } from '@azure/data-tables';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { EntityReader } from '../src/adapters/azure/tables/entityReader.js';
import type { StoredEntity } from '../src/adapters/azure/tables/entityReader.js';
import { fromInventoryEntity } from '../src/adapters/azure/tables/inventoryEntity.js';
import { subscriptionIds } from './estates.js';
import { startSandbox } from './sandbox.js';

type Lister = (client: TableClient, partition: string) => AsyncIterable<StoredEntity[]>;

/** The SDK's own paging and deserialization: what CountedTable.query used before. */
const sdk: Lister = (client, partition) =>
  client
    .listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${partition}` } })
    .byPage({ maxPageSize: 1000 });

/** The same requests through the client's pipeline, read by EntityReader: what CountedTable.query uses now. */
const lean: Lister = (client, partition) =>
  new EntityReader(client).pages({ filter: odata`PartitionKey eq ${partition}`, pageSize: 1000 });

/**
 * `npm run bench -- table-read [servers] [subscriptions] [rounds]`: reads every inventory row of a sweep estate
 * (default 10,000 rows over 20 subscriptions, seeded by the sandbox process, which also holds Azurite) a partition at a
 * time, as the sweep and reconcile do, with the SDK's listEntities and with EntityReader, alternating, and prints this
 * process's CPU time (process.cpuUsage: Azurite's work is in the sandbox; a full garbage collection closes each
 * measurement, so it includes collecting what it made) and wall time of each, rows only and rows mapped to records
 * (fromInventoryEntity). The last line is JSON with the medians.
 */
export async function run(args: string[]): Promise<void> {
  const [servers = 10_000, subscriptions = 20, rounds = 5] = args.filter((a) => /^\d+$/.test(a)).map(Number);
  const tablePrefix = `read${process.pid}`;
  const sandbox = await startSandbox({
    estate: { kind: 'sweep', servers, subscriptions, expired: 0 },
    throttle: 'off',
    tablePrefix,
  });
  try {
    const client = TableClient.fromConnectionString(sandbox.settings.AzureWebJobsStorage!, `${tablePrefix}Inventory`, {
      allowInsecureConnection: true,
    });
    const partitions = subscriptionIds(subscriptions, 0x100);
    const measure = async (name: string, list: Lister, map: boolean) => {
      // Each way pays for its own garbage: collect what the one before left.
      collectGarbage();
      const cpu = process.cpuUsage();
      const started = performance.now();
      let rows = 0;
      for (const partition of partitions) {
        for await (const page of list(client, partition)) {
          rows += page.length;
          if (map) for (const entity of page) fromInventoryEntity(entity);
        }
      }
      collectGarbage();
      const used = process.cpuUsage(cpu);
      return { name, rows, cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - started };
    };
    // Two of each first, unmeasured: the JIT and the connections warm up.
    for (let i = 0; i < 2; i++) {
      await measure('warm-up', sdk, true);
      await measure('warm-up', lean, true);
    }
    const results = new Map<string, { cpuMs: number[]; wallMs: number[]; rows: number }>();
    for (let round = 0; round < rounds; round++) {
      const order: [string, Lister, boolean][] = [
        ['sdk', sdk, false],
        ['lean', lean, false],
        ['sdk+map', sdk, true],
        ['lean+map', lean, true],
      ];
      if (round % 2 === 1) order.reverse();
      for (const [name, list, map] of order) {
        const r = await measure(name, list, map);
        const slot = results.get(name) ?? { cpuMs: [], wallMs: [], rows: r.rows };
        slot.cpuMs.push(r.cpuMs);
        slot.wallMs.push(r.wallMs);
        results.set(name, slot);
      }
    }
    const summary: Record<string, { rows: number; cpuMs: number; wallMs: number }> = {};
    for (const [name, r] of results) {
      summary[name] = { rows: r.rows, cpuMs: Math.round(median(r.cpuMs)), wallMs: Math.round(median(r.wallMs)) };
      console.log(
        `${name.padEnd(9)} ${r.rows} rows: CPU ${r.cpuMs.map((ms) => ms.toFixed(0)).join(', ')} ms (median ${median(r.cpuMs).toFixed(0)}); wall ${r.wallMs.map((ms) => ms.toFixed(0)).join(', ')} ms`,
      );
    }
    console.log(JSON.stringify({ bench: 'table-read', servers, subscriptions, rounds, ...summary }));
  } finally {
    await sandbox.close();
  }
}

/** A full collection, so garbage is counted to the way that made it (V8's gc(), exposed for this process). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
