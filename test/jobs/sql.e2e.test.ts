import { SqlManagementClient } from '@azure/arm-sql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverKey } from '../../src/domain/ids.js';
import { sendOwnerNotices } from '../../src/jobs/notices.js';
import { sweep } from '../../src/jobs/sweep.js';
import { armClientOptions, type EmulatorSnapshot } from '../../src/local/emulator/index.js';
import { SUB1, sqlShop } from '../support/estate.js';
import { startEventPipeline, type EventPipeline } from '../support/pipeline.js';

const DAY = 86_400_000;
const SHOP = sqlShop(SUB1);
const SERVER = SHOP.logical;
const PROD = `${SERVER}/databases/shop`;
const COPY = 'shop-fix';
const copyId = `${SERVER}/databases/${COPY}`;

/** The shop's logical server with an office rule besides Azure's, and its production database tagged as production. */
function estate(): EmulatorSnapshot {
  const { sqlFirewallRules = {}, sqlDatabases = [] } = SHOP.snapshot;
  return {
    servers: [],
    ...SHOP.snapshot,
    sqlFirewallRules: {
      [SERVER]: [
        { name: 'office', properties: { startIpAddress: '203.0.113.0', endIpAddress: '203.0.113.255' } },
        ...(sqlFirewallRules[SERVER] ?? []),
      ],
    },
    sqlDatabases: sqlDatabases.map((db) => ({
      ...db,
      tags: { ...db.tags, Environment: 'production', CostCenter: 'CC-2002' },
    })),
  };
}

/**
 * A SQL database restored to a point in time, end to end on the emulator and Azurite: the operator restores `shop` on
 * its logical server through @azure/arm-sql; the emulator's event reaches onResourceEvent, which proves the copy from
 * the Activity Log and tags it (Tags API); the owner's notice names its cost and the logical server's exposure; after
 * expiry and grace the sweep deletes the database. The production database and the logical server get no write.
 */
