import { describe, expect, it } from 'vitest';
import { classify } from '../../src/domain/classify.js';
import { ENGINE_SPECS, isSystemResource, parseEngine, resourceTypeOf } from '../../src/domain/engines.js';
import { parseDelivery } from '../../src/domain/events.js';
import { parseServerId, resourceIdOf, serverKey } from '../../src/domain/ids.js';
import { restoreEvidenceFrom, resourceEventFromActivityEntry } from '../../src/domain/activityLog.js';
import { armFromServer, parseSnapshot, serverFromArm } from '../../src/domain/snapshot.js';
import { DEFAULT_POLICY } from '../../src/domain/policy.js';
import { fixture, sample } from '../fixtures/events/load.js';

const SUB = '7f2c3a51-6b0e-4d8a-9c1f-2e5b8d4a6c30';
const SERVER = `/subscriptions/${SUB}/resourceGroups/rg-payments/providers/Microsoft.Sql/servers/sql-payments`;
const CLONE = `${SERVER}/databases/payments-restore-0412`;
const SOURCE = `${SERVER}/databases/payments`;
const PITR = sample('sql-2022-08-01-preview/CreateDatabasePITRMode.json') as {
  parameters: { parameters: Record<string, unknown> };
  responses: Record<string, { body: Record<string, unknown> }>;
};

describe('the sql-database engine', () => {
  it('names the database under its logical server, the restore fields, the operations and the price service', () => {
    const sql = ENGINE_SPECS['sql-database'];
    expect(resourceTypeOf('sql-database')).toBe('Microsoft.Sql/servers/databases');
    expect(sql.restoreBody).toEqual({
      createMode: 'createMode',
      source: 'sourceDatabaseId',
      pointInTime: 'restorePointInTime',
    });
    expect(sql.operations).toEqual({
      write: 'Microsoft.Sql/servers/databases/write',
      delete: 'Microsoft.Sql/servers/databases/delete',
    });
    expect(sql.priceServiceName).toBe('SQL Database');
    expect(sql).toMatchObject({
      networkPolicy: 'report-only',
      networkActions: [],
      parent: { label: 'logical server' },
    });
    expect(sql.cloneCreateModes).toContain('PointInTimeRestore');
    expect(sql.cloneCreateModes).not.toContain('Copy');
    expect(parseEngine('sql')).toBe('sql-database');
    expect(parseEngine('SQL-Database')).toBe('sql-database');
  });

  it('keys a database by its own id; the logical server is its parent, and children are changes of the database', () => {
    const ref = parseServerId(
      `${CLONE.toUpperCase().replace('/SUBSCRIPTIONS/' + SUB.toUpperCase(), '/subscriptions/' + SUB)}/backupShortTermRetentionPolicies/default`,
    );
    expect(ref).toMatchObject({
      engine: 'sql-database',
      key: CLONE.toLowerCase(),
      name: 'PAYMENTS-RESTORE-0412',
      parents: [{ type: 'servers', name: 'SQL-PAYMENTS' }],
      child: { type: 'backupShortTermRetentionPolicies', name: 'default' },
    });
    expect(resourceIdOf('sql-database', SUB, 'rg-payments', ['sql-payments', 'payments-restore-0412'])).toBe(CLONE);
    // The logical server and its firewall rules are not governed resources.
    expect(parseServerId(SERVER)).toBeUndefined();
    expect(parseServerId(`${SERVER}/firewallRules/AllowAll`)).toBeUndefined();
    expect(serverKey(CLONE)).not.toBe(serverKey(SOURCE));
  });

  it('the master database is a system database, never a candidate', () => {
    expect(isSystemResource('sql-database', 'master')).toBe(true);
    expect(isSystemResource('sql-database', 'Master')).toBe(true);
    expect(isSystemResource('sql-database', 'payments')).toBe(false);
    expect(isSystemResource('postgresql-flexible', 'master')).toBe(false);
  });
});

