import { MySQLManagementFlexibleServerClient } from '@azure/arm-mysql-flexible';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverKey } from '../../src/domain/ids.js';
import { DEFAULT_RULES } from '../../src/domain/policy.js';
import { sendOwnerNotices } from '../../src/jobs/notices.js';
import { sweep } from '../../src/jobs/sweep.js';
import { armClientOptions } from '../../src/local/emulator/index.js';
import { SUB1, armMySqlRule, armMySqlServer, armRule, armServer } from '../support/estate.js';
import { startEventPipeline, type EventPipeline } from '../support/pipeline.js';

const DAY = 86_400_000;
const CLONE = 'my-orders-restore';
const cloneId = `/subscriptions/${SUB1}/resourceGroups/rg-prod/providers/Microsoft.DBforMySQL/flexibleServers/${CLONE}`;

/**
 * A MySQL flexible server restore, end to end on the emulator and Azurite: the operator restores a public production
 * server with an open firewall rule through @azure/arm-mysql-flexible; the emulator's event reaches onResourceEvent,
 * which proves the clone from the Activity Log, tags it and deletes the open rule; the owner gets the new-clone notice,
 * then the final notice; after expiry and grace the sweep deletes it. Production servers (MySQL and PostgreSQL, alike
 * as one Terraform module makes them) are never written to.
 */
