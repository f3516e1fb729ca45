import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  firewallRuleFromArm,
  lockFromArm,
  parseSnapshot,
  parseSnapshotText,
  serverFromArm,
  SnapshotError,
} from '../../src/domain/snapshot.js';
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
