import { TableClient } from '@azure/data-tables';
import type { TableEntity } from '@azure/data-tables';
import { fork } from 'node:child_process';
import { EntityWriter } from '../src/adapters/azure/tables/entityWriter.js';
import { toEvidenceEntity } from '../src/adapters/azure/tables/evidenceEntity.js';
import { startAzurite } from '../src/local/azurite.js';
import { alternate, measured, median } from './alternate.js';

type Entity = TableEntity<Record<string, unknown>>;
type Creator = (entity: Entity) => Promise<unknown>;

/** Creates in flight at once, as a sweep's deletions record their evidence. */
const IN_FLIGHT = 16;

/**
 * `npm run bench -- table-write [creates] [rounds]`: writes the evidence entry a sweep records before each deletion
 * (default 1,000 new rows, each in its own partition) with the SDK's createEntity and with EntityWriter (what
 * CountedTable.create uses now), 16 in flight, alternating, and prints this process's CPU time (process.cpuUsage:
 * Azurite runs in a child process; a full garbage collection closes each measurement, so it includes collecting what
 * it made) and wall time of each. Two unmeasured rounds first; the last line is JSON with the medians.
 */
export async function run(args: string[]): Promise<void> {
  const [creates = 1_000, rounds = 5] = args.filter((a) => /^\d+$/.test(a)).map(Number);
  const azurite = await startAzuriteProcess();
  try {
    const client = (name: string) =>
      TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true });
    const sdkTable = client('benchWriteSdk');
    const leanTable = client('benchWriteLean');
    await Promise.all([sdkTable.createTable(), leanTable.createTable()]);
    const writer = new EntityWriter(leanTable);
    const ways: Record<string, Creator> = {
      sdk: (entity) => sdkTable.createEntity(entity),
      lean: (entity) => writer.create(entity),
    };
    let batch = 0;
    const measure = (create: Creator) => {
      // Fresh keys each time, built before the clock starts: only the create is measured.
      const entities = Array.from({ length: creates }, (_, i) => deletionEvidence(++batch, i));
      let next = 0;
      return measured(async () => {
        await Promise.all(
          Array.from({ length: IN_FLIGHT }, async () => {
            while (next < entities.length) await create(entities[next++]!);
          }),
        );
      });
    };
    const results = await alternate({ sdk: () => measure(ways.sdk!), lean: () => measure(ways.lean!) }, rounds);
    const summary: Record<string, { cpuMs: number; cpuMsPerCreate: number; wallMs: number }> = {};
    for (const [name, r] of results) {
      const cpuMs = median(r.cpuMs);
      summary[name] = {
        cpuMs: Math.round(cpuMs),
        cpuMsPerCreate: Number((cpuMs / creates).toFixed(3)),
        wallMs: Math.round(median(r.wallMs)),
      };
      console.log(
        `${name.padEnd(5)} ${creates} creates: CPU ${r.cpuMs.map((ms) => ms.toFixed(0)).join(', ')} ms (median ${cpuMs.toFixed(0)}, ${(cpuMs / creates).toFixed(3)} ms a create); wall ${r.wallMs.map((ms) => ms.toFixed(0)).join(', ')} ms`,
      );
    }
    console.log(JSON.stringify({ bench: 'table-write', creates, inFlight: IN_FLIGHT, rounds, ...summary }));
  } finally {
    await azurite.close();
  }
}

/** The entry the sweep appends before a deletion (jobs/sweep.ts), as a row: about 1.5 KB of JSON. */
function deletionEvidence(batch: number, i: number): Entity {
  const name = `pg-clone-${batch}-${i}`;
  const serverKey = `/subscriptions/00000000-0000-4000-8000-${String(batch).padStart(12, '0')}/resourcegroups/rg-restores/providers/microsoft.dbforpostgresql/flexibleservers/${name}`;
  const action = {
    kind: 'delete',
    expiresOn: '2026-11-20',
    reason: `expired on 2026-11-20 (14 days after the restore)`,
  };
  return toEvidenceEntity({
    serverKey,
    id: `sweep:deleting:${action.expiresOn}`,
    at: '2026-12-05T08:00:00.000Z',
    actor: 'pitr-warden',
    kind: 'deleting',
    summary: `Deleting ${name}: expired ${action.expiresOn}`,
    reason: action.reason,
    before: {
      state: 'expired',
      tags: { 'pitr-warden:expires': '2026-11-20', owner: 'alice@contoso.com', 'cost-center': 'cc-1234' },
    },
    details: {
      action,
      noticesSent: ['2026-11-13', '2026-11-19'],
      proof: {
        kind: 'activity-log',
        eventDataId: `0f5c2b4e-0002-0035-1b2a-${String(i).padStart(12, '0')}`,
        sourceServerId: serverKey.replace(name, 'pg-prod'),
        pointInTimeUtc: '2026-11-06T07:45:00Z',
        caller: 'bob@contoso.com',
      },
    },
  });
}

/** Azurite in a child process of its own, so this process's CPU time is the client's alone. */
export async function startAzuriteProcess(): Promise<{ connectionString: string; close: () => Promise<void> }> {
  const child = fork(process.argv[1]!, ['__azurite'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const connectionString = await new Promise<string>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { connectionString: string }).connectionString));
    child.once('exit', (code) => reject(new Error(`the Azurite process exited (code ${code}) before it was ready`)));
  });
  return {
    connectionString,
    close: async () => {
      child.send('close');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** The child side: `node dist/bench/run.js __azurite`; answers with its connection string, stops when told. */
export async function azuriteMain(): Promise<void> {
  const azurite = await startAzurite();
  process.once('message', () => {
    void azurite.close().then(() => process.exit(0));
  });
  process.send!({ connectionString: azurite.connectionString });
}