describe('MySQL flexible server clone: proven, governed, noticed, deleted; production untouched', () => {
  const prod = armMySqlServer({
    name: 'my-orders-prod',
    tags: { Owner: 'orders-team@contoso.com', Environment: 'production', CostCenter: 'CC-1001' },
  });
  // Same module, same tags: looks like a clone of my-orders-prod, but nothing proves it.
  const twin = armMySqlServer({
    name: 'my-orders-prod-2',
    createdAt: '2026-02-01T00:00:00Z',
    tags: { Owner: 'orders-team@contoso.com', Environment: 'production', CostCenter: 'CC-1001' },
  });
  const pg = armServer({
    name: 'pg-orders-prod',
    tags: { Owner: 'orders-team@contoso.com', Environment: 'production' },
  });
  let pipeline: EventPipeline;
  let mysql: MySQLManagementFlexibleServerClient;
  const restoredAt = new Date();

  beforeAll(async () => {
    pipeline = await startEventPipeline({
      snapshot: {
        servers: [prod, twin, pg],
        firewallRules: {
          [prod.id]: [
            armMySqlRule(prod.id, 'office', '203.0.113.0', '203.0.113.255'),
            armMySqlRule(prod.id, 'AllowAll', '0.0.0.0', '255.255.255.255'),
          ],
          [twin.id]: [armMySqlRule(twin.id, 'AllowAll', '0.0.0.0', '255.255.255.255')],
          [pg.id]: [armRule(pg.id, 'AllowAll', '0.0.0.0', '255.255.255.255')],
        },
      },
      rules: DEFAULT_RULES.map((r) =>
        r.type === 'network-firewall' ? { ...r, allowedRanges: ['203.0.113.0/24'] } : r,
      ),
    });
    mysql = new MySQLManagementFlexibleServerClient(
      pipeline.stack.emulator.credential,
      SUB1,
      armClientOptions(pipeline.stack.emulator),
    );
  });
  afterAll(async () => pipeline?.close());

  const rulesOf = async (name: string) => {
    const names: string[] = [];
    for await (const r of mysql.firewallRules.listByServer('rg-prod', name))
      names.push(`${r.name}:${r.startIpAddress}-${r.endIpAddress}`);
    return names.sort();
  };

  it('a PITR restore is proven from the Activity Log, tagged, and its open rule deleted', async () => {
    await mysql.servers.beginCreateAndWait(
      'rg-prod',
      CLONE,
      {
        location: 'eastus',
        createMode: 'PointInTimeRestore',
        sourceServerResourceId: prod.id,
        restorePointInTime: new Date(restoredAt.getTime() - 3_600_000),
      },
      { updateIntervalInMs: 5 },
    );
    await pipeline.settled();

    const clone = await mysql.servers.get('rg-prod', CLONE);
    expect(clone.tags).toMatchObject({
      Owner: 'operator@contoso.com',
      SourceOwner: 'orders-team@contoso.com',
      RestoredFrom: prod.id,
      RestoredBy: 'operator@contoso.com',
    });
    expect(clone.tags?.ExpiresOn).toMatch(/^\d{4}-\d{2}-\d{2}/);
    expect(await rulesOf(CLONE)).toEqual(['office:203.0.113.0-203.0.113.255']);

    const row = (await pipeline.stores.inventory.get(serverKey(cloneId)))!.value;
    expect(row).toMatchObject({
      engine: 'mysql-flexible',
      classification: 'clone',
      owner: 'operator@contoso.com',
      state: 'governed',
    });
    expect(row.proof).toMatchObject({ level: 'proven' });
    const evidence = await pipeline.stores.evidence.list(serverKey(cloneId));
    expect(evidence.filter((e) => e.kind === 'delete-firewall-rule').map((e) => e.summary)).toEqual([
      expect.stringContaining('AllowAll'),
    ]);
  });

  it('the owner gets the new-clone notice naming the MySQL clone', async () => {
    const outcome = await sendOwnerNotices(await pipeline.jobDeps(new Date(restoredAt.getTime() + 60_000)));
    expect(outcome.failed).toEqual([]);
    const mails = pipeline.stack.emulator.mailbox.to('operator@contoso.com');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.plainText).toContain(CLONE);
    expect(mails[0]!.plainText).toContain('MySQL');
    expect(pipeline.stack.emulator.mailbox.to('orders-team@contoso.com')).toEqual([]);
  });

  it('after expiry the final notice, and after the grace the sweep deletes it', async () => {
    const row = (await pipeline.stores.inventory.get(serverKey(cloneId)))!.value;
    const expiresAt = Date.parse(row.expiresOn!);
    const notices = await sendOwnerNotices(await pipeline.jobDeps(new Date(expiresAt + 3_600_000)));
    expect(notices.failed).toEqual([]);
    const stages = (await pipeline.stores.inventory.get(serverKey(cloneId)))!.value.noticesSent.map((n) => n.stage);
    expect(stages).toContain('final-notice');

    // No event of the clone is still being handled: its row is the one the sweep lists (and deletes by, with its ETag).
    await pipeline.settled();
    const tooEarly = await sweep(await pipeline.jobDeps(new Date(expiresAt + 2 * 3_600_000)), {
      mode: 'enforce',
      maxDeletionsPerRun: 5,
      maxDeletionPercent: 100,
      maxDisagreementPercent: 50,
    });
    expect(tooEarly.deleted).toEqual([]);

    const result = await sweep(await pipeline.jobDeps(new Date(expiresAt + 3 * DAY + 3_600_000)), {
      mode: 'enforce',
      maxDeletionsPerRun: 5,
      maxDeletionPercent: 100,
      maxDisagreementPercent: 50,
    });
    expect(result.failed).toEqual([]);
    expect(result.deleted.map((d) => (typeof d === 'string' ? d : d.id).toLowerCase())).toEqual([
      cloneId.toLowerCase(),
    ]);
    // ARM accepted the DELETE; a minute later it is done, and its delete event records the deletion the sweep asked for.
    expect(result.deleted.map((d) => d.outcome)).toEqual(['requested']);
    expect((await pipeline.stores.inventory.get(serverKey(cloneId)))!.value.state).toBe('deleting');
    pipeline.stack.emulator.clock.advance(60_000);
    await pipeline.settled();
    await expect(mysql.servers.get('rg-prod', CLONE)).rejects.toMatchObject({ statusCode: 404 });
    const recorded = (await pipeline.stores.inventory.get(serverKey(cloneId)))!.value;
    expect(recorded).toMatchObject({ state: 'deleted', deleteReason: result.deleted[0]!.reason });
    const kinds = (await pipeline.stores.evidence.list(serverKey(cloneId))).map((e) => e.kind);
    expect(kinds.filter((k) => k === 'deleting' || k === 'deleted' || k === 'gone').sort()).toEqual([
      'deleted',
      'deleting',
    ]);
  });

  it('production servers were never written to: no PUT, PATCH, POST or DELETE on them or their rules, tags untouched', async () => {
    const writes = pipeline.stack.emulator.requests
      .entries()
      .filter((r) => ['PUT', 'PATCH', 'DELETE', 'POST'].includes(r.method));
    for (const server of [prod, twin, pg]) {
      expect(
        writes.filter((w) => w.path.toLowerCase().startsWith(server.id.toLowerCase())),
        server.name,
      ).toEqual([]);
    }
    expect((await mysql.servers.get('rg-prod', 'my-orders-prod')).tags).toEqual(prod.tags);
    expect(await rulesOf('my-orders-prod-2')).toEqual(['AllowAll:0.0.0.0-255.255.255.255']);
    const twinRow = (await pipeline.stores.inventory.get(serverKey(twin.id)))?.value;
    if (twinRow) expect(twinRow.proof?.level).not.toBe('proven');
  });
});