describe('SQL database copy: proven, tagged, noticed with cost and exposure, deleted; production and logical server untouched', () => {
  let pipeline: EventPipeline;
  let sql: SqlManagementClient;
  const restoredAt = new Date();

  beforeAll(async () => {
    pipeline = await startEventPipeline({ snapshot: estate() });
    sql = new SqlManagementClient(pipeline.stack.emulator.credential, SUB1, armClientOptions(pipeline.stack.emulator));
  });
  afterAll(async () => pipeline?.close());

  it('a point-in-time restore of a database is proven from the Activity Log and tagged on the database', async () => {
    await sql.databases.beginCreateOrUpdateAndWait(
      'rg-shop',
      'sql-shop',
      COPY,
      {
        location: 'westeurope',
        createMode: 'PointInTimeRestore',
        sourceDatabaseId: PROD,
        restorePointInTime: new Date(restoredAt.getTime() - 3_600_000),
      },
      { updateIntervalInMs: 5 },
    );
    await pipeline.settled();

    const copy = await sql.databases.get('rg-shop', 'sql-shop', COPY);
    // The restored database carried no tags: every one of these is the warden's.
    expect(copy.tags).toMatchObject({
      Owner: 'operator@contoso.com',
      RestoredFrom: PROD,
      RestoredBy: 'operator@contoso.com',
    });
    expect(copy.tags?.ExpiresOn).toMatch(/^\d{4}-\d{2}-\d{2}/);

    const row = (await pipeline.stores.inventory.get(serverKey(copyId)))!.value;
    expect(row).toMatchObject({
      engine: 'sql-database',
      classification: 'clone',
      owner: 'operator@contoso.com',
      skuName: 'S0',
    });
    expect(row.proof).toMatchObject({ level: 'proven', basis: 'activity-log' });
    expect(row.violations.map((v) => v.detail)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('firewall rule "AllowAllWindowsAzureIps" allows every Azure service'),
        expect.stringContaining('on logical server sql-shop, shared with production'),
      ]),
    );
    const evidence = await pipeline.stores.evidence.list(serverKey(copyId));
    expect(evidence.some((e) => e.kind === 'delete-firewall-rule' || e.kind === 'disable-public-access')).toBe(false);
  });

  it("the owner's notice names the copy, its cost and the logical server's exposure", async () => {
    const outcome = await sendOwnerNotices(await pipeline.jobDeps(new Date(restoredAt.getTime() + 60_000)));
    expect(outcome.failed).toEqual([]);
    const mails = pipeline.stack.emulator.mailbox.to('operator@contoso.com');
    expect(mails.length).toBeGreaterThanOrEqual(1);
    const text = mails.map((m) => m.plainText).join('\n');
    expect(text).toContain(COPY);
    expect(text).toContain('Cost (estimate):  USD 0.54 per day');
    expect(text).not.toMatch(/unknown price/i);
    expect(text).toContain('logical server sql-shop');
    expect(text).toContain('AllowAllWindowsAzureIps');
    // The exposure has its own lines, whatever the violations say.
    expect(text).toContain(
      'Network:          through logical server sql-shop, shared with production: public network access Enabled',
    );
    expect(text).toContain('- firewall rule office 203.0.113.0-203.0.113.255');
    expect(pipeline.stack.emulator.mailbox.to('shop-team@contoso.com')).toEqual([]);
  });

  it('after expiry the final notice, and after the grace the sweep deletes the database only', async () => {
    const row = (await pipeline.stores.inventory.get(serverKey(copyId)))!.value;
    const expiresAt = Date.parse(row.expiresOn!);
    const notices = await sendOwnerNotices(await pipeline.jobDeps(new Date(expiresAt + 3_600_000)));
    expect(notices.failed).toEqual([]);
    expect((await pipeline.stores.inventory.get(serverKey(copyId)))!.value.noticesSent.map((n) => n.stage)).toContain(
      'final-notice',
    );

    const options = {
      mode: 'enforce' as const,
      maxDeletionsPerRun: 5,
      maxDeletionPercent: 100,
      maxDisagreementPercent: 50,
    };
    // No event of the copy is still being handled: its row is the one the sweep lists (and deletes by, with its ETag).
    await pipeline.settled();
    expect((await sweep(await pipeline.jobDeps(new Date(expiresAt + 2 * 3_600_000)), options)).deleted).toEqual([]);
    const result = await sweep(await pipeline.jobDeps(new Date(expiresAt + 3 * DAY + 3_600_000)), options);
    expect(result.failed).toEqual([]);
    expect(result.deleted.map((d) => (typeof d === 'string' ? d : d.id).toLowerCase())).toEqual([copyId.toLowerCase()]);
    // ARM accepted the DELETE; a minute later it is done, and its delete event records the deletion the sweep asked for.
    expect(result.deleted.map((d) => d.outcome)).toEqual(['requested']);
    expect((await pipeline.stores.inventory.get(serverKey(copyId)))!.value.state).toBe('deleting');
    pipeline.stack.emulator.clock.advance(60_000);
    await pipeline.settled();
    await expect(sql.databases.get('rg-shop', 'sql-shop', COPY)).rejects.toMatchObject({ statusCode: 404 });
    const recorded = (await pipeline.stores.inventory.get(serverKey(copyId)))!.value;
    expect(recorded).toMatchObject({ state: 'deleted', deleteReason: result.deleted[0]!.reason });
    const kinds = (await pipeline.stores.evidence.list(serverKey(copyId))).map((e) => e.kind);
    expect(kinds.filter((k) => k === 'deleting' || k === 'deleted' || k === 'gone').sort()).toEqual([
      'deleted',
      'deleting',
    ]);
  });

  it('the production database and the logical server received no write (the request log shows it)', async () => {
    const writes = pipeline.stack.emulator.requests
      .entries()
      .filter((r) => ['PUT', 'PATCH', 'DELETE', 'POST'].includes(r.method));
    const under = (path: string, id: string) =>
      path.toLowerCase() === id.toLowerCase() || path.toLowerCase().startsWith(`${id.toLowerCase()}/`);
    expect(writes.filter((w) => under(w.path, PROD))).toEqual([]);
    // Only the copy was written under the logical server: its create, its tags and its delete.
    const underServer = writes.filter((w) => under(w.path, SERVER));
    expect(underServer.map((w) => w.operation)).toEqual([
      'Databases_CreateOrUpdate',
      'Tags_UpdateAtScope',
      'Databases_Delete',
    ]);
    expect(underServer.filter((w) => !under(w.path, copyId))).toEqual([]);
    expect((await sql.databases.get('rg-shop', 'sql-shop', 'shop')).tags).toEqual(estate().sqlDatabases![0]!.tags);
    const rules = [];
    for await (const r of sql.firewallRules.listByServer('rg-shop', 'sql-shop')) rules.push(r.name);
    expect(rules.sort()).toEqual(['AllowAllWindowsAzureIps', 'office']);
    expect((await sql.servers.get('rg-shop', 'sql-shop')).publicNetworkAccess).toBe('Enabled');
  });
});
