import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  armServerOf,
  firewallRuleFromArm,
  lockFromArm,
  parseSnapshot,
  parseSnapshotText,
  serverFromArm,
  SnapshotError,
  wellFormedServer,
  withLogicalServer,
} from '../../src/domain/snapshot.js';
import { resourceOfRow } from '../../src/adapters/azure/arm/resourceGraph.js';
import { sample as readSample } from '../support/samples.js';
import { serversGetBody, serverIdOf, SUB, vnetServerBody } from '../fixtures/snapshots/build.js';

const sample = (path: string): { responses: Record<string, { body: { value: unknown[] } }> } =>
  readSample(path) as { responses: Record<string, { body: { value: unknown[] } }> };

describe('serverFromArm', () => {
  it('reads ServersGet.json (2025-08-01) as the plan needs it', () => {
    expect(serverFromArm(serversGetBody())).toMatchObject({
      id: '/subscriptions/ffffffff-ffff-ffff-ffff-ffffffffffff/resourceGroups/exampleresourcegroup/providers/Microsoft.DBforPostgreSQL/flexibleServers/exampleserver',
      key: '/subscriptions/ffffffff-ffff-ffff-ffff-ffffffffffff/resourcegroups/exampleresourcegroup/providers/microsoft.dbforpostgresql/flexibleservers/exampleserver',
      subscriptionId: 'ffffffff-ffff-ffff-ffff-ffffffffffff',
      resourceGroup: 'exampleresourcegroup',
      name: 'exampleserver',
      location: 'eastus',
      tags: {},
      skuName: 'Standard_D4ds_v5',
      skuTier: 'GeneralPurpose',
      version: '17',
      administratorLogin: 'exampleadministratorlogin',
      storageSizeGb: 128,
      state: 'Ready',
      createdAt: '2025-06-01T18:30:22.123Z',
      publicNetworkAccess: 'Enabled',
    });
  });

  it('reads the VNet server of ServersListBySubscription.json, and the SDK flattened shape', () => {
    expect(serverFromArm(vnetServerBody())).toMatchObject({
      publicNetworkAccess: 'Disabled',
      delegatedSubnetId: expect.stringContaining('/subnets/examplesubnet1'),
      tags: { VnetServer: '1' },
      storageSizeGb: 512,
    });
    const body = serversGetBody();
    const flattened = {
      ...body,
      ...body.properties,
      properties: undefined,
      systemData: {
        createdAt: new Date('2025-06-01T18:30:22Z'),
        createdBy: 'alice@contoso.com',
        createdByType: 'User',
      },
    };
    expect(serverFromArm(flattened)).toMatchObject({
      version: '17',
      administratorLogin: 'exampleadministratorlogin',
      storageSizeGb: 128,
      createdAt: '2025-06-01T18:30:22.000Z',
    });
  });

  it('names the field of a malformed server', () => {
    expect(() =>
      serverFromArm({ id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/x', location: 'eastus' }),
    ).toThrow(
      /server\.id: ".*Microsoft.Sql\/servers\/x" is not the id of a PostgreSQL flexible server, MySQL flexible server or SQL database/,
    );
    expect(() => serverFromArm({ ...serversGetBody(), tags: { a: 1 } })).toThrow(
      /server\.tags\.a: tag values must be strings/,
    );
  });

  it('reads a well-formed server directly exactly as the schema does, and leaves every malformed one to the schema', () => {
    const body = serversGetBody();
    const database = (
      readSample('sql-2022-08-01-preview/CreateDatabasePITRMode.json') as {
        responses: { 200: { body: Record<string, unknown> } };
      }
    ).responses[200].body;
    const wellFormed: Array<[string, Record<string, unknown>]> = [
      ['ServersGet', body],
      ['the VNet server', vnetServerBody()],
      ['the SDK flattened shape', { ...body, ...body.properties, properties: undefined }],
      ['a Resource Graph row', resourceOfRow({ ...body, properties: undefined, version: '17', storageSizeGB: 64 })],
      ['a database with its logical server', withLogicalServer(database, { publicNetworkAccess: 'Disabled' })],
      [
        'padded id and location, null tags',
        { ...body, id: `  ${String(body.id)} `, location: ' Canada Central ', tags: null },
      ],
      ['fields present as undefined', { ...body, name: undefined, sku: undefined, properties: { version: undefined } }],
      [
        'times as dates and in other forms',
        {
          ...body,
          systemData: { createdAt: new Date('2025-06-01T18:30:22Z') },
          properties: { backup: { earliestRestoreDate: '2025-06-01 18:35:22Z' } },
        },
      ],
    ];
    for (const [what, server] of wellFormed) {
      const direct = wellFormedServer(server);
      expect(direct, what).toBeDefined();
      expect(armServerOf(server), what).toMatchObject(direct!);
    }
    // Of known fields only, the schema's reading has nothing more: the two are the same, a field present as undefined too.
    const known = {
      id: String(body.id),
      location: 'eastus',
      version: '16',
      systemData: { createdAt: '2025-06-01T18:30:22Z' },
      properties: { version: undefined, storage: { storageSizeGB: 32 }, creationDate: '2025-06-01T18:30:22Z' },
    };
    expect(wellFormedServer(known)).toStrictEqual(armServerOf(known));
    expect(serverFromArm(known).version).toBeUndefined();
    const malformed: Array<[string, unknown]> = [
      ['not an object', [body]],
      ['a logical server', { ...body, id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/x' }],
      ['a firewall rule', { ...body, id: `${String(body.id)}/firewallRules/r` }],
      ['an empty location', { ...body, location: ' ' }],
      ['a number tag', { ...body, tags: { a: 1 } }],
      ['a null property', { ...body, properties: { network: { delegatedSubnetResourceId: null } } }],
      ['a text size', { ...body, properties: { storage: { storageSizeGB: '128' } } }],
      ['a time that is none', { ...body, systemData: { createdAt: 'soon' } }],
      ['a flattened time that is none', { ...body, creationDate: 'soon' }],
      ['a sku capacity in text', { ...body, sku: { name: 'S0', capacity: '10' } }],
    ];
    for (const [what, server] of malformed) {
      expect(wellFormedServer(server), what).toBeUndefined();
      expect(() => armServerOf(server), what).toThrow(SnapshotError);
      expect(() => serverFromArm(server), what).toThrow(SnapshotError);
    }
  });

  it('reads firewall rules (FirewallRulesListByServer.json) and locks', () => {
    const rules = sample('postgresql-2025-08-01/FirewallRulesListByServer.json').responses['200']?.body.value;
    expect(rules!.map((r) => firewallRuleFromArm(r))).toEqual([
      { name: 'examplefirewallrule1', startIpAddress: '0.0.0.0', endIpAddress: '255.255.255.255' },
      { name: 'examplefirewallrule2', startIpAddress: '1.0.0.0', endIpAddress: '255.0.0.0' },
    ]);
    expect(lockFromArm({ name: 'keep', properties: { level: 'CanNotDelete', notes: 'evidence' } })).toEqual({
      name: 'keep',
      level: 'CanNotDelete',
      notes: 'evidence',
    });
    expect(lockFromArm({ name: 'none', properties: { level: 'NotSpecified' } })).toBeUndefined();
  });
});

describe('parseSnapshot', () => {
  it('joins rules and locks by id in any casing; locks on a resource group or subscription apply to its servers', () => {
    const a = { ...serversGetBody(), id: serverIdOf('pg-a'), name: 'pg-a' };
    const b = { ...serversGetBody(), id: serverIdOf('pg-b', 'rg-other'), name: 'pg-b' };
    const snapshot = parseSnapshot({
      servers: [a, b],
      firewallRules: {
        [serverIdOf('pg-a').toUpperCase()]: [
          { name: 'office', properties: { startIpAddress: '203.0.113.1', endIpAddress: '203.0.113.9' } },
        ],
      },
      locks: {
        [`/subscriptions/${SUB}/resourcegroups/RG-OTHER`]: [{ name: 'rg-lock', properties: { level: 'ReadOnly' } }],
        [`/subscriptions/${SUB}/`]: [{ name: 'sub-lock', properties: { level: 'CanNotDelete' } }],
      },
    });
    const [first, second] = snapshot.servers;
    expect(first!.firewallRules).toEqual([
      { name: 'office', startIpAddress: '203.0.113.1', endIpAddress: '203.0.113.9' },
    ]);
    expect(first!.locks!.map((l) => l.name)).toEqual(['sub-lock']);
    expect(second!.firewallRules).toEqual([]);
    expect(second!.locks!.map((l) => l.name).sort()).toEqual(['rg-lock', 'sub-lock']);
    expect(snapshot).toMatchObject({ inventory: [], noticesSent: [], restoreEvidence: [] });
  });

  it('turns Activity Log restore entries into restore evidence and reads inventory and notice history', () => {
    const snapshot = parseSnapshotText(
      readFileSync(new URL('../fixtures/snapshots/small-estate.json', import.meta.url), 'utf8'),
    );
    expect(snapshot.restoreEvidence).toHaveLength(7);
    expect(snapshot.restoreEvidence[0]).toEqual(
      expect.objectContaining({
        serverId: `/subscriptions/${SUB}/resourceGroups/rg-payments/providers/Microsoft.DBforPostgreSQL/flexibleServers/PG-PROD-RESTORE-1129`,
        pointInTimeUtc: '2026-11-29T07:45:00.000Z',
        createMode: 'PointInTimeRestore',
        sourceServerId: serverIdOf('pg-prod'),
        actor: expect.objectContaining({ type: 'user', upn: 'alice@contoso.com' }),
      }),
    );
    expect(snapshot.inventory[0]).toMatchObject({
      key: serverIdOf('pg-old-restore').toLowerCase(),
      state: 'deleted',
      noticesSent: [
        expect.objectContaining({ stage: 'new-clone' }),
        expect.objectContaining({ stage: 'final-notice' }),
      ],
    });
    expect(snapshot.noticesSent).toContainEqual({
      server: serverIdOf('pg-prod-copy').toUpperCase(),
      stage: 'new-clone',
      sentAt: '2026-11-20T11:00:00.000Z',
    });
    expect(snapshot.servers).toHaveLength(10);
  });

  it('lists every problem with where it is', () => {
    try {
      parseSnapshot({
        servers: [{ id: 'x' }, serversGetBody(), serversGetBody()],
        firewallRules: { a: [{ name: 'r' }] },
        noticesSent: [{ server: 'x', stage: 'later', sentAt: 'soon' }],
        inventory: [{ id: serverIdOf('pg-a') }],
        activityLog: [{}],
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SnapshotError);
      const problems = (error as SnapshotError).problems;
      expect(problems).toEqual(
        expect.arrayContaining([
          'servers[0].id: "x" is not the id of a PostgreSQL flexible server, MySQL flexible server or SQL database',
          'servers[0].location: is required (string)',
          'servers[2].id: same server as servers[1] (ids compare case-insensitively)',
          'firewallRules["a"][0]: properties.startIpAddress and properties.endIpAddress are required',
          'noticesSent[0].sentAt: "soon" is not a date-time',
          expect.stringMatching(/^noticesSent\[0\]\.stage: /),
          expect.stringMatching(/^inventory\[0\]\.classification: /),
          expect.stringMatching(/^activityLog\[0\]: entry\.operationName/),
        ]),
      );
    }
    expect(() => parseSnapshotText('{"servers": [')).toThrow(/not valid JSON/);
    expect(() => parseSnapshot({ servers: {} })).toThrow(/servers: must be an array of ARM server objects/);
  });
});