describe('SQL Database deliveries through intake', () => {
  it('an Event Grid write, a CloudEvent and an Activity Log alert on a database are changes of the database key', () => {
    for (const file of [
      'sql/eventgrid-write-success.json',
      'sql/cloudevent-write-success.json',
      'sql/alert-write-succeeded.json',
    ]) {
      expect(parseDelivery(fixture(file)), file).toEqual([
        expect.objectContaining({
          kind: 'changed',
          engine: 'sql-database',
          key: CLONE.toLowerCase(),
          resourceId: CLONE,
          serverName: 'payments-restore-0412',
          operationName: expect.stringMatching(/^Microsoft\.Sql\/servers\/databases\/write$/i),
        }),
      ]);
    }
  });

  it('the database delete is a delete of the database only', () => {
    expect(parseDelivery(fixture('sql/eventgrid-delete-success.json'))).toEqual([
      expect.objectContaining({ kind: 'deleted', engine: 'sql-database', key: CLONE.toLowerCase() }),
    ]);
  });

  it('the master database and the logical server firewall rules are ignored, saying why', () => {
    expect(parseDelivery(fixture('sql/eventgrid-master-write-success.json'))).toEqual([
      expect.objectContaining({
        kind: 'ignored',
        reason: expect.stringMatching(
          /^the master database of a logical server is a system SQL database, never a copy: .*\/databases\/master$/,
        ),
      }),
    ]);
    expect(parseDelivery(fixture('sql/eventgrid-server-firewall-rule-delete-success.json'))).toEqual([
      expect.objectContaining({
        kind: 'ignored',
        reason: expect.stringMatching(
          /^not a PostgreSQL flexible server, MySQL flexible server or SQL database: .*\/servers\/sql-payments\/firewallRules\//,
        ),
      }),
    ]);
  });

  it('Activity Log entries of a database write are SQL changes in any casing', () => {
    expect(resourceEventFromActivityEntry(fixture('sql/entry-pitr-write-succeeded.json'))).toMatchObject({
      kind: 'changed',
      engine: 'sql-database',
      key: CLONE.toLowerCase(),
    });
    expect(resourceEventFromActivityEntry(fixture('sql/entry-pitr-write-started.json'))).toMatchObject({
      kind: 'ignored',
      reason: 'not completed (status Started)',
    });
  });
});

