import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTables } from '../../src/adapters/azure/tables/tables.js';
import type { TableStores } from '../../src/adapters/azure/tables/tables.js';
import { workerAzurite } from '../support/azurite.js';
import type { AzuriteHandle } from '../../src/local/azurite.js';
import { evidenceEntry, fullRecord, minimalRecord, serverKeyOf, SUB_A, SUB_B } from '../contract/inventoryFixtures.js';

let azurite: AzuriteHandle;
let prefixes = 0;

beforeAll(async () => {
  azurite = await workerAzurite();
});
afterAll(async () => {
  await azurite.close();
});

async function fresh(): Promise<{ stores: TableStores; prefix: string; raw: (suffix: string) => TableClient }> {
  const prefix = `layout${++prefixes}`;
  const stores = await openTables({ connectionString: azurite.connectionString, prefix });
  const raw = (suffix: string) =>
    TableClient.fromConnectionString(azurite.connectionString, `${prefix}${suffix}`, { allowInsecureConnection: true });
  return { stores, prefix, raw };
}

async function rowsOf(client: TableClient): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const row of client.listEntities()) rows.push(row);
  return rows;
}

describe('Table Storage layout', () => {
  it('creates the five tables once and tolerates them existing', async () => {
    const { prefix } = await fresh();
    const again = await openTables({ connectionString: azurite.connectionString, prefix });
    expect(await again.inventory.list()).toEqual([]);
    const names: string[] = [];
    const { TableServiceClient } = await import('@azure/data-tables');
    const service = TableServiceClient.fromConnectionString(azurite.connectionString, {
      allowInsecureConnection: true,
    });
    for await (const table of service.listTables()) if (table.name?.startsWith(prefix)) names.push(table.name);
    expect(names.sort()).toEqual([
      `${prefix}Checkpoints`,
      `${prefix}Drills`,
      `${prefix}Evidence`,
      `${prefix}Inventory`,
      `${prefix}Runs`,
    ]);
  });

  it('stores inventory by subscription with a readable RowKey and JSON columns', async () => {
    const { stores, raw } = await fresh();
    const record = fullRecord(SUB_A, 'pg-clone-1');
    await stores.inventory.upsert(record);
    const [row] = await rowsOf(raw('Inventory'));
    expect(row?.partitionKey).toBe(SUB_A);
    expect(row?.rowKey).toBe(
      `|subscriptions|${SUB_A}|resourcegroups|rg-incident|providers|microsoft.dbforpostgresql|flexibleservers|pg-clone-1`,
    );
    expect(row?.key).toBe(record.key);
    expect(JSON.parse(row?.tags as string)).toEqual(record.tags);
    expect(row?.compliant).toBe(false);
  });

  it('stores the engine in its own column; a row written before engines existed reads as PostgreSQL', async () => {
    const { stores, raw } = await fresh();
    const id = `/subscriptions/${SUB_A}/resourceGroups/rg-data/providers/Microsoft.DBforMySQL/flexibleServers/mysql-clone`;
    const mysql = {
      ...minimalRecord(SUB_A, 'mysql-clone'),
      key: id.toLowerCase(),
      id,
      engine: 'mysql-flexible' as const,
    };
    const old = minimalRecord(SUB_A, 'pg-old');
    await stores.inventory.upsertMany([{ record: mysql }, { record: old }]);
    // The row as an earlier version wrote it: no engine column at all.
    const rows = await rowsOf(raw('Inventory'));
    const oldRow = rows.find((r) => r.name === 'pg-old')!;
    delete oldRow.engine;
    await raw('Inventory').upsertEntity(oldRow as { partitionKey: string; rowKey: string }, 'Replace');
    expect(rows.find((r) => r.name === 'mysql-clone')?.engine).toBe('mysql-flexible');
    expect((await rowsOf(raw('Inventory'))).find((r) => r.name === 'pg-old')).not.toHaveProperty('engine');
    expect((await stores.inventory.get(mysql.key))?.value.engine).toBe('mysql-flexible');
    expect((await stores.inventory.get(old.key))?.value).toEqual(old);
    expect(old.engine).toBe('postgresql-flexible');
  });

  it('stores evidence by server with the id as RowKey, and splits a 100K details over properties', async () => {
    const { stores, raw } = await fresh();
    const server = serverKeyOf(SUB_A, 'rg', 'pg');
    await stores.evidence.append([
      evidenceEntry(server, 'tag:corr-1', '2026-11-01T08:00:00.000Z', { details: { text: 'x'.repeat(100_000) } }),
    ]);
    const [row] = await rowsOf(raw('Evidence'));
    expect(row?.partitionKey).toBe(
      `|subscriptions|${SUB_A}|resourcegroups|rg|providers|microsoft.dbforpostgresql|flexibleservers|pg`,
    );
    expect(row?.rowKey).toBe('tag:corr-1');
    expect(row?.details__parts).toBe(4);
  });

  it('counts table operations: 250 new entries in 3 transactions, a replay in 3 more plus 3 range reads', async () => {
    const { stores } = await fresh();
    const server = serverKeyOf(SUB_A, 'rg', 'pg');
    const entries = Array.from({ length: 250 }, (_, i) =>
      evidenceEntry(server, `e${String(i).padStart(3, '0')}`, '2026-11-01T08:00:00.000Z'),
    );

    stores.resetStats();
    await stores.evidence.append(entries);
    expect(stores.stats()).toEqual({ reads: 0, writes: 0, batches: 3, entitiesWritten: 250 });

    stores.resetStats();
    expect(await stores.evidence.append(entries)).toEqual({ written: 0, alreadyPresent: 250 });
    expect(stores.stats()).toEqual({ reads: 3, writes: 0, batches: 3, entitiesWritten: 0 });

    // Mixed: the failed transaction, one range read, one transaction of the new ones.
    const mixed = [
      ...entries.slice(0, 50),
      ...Array.from({ length: 50 }, (_, i) => evidenceEntry(server, `e${250 + i}`, '2026-11-01T09:00:00.000Z')),
    ];
    stores.resetStats();
    expect(await stores.evidence.append(mixed)).toEqual({ written: 50, alreadyPresent: 50 });
    expect(stores.stats()).toEqual({ reads: 1, writes: 0, batches: 2, entitiesWritten: 50 });
    expect(await stores.evidence.list(server)).toHaveLength(300);
  });

  it('writes 1,001 rows of a subscription in 10 transactions and a single write, and lists them in 2 pages', async () => {
    const { stores } = await fresh();
    const records = Array.from({ length: 1_001 }, (_, i) => minimalRecord(SUB_B, `pg-${String(i).padStart(5, '0')}`));
    stores.resetStats();
    const outcomes = await stores.inventory.upsertMany(records.map((record) => ({ record })));
    expect(outcomes.every((o) => 'etag' in o && o.etag !== '')).toBe(true);
    expect(stores.stats()).toEqual({ reads: 0, writes: 1, batches: 10, entitiesWritten: 1_001 });

    stores.resetStats();
    const listed = await stores.inventory.list({ subscriptionId: SUB_B });
    expect(listed).toHaveLength(1_001);
    expect(listed[0]).toEqual(records[0]);
    expect(stores.stats()).toEqual({ reads: 2, writes: 0, batches: 0, entitiesWritten: 0 });
    expect(await stores.inventory.list({ subscriptionId: SUB_A })).toEqual([]);
  });

  it('names the table, the key and the operation when Table Storage refuses, and keeps the SDK error', async () => {
    const stores = await openTables({
      connectionString: azurite.connectionString,
      prefix: 'missing',
      createIfMissing: false,
    });
    const record = minimalRecord(SUB_A, 'pg-x');
    const failure = await stores.inventory.upsert(record).catch((error: unknown) => error as Error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toBe(
      `Inventory upsert failed for ${record.key}: 404 TableNotFound (the table does not exist yet: deploy the infrastructure, or start the app once)`,
    );
    expect((failure as Error).cause).toMatchObject({ statusCode: 404 });
    await expect(stores.inventory.get(record.key)).rejects.toThrow(
      `Inventory get failed for ${record.key}: 404 TableNotFound`,
    );
    await expect(stores.evidence.append([evidenceEntry(record.key, 'a', '2026-11-01T00:00:00.000Z')])).rejects.toThrow(
      /^Evidence append of a failed for \/subscriptions\/.*: 404 TableNotFound \(the table does not exist yet/,
    );
    await expect(stores.checkpoints.set('prices', 'v')).rejects.toThrow(
      'Checkpoints set failed for prices: 404 TableNotFound',
    );
  });
});
