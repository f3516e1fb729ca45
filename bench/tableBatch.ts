import { TableClient } from '@azure/data-tables';
import type { TransactionAction } from '@azure/data-tables';
import { CountedTable } from '../src/adapters/azure/tables/countedTable.js';
import { toInventoryEntity } from '../src/adapters/azure/tables/inventoryEntity.js';
import { TableCounter } from '../src/adapters/azure/tables/tableStats.js';
import type { InventoryRecord } from '../src/domain/model.js';
import { alternate, measured, median } from './alternate.js';
import { startAzuriteProcess } from './tableWrite.js';

/** Rows per transaction: the sweep records its deletion intents four at a time. */
const ROWS_PER_TRANSACTION = 4;
/** Transactions in flight at once. */
const IN_FLIGHT = 4;

type Submit = (actions: TransactionAction[]) => Promise<string[]>;

/**
 * `npm run bench -- table-batch [transactions] [rounds]`: the sweep's deletion intents, each an inventory row replaced
 * with its ETag in a transaction of 4 (default 250 transactions, a 1,000-deletion sweep's), through the SDK's
 * submitTransaction and through CountedTable.transaction (EntityWriter's own batch request), 4 in flight, alternating.
 * Prints this process's CPU time (Azurite runs in a child process; a full garbage collection closes each measurement)
 * and wall time of each. Each round writes over the ETags the previous one returned. The last line is JSON (medians).
 */
export async function run(args: string[]): Promise<void> {
  const [transactions = 250, rounds = 5] = args.filter((a) => /^\d+$/.test(a)).map(Number);
  const azurite = await startAzuriteProcess();
  try {
    const client = (name: string) =>
      TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true });
    const sdkTable = client('benchBatchSdk');
    const leanTable = client('benchBatchLean');
    await Promise.all([sdkTable.createTable(), leanTable.createTable()]);
    const lean = new CountedTable(leanTable, new TableCounter());
    const ways: Record<string, { submit: Submit; etags: string[][] }> = {
      sdk: {
        submit: async (actions) =>
          (await sdkTable.submitTransaction(actions)).subResponses.map((response) => response.etag ?? ''),
        etags: [],
      },
      lean: { submit: (actions) => lean.transaction(actions), etags: [] },
    };
    // The rows, created in the same transactions (unmeasured); their ETags are what the first round names.
    for (const way of Object.values(ways)) {
      for (let t = 0; t < transactions; t++) way.etags[t] = await way.submit(groupOf(t, 0).map((e) => ['create', e]));
    }
    let round = 0;
    const measure = (way: { submit: Submit; etags: string[][] }) => {
      // The intents are built before the clock starts: only the transactions are measured.
      const stamp = ++round;
      const groups = Array.from({ length: transactions }, (_, t) =>
        groupOf(t, stamp).map((entity, i): TransactionAction => [
          'update',
          entity,
          'Replace',
          { etag: way.etags[t]![i]! },
        ]),
      );
      let next = 0;
      return measured(async () => {
        await Promise.all(
          Array.from({ length: IN_FLIGHT }, async () => {
            while (next < groups.length) {
              const t = next++;
              way.etags[t] = await way.submit(groups[t]!);
            }
          }),
        );
      });
    };
    const results = await alternate(
      Object.fromEntries(Object.entries(ways).map(([name, way]) => [name, () => measure(way)])),
      rounds,
    );
    const summary: Record<string, { cpuMs: number; cpuMsPerTransaction: number; wallMs: number }> = {};
    for (const [name, r] of results) {
      const cpuMs = median(r.cpuMs);
      summary[name] = {
        cpuMs: Math.round(cpuMs),
        cpuMsPerTransaction: Number((cpuMs / transactions).toFixed(3)),
        wallMs: Math.round(median(r.wallMs)),
      };
      console.log(
        `${name.padEnd(5)} ${transactions} transactions of ${ROWS_PER_TRANSACTION}: CPU ${r.cpuMs.map((ms) => ms.toFixed(0)).join(', ')} ms (median ${cpuMs.toFixed(0)}, ${(cpuMs / transactions).toFixed(3)} ms a transaction); wall ${r.wallMs.map((ms) => ms.toFixed(0)).join(', ')} ms`,
      );
    }
    console.log(
      JSON.stringify({
        bench: 'table-batch',
        transactions,
        rowsPerTransaction: ROWS_PER_TRANSACTION,
        inFlight: IN_FLIGHT,
        rounds,
        ...summary,
      }),
    );
  } finally {
    await azurite.close();
  }
}

/** The 4 inventory rows of transaction `t` (one subscription's partition), as a sweep marks them for deletion. */
function groupOf(t: number, stamp: number) {
  const subscriptionId = `00000000-0000-4000-8000-${String(t).padStart(12, '0')}`;
  return Array.from({ length: ROWS_PER_TRANSACTION }, (_, i) =>
    toInventoryEntity(cloneRecord(subscriptionId, i, stamp)),
  );
}

function cloneRecord(subscriptionId: string, i: number, stamp: number): InventoryRecord {
  const name = `pg-clone-${i}`;
  const key = `/subscriptions/${subscriptionId}/resourcegroups/rg-restores/providers/microsoft.dbforpostgresql/flexibleservers/${name}`;
  return {
    key,
    id: key,
    engine: 'postgresql-flexible',
    subscriptionId,
    resourceGroup: 'rg-restores',
    name,
    location: 'westeurope',
    classification: 'clone',
    classificationEvidence: ['Activity Log createMode PointInTimeRestore — 2026-11-06T07:45:00Z'],
    lineage: {
      sourceServerId: key.replace(name, 'pg-prod'),
      restorePointUtc: '2026-11-06T07:45:00.000Z',
      restoredBy: 'bob@contoso.com',
    },
    owner: 'alice@contoso.com',
    expiresOn: '2026-11-20',
    expiresOnTag: '2026-11-20',
    violations: [],
    compliant: true,
    skuName: 'Standard_D2ds_v5',
    skuTier: 'GeneralPurpose',
    storageSizeGb: 128,
    noticesSent: [],
    state: 'deleting',
    tags: { 'pitr-warden:expires': '2026-11-20', owner: 'alice@contoso.com', 'cost-center': 'cc-1234' },
    firstSeenAt: '2026-11-06T08:00:00.000Z',
    observedAt: '2026-12-05T08:00:00.000Z',
    updatedAt: new Date(Date.UTC(2026, 11, 5, 8, 0, stamp % 60)).toISOString(),
  };
}