describe('proof of a SQL database restore', () => {
  it('reads createMode, sourceDatabaseId and restorePointInTime from the start record', () => {
    expect(restoreEvidenceFrom(fixture('sql/entry-pitr-write-started.json'))).toMatchObject({
      serverId: CLONE,
      createMode: 'PointInTimeRestore',
      sourceServerId: SOURCE,
      pointInTimeUtc: '2026-11-20T08:00:00.000Z',
      status: 'Started',
      actor: { type: 'user', upn: 'alice@contoso.com' },
    });
    // The end record has an empty body: no evidence from it.
    expect(restoreEvidenceFrom(fixture('sql/entry-pitr-write-succeeded.json'))).toBeUndefined();
  });

  it("reads the body of Microsoft's CreateDatabasePITRMode example", () => {
    const entry = fixture('sql/entry-pitr-write-started.json');
    entry.properties.requestbody = JSON.stringify(PITR.parameters.parameters);
    expect(restoreEvidenceFrom(entry)).toMatchObject({
      createMode: 'PointInTimeRestore',
      sourceServerId:
        '/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/Default-SQL-SoutheastAsia/providers/Microsoft.Sql/servers/testsvr/databases/testdb',
      pointInTimeUtc: '2020-10-22T05:35:31.503Z',
    });
  });

  it('a restored database (no tags, no lineage in its GET) is a proven clone by its Activity Log record only', () => {
    const body = { ...PITR.responses['200']!.body, id: CLONE, name: 'payments-restore-0412' };
    const clone = serverFromArm(body);
    expect(clone).toMatchObject({
      engine: 'sql-database',
      tags: {},
      createdAt: '2020-10-23T20:31:35.807Z',
      state: 'Online',
      skuName: 'S0',
      skuTier: 'Standard',
      storageSizeGb: 250,
    });
    expect(clone.sourceServerId).toBeUndefined();
    const evidence = {
      ...restoreEvidenceFrom(fixture('sql/entry-pitr-write-started.json'))!,
      at: '2020-10-23T20:31:00.000Z',
      pointInTimeUtc: '2020-10-22T05:35:31.503Z',
    };
    const withProof = classify(clone, {
      servers: [clone],
      restoreEvidence: [evidence],
      tagKeys: DEFAULT_POLICY.tagKeys,
    });
    expect(withProof).toMatchObject({ classification: 'clone', proof: { level: 'proven', basis: 'activity-log' } });
    expect(classify(clone, { servers: [clone], tagKeys: DEFAULT_POLICY.tagKeys }).classification).toBe('not-a-clone');
    // A Copy is lineage, not a restore the warden governs.
    expect(
      classify(clone, {
        servers: [clone],
        restoreEvidence: [{ ...evidence, createMode: 'Copy' }],
        tagKeys: DEFAULT_POLICY.tagKeys,
      }).classification,
    ).toBe('not-a-clone');
  });

  it('a database GET round-trips through snapshots with its type; master is left out of a snapshot', () => {
    const clone = serverFromArm({ ...PITR.responses['200']!.body, id: CLONE, name: 'payments-restore-0412' });
    expect(armFromServer(clone).type).toBe('Microsoft.Sql/servers/databases');
    expect(serverFromArm(armFromServer(clone))).toEqual(clone);
    const master = { ...PITR.responses['200']!.body, id: `${SERVER}/databases/master`, name: 'master' };
    expect(parseSnapshot({ servers: [armFromServer(clone), master] }).servers.map((s) => s.name)).toEqual([
      'payments-restore-0412',
    ]);
  });
});

describe('the seed form of SQL Database in a plan snapshot', () => {
  it('reads sqlDatabases with their logical server exposure, leaves master out, and names bad entries', () => {
    const snapshot = parseSnapshot({
      servers: [],
      sqlServers: [{ id: SERVER, properties: { publicNetworkAccess: 'Enabled', administratorLogin: 'shopadmin' } }],
      sqlFirewallRules: {
        [SERVER]: [{ name: 'office', properties: { startIpAddress: '203.0.113.0', endIpAddress: '203.0.113.255' } }],
      },
      sqlDatabases: [
        {
          id: SOURCE,
          location: 'westeurope',
          properties: { currentServiceObjectiveName: 'S0', creationDate: '2026-01-10T08:00:00Z' },
        },
        { id: `${SERVER}/databases/master`, location: 'westeurope', properties: {} },
      ],
      locks: { [SERVER]: [{ name: 'keep', properties: { level: 'CanNotDelete' } }] },
    });
    expect(snapshot.servers).toEqual([
      expect.objectContaining({
        engine: 'sql-database',
        name: 'payments',
        publicNetworkAccess: 'Enabled',
        administratorLogin: 'shopadmin',
        skuName: 'S0',
        firewallRules: [{ name: 'office', startIpAddress: '203.0.113.0', endIpAddress: '203.0.113.255' }],
        locks: [{ name: 'keep', level: 'CanNotDelete' }],
      }),
    ]);
    expect(() =>
      parseSnapshot({ servers: [], sqlServers: [{ id: 'x' }], sqlDatabases: [{ id: `${SERVER}/databases/d` }] }),
    ).toThrow(
      /sqlServers\[0\]\.id: is not the id of a logical server[\s\S]*sqlDatabases\[0\]\.id: ".*\/databases\/d" is not a database of a logical server in sqlServers/,
    );
  });
});
