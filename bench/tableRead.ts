import { odata, TableClient } from '@azure/data-tables';
import { EntityReader } from '../src/adapters/azure/tables/entityReader.js';
import type { StoredEntity } from '../src/adapters/azure/tables/entityReader.js';
import { fromInventoryEntity } from '../src/adapters/azure/tables/inventoryEntity.js';
import { subscriptionIds } from './estates.js';
import { startSandbox } from './sandbox.js';
import { alternate, measured, median } from './alternate.js';

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
    const rowCounts = new Map<string, number>();
    const measure = (name: string, list: Lister, map: boolean) => {
      let rows = 0;
      return measured(async () => {
        for (const partition of partitions) {
          for await (const page of list(client, partition)) {
            rows += page.length;
            if (map) for (const entity of page) fromInventoryEntity(entity);
          }
        }
      }).then((figures) => (rowCounts.set(name, rows), figures));
    };
    const figures = await alternate(
      {
        sdk: () => measure('sdk', sdk, false),
        lean: () => measure('lean', lean, false),
        'sdk+map': () => measure('sdk+map', sdk, true),
        'lean+map': () => measure('lean+map', lean, true),
      },
      rounds,
    );
    const results = new Map([...figures].map(([name, r]) => [name, { ...r, rows: rowCounts.get(name) ?? 0 }]));
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
