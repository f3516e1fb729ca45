// The lean Query Entities path (EntityReader) against Azurite, checked row for row and page for page against the SDK's
// own listEntities on the same table: the stores must not see a difference.
import {
  AzureNamedKeyCredential,
  AzureSASCredential,
  generateTableSas,
  odata,
  RestError,
  TableClient,
  TableTransaction,
} from '@azure/data-tables';
import type { TableEntity, TableEntityResult } from '@azure/data-tables';
import { createHttpHeaders } from '@azure/core-rest-pipeline';
import type { HttpClient, PipelineRequest } from '@azure/core-rest-pipeline';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusOf } from '../../src/adapters/azure/errors.js';
import { entityOf, EntityReader } from '../../src/adapters/azure/tables/entityReader.js';
import type { EntityQuery, StoredEntity } from '../../src/adapters/azure/tables/entityReader.js';
import { codeOf } from '../../src/adapters/azure/tables/tableErrors.js';
import { JSON_CHUNK_CHARS } from '../../src/adapters/azure/tables/tableFields.js';
import { openTables } from '../../src/adapters/azure/tables/tables.js';
import { DEV_ACCOUNT, DEV_KEY } from '../../src/local/azurite.js';
import type { AzuriteHandle } from '../../src/local/azurite.js';
import { fullRecord, minimalRecord, SUB_A, SUB_B } from '../contract/inventoryFixtures.js';
import { workerAzurite } from '../support/azurite.js';

let azurite: AzuriteHandle;
let tables = 0;

beforeAll(async () => {
  azurite = await workerAzurite();
});
afterAll(async () => {
  await azurite.close();
});

async function freshTable(): Promise<TableClient> {
  const client = TableClient.fromConnectionString(azurite.connectionString, `reader${++tables}`, {
    allowInsecureConnection: true,
  });
  await client.createTable();
  return client;
}

async function readerPages(client: TableClient, query: EntityQuery): Promise<StoredEntity[][]> {
  const pages: StoredEntity[][] = [];
  for await (const page of new EntityReader(client).pages(query)) pages.push(page);
  return pages;
}

/** What the SDK itself gives for the same query, page by page. */
async function sdkPages(client: TableClient, query: EntityQuery): Promise<StoredEntity[][]> {
  const pages: StoredEntity[][] = [];
  const queryOptions = {
    ...(query.filter === undefined ? {} : { filter: query.filter }),
    ...(query.select ? { select: [...query.select] } : {}),
  };
  for await (const page of client
    .listEntities<Record<string, unknown>>({ queryOptions })
    .byPage({ maxPageSize: query.pageSize }))
    pages.push([...page] as TableEntityResult<Record<string, unknown>>[]);
  return pages;
}

async function writeAll(client: TableClient, entities: TableEntity<Record<string, unknown>>[]): Promise<void> {
  const byPartition = new Map<string, TableEntity<Record<string, unknown>>[]>();
  for (const entity of entities)
    byPartition.set(entity.partitionKey, [...(byPartition.get(entity.partitionKey) ?? []), entity]);
  for (const rows of byPartition.values()) {
    for (let i = 0; i < rows.length; i += 100) {
      const transaction = new TableTransaction();
      for (const row of rows.slice(i, i + 100)) transaction.createEntity(row);
      await client.submitTransaction(transaction.actions);
    }
  }
}

/** One row with every kind of property the stores write, and the typed ones the SDK can write. */
const everyKind = {
  partitionKey: 'kinds',
  rowKey: 'row-1',
  text: 'zoë 開発 🧪 "quoted" \'single\' 100% a+b&c=d #x',
  empty: '',
  int32: 42,
  negative: -7,
  zero: 0,
  half: 0.5,
  tiny: 1e-9,
  large: 123_456_789.125,
  bigNumber: 2 ** 40,
  yes: true,
  no: false,
  int64: 2n ** 60n,
  int64Typed: { value: '-12', type: 'Int64' },
  doubleWhole: { value: '3', type: 'Double' },
  date: new Date('2026-11-01T08:00:00.123Z'),
  guid: { value: 'c0ffee00-0000-4000-8000-000000000001', type: 'Guid' },
  binary: new Uint8Array([0, 1, 2, 250, 255]),
  json: JSON.stringify({ nested: { list: [1, 'two', null] } }),
};

describe('EntityReader: Query Entities without the SDK deserialization', () => {
  it('reads a row with every property kind exactly as the SDK does', async () => {
    const client = await freshTable();
    await client.createEntity(everyKind);
    const query = { pageSize: 1000 };
    const pages = await readerPages(client, query);
    expect(pages).toStrictEqual(await sdkPages(client, query));

    const [row] = pages[0]!;
    expect(row).toMatchObject({
      partitionKey: 'kinds',
      rowKey: 'row-1',
      text: everyKind.text,
      empty: '',
      int32: 42,
      half: 0.5,
      tiny: 1e-9,
      large: 123_456_789.125,
      bigNumber: 2 ** 40,
      yes: true,
      no: false,
      int64: 2n ** 60n,
      int64Typed: -12n,
      doubleWhole: 3,
      guid: { value: 'c0ffee00-0000-4000-8000-000000000001', type: 'Guid' },
    });
    expect(row?.date).toEqual(new Date('2026-11-01T08:00:00.123Z'));
    expect(Buffer.isBuffer(row?.binary)).toBe(true);
    expect([...(row?.binary as Buffer)]).toEqual([0, 1, 2, 250, 255]);
    expect(row?.etag).toMatch(/^W\/"datetime'/);
    expect(typeof row?.timestamp).toBe('string');
    // The service's own names and annotations are not left behind.
    expect(Object.keys(row!).filter((key) => /odata|^PartitionKey$|^RowKey$|^Timestamp$/.test(key))).toEqual([]);
  });

  it('pages as the SDK pages: same rows, same page sizes, across partitions, until no continuation is left', async () => {
    const client = await freshTable();
    const rows = Array.from({ length: 53 }, (_, i) => ({
      partitionKey: `p${i % 3}`,
      rowKey: `r${String(i).padStart(3, '0')}`,
      n: i,
      half: i + 0.5,
    }));
    await writeAll(client, rows);
    const query = { pageSize: 7 };
    const pages = await readerPages(client, query);
    expect(pages.map((page) => page.length)).toEqual((await sdkPages(client, query)).map((page) => page.length));
    expect(pages.length).toBeGreaterThanOrEqual(8);
    expect(pages.flat().map((row) => row.rowKey)).toEqual(
      [...rows]
        .sort((a, b) => a.partitionKey.localeCompare(b.partitionKey) || a.rowKey.localeCompare(b.rowKey))
        .map((r) => r.rowKey),
    );
    expect(pages).toStrictEqual(await sdkPages(client, query));

    const filtered = { pageSize: 5, filter: odata`PartitionKey eq ${'p1'} and n ge ${10}` };
    const filteredPages = await readerPages(client, filtered);
    expect(filteredPages.flat().map((row) => row.n)).toEqual(
      rows.filter((r) => r.partitionKey === 'p1' && r.n >= 10).map((r) => r.n),
    );
    expect(filteredPages).toStrictEqual(await sdkPages(client, filtered));
  });

  it('follows continuation tokens over 1,001 rows of one partition (the service page is 1000)', async () => {
    const client = await freshTable();
    const rows = Array.from({ length: 1_001 }, (_, i) => ({
      partitionKey: SUB_B,
      rowKey: `row-${String(i).padStart(5, '0')}`,
      i,
    }));
    await writeAll(client, rows);
    const query = { pageSize: 1000, filter: odata`PartitionKey eq ${SUB_B}` };
    const pages = await readerPages(client, query);
    expect(pages.map((page) => page.length)).toEqual([1000, 1]);
    expect(pages.flat().map((row) => row.i)).toEqual(rows.map((row) => row.i));
    expect(pages).toStrictEqual(await sdkPages(client, query));
  });

  it('quotes and encodes keys in filters as the SDK does, and selects only what is asked', async () => {
    const client = await freshTable();
    const odd = ["o'brien & co", 'a+b=c;d%e f', 'zoë 開発'];
    await writeAll(
      client,
      odd.flatMap((partitionKey) => [
        { partitionKey, rowKey: 'a', v: 1 },
        { partitionKey, rowKey: 'b', v: 2 },
      ]),
    );
    for (const partitionKey of odd) {
      const query = { pageSize: 1000, filter: odata`PartitionKey eq ${partitionKey} and RowKey ge ${'b'}` };
      const pages = await readerPages(client, query);
      expect(pages.flat().map((row) => [row.partitionKey, row.rowKey, row.v])).toEqual([[partitionKey, 'b', 2]]);
      expect(pages).toStrictEqual(await sdkPages(client, query));
    }
    const selected = { pageSize: 1000, select: ['RowKey'] };
    const rows = (await readerPages(client, selected)).flat();
    expect(rows).toHaveLength(6);
    expect(rows.every((row) => row.v === undefined && typeof row.rowKey === 'string')).toBe(true);
    expect(await readerPages(client, selected)).toStrictEqual(await sdkPages(client, selected));
  });

  it('gives one empty page for a filter that matches nothing', async () => {
    const client = await freshTable();
    await client.createEntity({ partitionKey: 'p', rowKey: 'r' });
    const query = { pageSize: 1000, filter: odata`PartitionKey eq ${'nobody'}` };
    expect(await readerPages(client, query)).toEqual([[]]);
    expect(await readerPages(client, query)).toStrictEqual(await sdkPages(client, query));
  });

  it('fails on a missing table or a bad filter with the error the SDK throws', async () => {
    const missing = TableClient.fromConnectionString(azurite.connectionString, 'readerMissing', {
      allowInsecureConnection: true,
    });
    const query = { pageSize: 1000 };
    const ours = await readerPages(missing, query).catch((error: unknown) => error);
    const theirs = await sdkPages(missing, query).catch((error: unknown) => error);
    expect(ours).toBeInstanceOf(RestError);
    expect(theirs).toBeInstanceOf(RestError);
    expect([statusOf(ours), codeOf(ours)]).toEqual([404, 'TableNotFound']);
    expect([statusOf(ours), codeOf(ours)]).toEqual([statusOf(theirs), codeOf(theirs)]);
    expect((ours as RestError).code).toBe((theirs as RestError).code);
    // The service's own words, less its request id and time.
    const words = (error: unknown) => (error as Error).message.replace(/RequestId:[^\\]*\\nTime:[^"]*/, '');
    expect(words(ours)).toBe(words(theirs));

    const client = await freshTable();
    const bad = { pageSize: 1000, filter: 'PartitionKey eq' };
    const badOurs = await readerPages(client, bad).catch((error: unknown) => error);
    const badTheirs = await sdkPages(client, bad).catch((error: unknown) => error);
    expect(statusOf(badOurs)).toBeGreaterThanOrEqual(400);
    expect([statusOf(badOurs), codeOf(badOurs)]).toEqual([statusOf(badTheirs), codeOf(badTheirs)]);
  });

  it('signs its requests with the client’s own credential: shared key and SAS', async () => {
    const keyed = await freshTable();
    await keyed.createEntity({ partitionKey: 'p', rowKey: 'r', v: 1 });
    const sas = generateTableSas(keyed.tableName, new AzureNamedKeyCredential(DEV_ACCOUNT, DEV_KEY), {
      permissions: { query: true },
    });
    const viaSas = new TableClient(keyed.url, keyed.tableName, new AzureSASCredential(sas), {
      allowInsecureConnection: true,
    });
    const query = { pageSize: 1000, filter: odata`PartitionKey eq ${'p'}` };
    expect((await readerPages(viaSas, query)).flat().map((row) => row.v)).toEqual([1]);
    const unsigned = new TableClient(keyed.url, keyed.tableName, { allowInsecureConnection: true });
    const refused = await readerPages(unsigned, query).catch((error: unknown) => error);
    expect(statusOf(refused)).toBe(403);
    expect(codeOf(refused)).toBe(codeOf(await sdkPages(unsigned, query).catch((error: unknown) => error)));
  });

  it('maps annotations written before or after their property, and refuses an unknown type as the SDK does', () => {
    const raw = {
      'odata.etag': 'W/"x"',
      PartitionKey: 'p',
      RowKey: 'r',
      Timestamp: '2026-11-01T08:00:00.1234567Z',
      'when@odata.type': 'Edm.DateTime',
      when: '2026-11-01T08:00:00Z',
      count: '9007199254740993',
      'count@odata.type': 'Edm.Int64',
      'plain@odata.type': 'Edm.String',
      plain: 'x',
    };
    expect(entityOf(raw)).toStrictEqual({
      etag: 'W/"x"',
      partitionKey: 'p',
      rowKey: 'r',
      timestamp: '2026-11-01T08:00:00.1234567Z',
      when: new Date('2026-11-01T08:00:00Z'),
      count: 9007199254740993n,
      plain: 'x',
    });
    expect(() => entityOf({ PartitionKey: 'p', x: 1, 'x@odata.type': 'Edm.Decimal' })).toThrow(
      'Unknown EDM type Edm.Decimal',
    );
  });
});

/** Answers every request from a script of pages, and keeps what was sent: nothing leaves the process. */
function scriptedService(
  pages: { body: string; next?: [string, string?] }[],
): HttpClient & { sent: PipelineRequest[] } {
  const sent: PipelineRequest[] = [];
  return {
    sent,
    sendRequest: (request) => {
      sent.push(request);
      const next = /NextPartitionKey=([^&]+)/.exec(request.url)?.[1];
      const page = pages[next === undefined ? 0 : Number(decodeURIComponent(next))]!;
      const headers = createHttpHeaders({ 'content-type': 'application/json;odata=minimalmetadata;streaming=true' });
      if (page.next) {
        headers.set('x-ms-continuation-NextPartitionKey', page.next[0]);
        if (page.next[1]) headers.set('x-ms-continuation-NextRowKey', page.next[1]);
      }
      return Promise.resolve({ request, status: 200, headers, bodyAsText: page.body });
    },
  };
}

describe('EntityReader in Azure: the request the SDK sends, with an Entra token', () => {
  it('sends the SDK’s Query Entities request, signed with a bearer token, and maps what Azure answers like the SDK', async () => {
    const scopes: string[] = [];
    const credential: TokenCredential = {
      getToken: (scope): Promise<AccessToken> => {
        scopes.push(...(Array.isArray(scope) ? scope : [scope]));
        return Promise.resolve({ token: 'entra-token', expiresOnTimestamp: Date.now() + 3_600_000 });
      },
    };
    // Azure's JSON puts a type annotation before its value; a page may end with a continuation that has no row key.
    const pages = [
      {
        body: JSON.stringify({
          'odata.metadata': 'https://wardenstore.table.core.windows.net/$metadata#wardenInventory',
          value: [
            {
              'odata.etag': `W/"datetime'2026-11-01T08%3A00%3A00.1234567Z'"`,
              PartitionKey: 'sub-1',
              RowKey: 'a',
              Timestamp: '2026-11-01T08:00:00.1234567Z',
              'CustomerSince@odata.type': 'Edm.DateTime',
              CustomerSince: '2008-10-01T15:25:05.2852025Z',
              'Big@odata.type': 'Edm.Int64',
              Big: '255',
              'Id@odata.type': 'Edm.Guid',
              Id: 'c9da6455-213d-42c9-9a79-3e9149a57833',
              Half: 0.5,
              'Whole@odata.type': 'Edm.Double',
              Whole: 2.0,
              'Bytes@odata.type': 'Edm.Binary',
              Bytes: 'AQID',
              On: true,
              Text: 'zoë',
            },
          ],
        }),
        next: ['1', '1!8!YQ--'] as [string, string],
      },
      {
        body: JSON.stringify({ value: [{ PartitionKey: 'sub-1', RowKey: 'b', 'odata.etag': 'W/"2"' }] }),
        next: ['2'] as [string],
      },
      { body: JSON.stringify({ value: [] }) },
    ];
    const ours = scriptedService(pages);
    const theirs = scriptedService(pages);
    const url = 'https://wardenstore.table.core.windows.net';
    const readerClient = new TableClient(url, 'wardenInventory', credential, { httpClient: ours });
    const sdkClient = new TableClient(url, 'wardenInventory', credential, { httpClient: theirs });
    const query = { pageSize: 1000, filter: odata`PartitionKey eq ${'sub-1'}` };

    const read: StoredEntity[][] = [];
    for await (const page of new EntityReader(readerClient, ours).pages(query)) read.push(page);
    expect(read).toStrictEqual(await sdkPages(sdkClient, query));
    expect(read.map((page) => page.length)).toEqual([1, 1, 0]);
    expect(read[0]![0]).toMatchObject({ CustomerSince: new Date('2008-10-01T15:25:05.2852025Z'), Big: 255n, Whole: 2 });

    expect(ours.sent.map((r) => r.url)).toEqual(theirs.sent.map((r) => r.url));
    expect(ours.sent.map((r) => r.url)).toEqual([
      `${url}/wardenInventory()?$top=1000&$filter=PartitionKey%20eq%20%27sub-1%27`,
      `${url}/wardenInventory()?$top=1000&$filter=PartitionKey%20eq%20%27sub-1%27&NextPartitionKey=1&NextRowKey=1!8!YQ--`,
      `${url}/wardenInventory()?$top=1000&$filter=PartitionKey%20eq%20%27sub-1%27&NextPartitionKey=2`,
    ]);
    const headersOf = (request: PipelineRequest) => {
      const { 'x-ms-client-request-id': id, 'user-agent': agent, ...rest } = request.headers.toJSON();
      return { ...rest, id: typeof id, agent: typeof agent };
    };
    expect(ours.sent.map(headersOf)).toEqual(theirs.sent.map(headersOf));
    expect(headersOf(ours.sent[0]!)).toMatchObject({
      accept: 'application/json;odata=minimalmetadata',
      dataserviceversion: '3.0',
      'x-ms-version': '2019-02-02',
      authorization: 'Bearer entra-token',
    });
    expect(ours.sent.every((r) => r.method === 'GET')).toBe(true);
    expect(new Set(scopes)).toEqual(new Set(['https://storage.azure.com/.default']));
  });
});

describe('the stores on the lean path', () => {
  it('read back inventory with long JSON split over properties, and say so when the table is missing', async () => {
    const prefix = `readerStores${++tables}`;
    const stores = await openTables({ connectionString: azurite.connectionString, prefix });
    const long = fullRecord(SUB_A, 'pg-long');
    const tags = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`tag-${i}`, 'x'.repeat(2_000)]));
    const record = { ...long, tags };
    expect(JSON.stringify(tags).length).toBeGreaterThan(2 * JSON_CHUNK_CHARS);
    await stores.inventory.upsertMany([{ record }, { record: minimalRecord(SUB_A, 'pg-short') }]);

    stores.resetStats();
    const listed = await stores.inventory.list({ subscriptionId: SUB_A });
    expect(listed.find((r) => r.name === 'pg-long')).toEqual(record);
    expect(listed.map((r) => r.name).sort()).toEqual(['pg-long', 'pg-short']);
    expect(stores.stats().reads).toBe(1);

    const raw = TableClient.fromConnectionString(azurite.connectionString, `${prefix}Inventory`, {
      allowInsecureConnection: true,
    });
    const query = { pageSize: 1000 };
    const pages = await readerPages(raw, query);
    expect(pages.flat().find((row) => row.name === 'pg-long')?.tags__parts).toBe(3);
    expect(pages).toStrictEqual(await sdkPages(raw, query));

    stores.resetStats();
    expect(await stores.inventory.list({ subscriptionId: SUB_B })).toEqual([]);
    expect(stores.stats().reads).toBe(1);

    const absent = await openTables({
      connectionString: azurite.connectionString,
      prefix: 'readerNone',
      createIfMissing: false,
    });
    await expect(absent.inventory.list()).rejects.toThrow(
      'Inventory list failed for every subscription: 404 TableNotFound (the table does not exist yet: deploy the infrastructure, or start the app once)',
    );
    await expect(absent.runs.list()).rejects.toThrow(/404 TableNotFound/);
  });
});
