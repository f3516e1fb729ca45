// Builders of ARM-shaped servers, rules and snapshots (as ServersGet.json in test/fixtures/azure-samples), for tests.
import type { EmulatorSnapshot } from '../../src/local/emulator/index.js';
export const SUB1 = '00000000-0000-4000-8000-000000000001';
export const SUB2 = '00000000-0000-4000-8000-000000000002';

export function armServer(o: {
  subscriptionId?: string;
  resourceGroup?: string;
  name: string;
  location?: string;
  tags?: Record<string, string>;
  createdAt?: string;
  publicAccess?: boolean;
  subnetId?: string;
  administratorLogin?: string;
  version?: string;
  storageSizeGb?: number;
  sku?: { name: string; tier: string };
  state?: string;
}) {
  const subscriptionId = o.subscriptionId ?? SUB1;
  const resourceGroup = o.resourceGroup ?? 'rg-prod';
  const createdAt = o.createdAt ?? '2026-01-10T09:00:00Z';
  return {
    sku: o.sku ?? { name: 'Standard_D4ds_v5', tier: 'GeneralPurpose' },
    systemData: { createdAt },
    properties: {
      storage: { storageSizeGB: o.storageSizeGb ?? 128, autoGrow: 'Disabled', tier: 'P10', iops: 500 },
      network: o.subnetId
        ? { publicNetworkAccess: 'Disabled', delegatedSubnetResourceId: o.subnetId }
        : { publicNetworkAccess: o.publicAccess === false ? 'Disabled' : 'Enabled' },
      fullyQualifiedDomainName: `${o.name}.postgres.database.azure.com`,
      version: o.version ?? '16',
      minorVersion: '4',
      administratorLogin: o.administratorLogin ?? 'pgadmin',
      state: o.state ?? 'Ready',
      backup: { backupRetentionDays: 35, geoRedundantBackup: 'Disabled', earliestRestoreDate: '2026-10-20T00:00:00Z' },
      highAvailability: { mode: 'Disabled', state: 'NotEnabled' },
    },
    location: o.location ?? 'eastus',
    tags: o.tags ?? {},
    id: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.DBforPostgreSQL/flexibleServers/${o.name}`,
    name: o.name,
    type: 'Microsoft.DBforPostgreSQL/flexibleServers',
  };
}

export function armRule(serverId: string, name: string, start: string, end: string) {
  return {
    id: `${serverId}/firewallRules/${name}`,
    name,
    type: 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules',
    properties: { startIpAddress: start, endIpAddress: end },
  };
}

/** A production server, public, with an office range and the open "allow all" rule a restore would inherit. */
export function productionEstate() {
  const prod = armServer({
    name: 'pg-orders-prod',
    tags: { Owner: 'orders-team@contoso.com', Environment: 'production', CostCenter: 'CC-1001' },
  });
  return {
    prod,
    snapshot: {
      servers: [prod],
      firewallRules: {
        [prod.id]: [
          armRule(prod.id, 'office', '203.0.113.0', '203.0.113.255'),
          armRule(prod.id, 'allow-all', '0.0.0.0', '255.255.255.255'),
        ],
      },
      locks: {},
    },
  };
}

/** A MySQL flexible server as GET returns it (Microsoft's MySQL 2024-12-30 ServerGet example), for tests. */
export function armMySqlServer(o: {
  subscriptionId?: string;
  resourceGroup?: string;
  name: string;
  location?: string;
  tags?: Record<string, string>;
  createdAt?: string;
  subnetId?: string;
  state?: string;
}) {
  const subscriptionId = o.subscriptionId ?? SUB1;
  const resourceGroup = o.resourceGroup ?? 'rg-prod';
  return {
    sku: { name: 'Standard_D2ds_v4', tier: 'GeneralPurpose' },
    systemData: { createdAt: o.createdAt ?? '2026-01-10T09:00:00Z' },
    properties: {
      administratorLogin: 'mysqladmin',
      version: '8.0.21',
      state: o.state ?? 'Ready',
      storage: { storageSizeGB: 100, autoGrow: 'Enabled', iops: 600 },
      network: o.subnetId
        ? { publicNetworkAccess: 'Disabled', delegatedSubnetResourceId: o.subnetId }
        : { publicNetworkAccess: 'Enabled' },
      backup: { backupRetentionDays: 7, geoRedundantBackup: 'Disabled' },
    },
    location: o.location ?? 'eastus',
    ...(o.tags ? { tags: o.tags } : {}),
    id: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.DBforMySQL/flexibleServers/${o.name}`,
    name: o.name,
    type: 'Microsoft.DBforMySQL/flexibleServers',
  };
}

export function armMySqlRule(serverId: string, name: string, start: string, end: string) {
  return {
    id: `${serverId}/firewallRules/${name}`,
    name,
    type: 'Microsoft.DBforMySQL/flexibleServers/firewallRules',
    properties: { startIpAddress: start, endIpAddress: end },
  };
}

/**
 * SQL Database in a snapshot: the logical server `sql-shop` of `rg-shop` (public, a rule open to all Azure services) and
 * its production database `shop`, plus `databases` (copies, under the same server). `logical` is the server's id.
 */
export function sqlShop(
  subscriptionId: string,
  databases: NonNullable<EmulatorSnapshot['sqlDatabases']> = [],
): { logical: string; snapshot: Pick<EmulatorSnapshot, 'sqlServers' | 'sqlFirewallRules' | 'sqlDatabases'> } {
  const logical = `/subscriptions/${subscriptionId}/resourceGroups/rg-shop/providers/Microsoft.Sql/servers/sql-shop`;
  return {
    logical,
    snapshot: {
      sqlServers: [
        {
          id: logical,
          name: 'sql-shop',
          type: 'Microsoft.Sql/servers',
          location: 'westeurope',
          properties: { administratorLogin: 'shopadmin', publicNetworkAccess: 'Enabled' },
        },
      ],
      sqlFirewallRules: {
        [logical]: [
          { name: 'AllowAllWindowsAzureIps', properties: { startIpAddress: '0.0.0.0', endIpAddress: '0.0.0.0' } },
        ],
      },
      sqlDatabases: [
        {
          id: `${logical}/databases/shop`,
          name: 'shop',
          type: 'Microsoft.Sql/servers/databases',
          location: 'westeurope',
          tags: { Owner: 'shop-team@contoso.com' },
          properties: { currentServiceObjectiveName: 'S0', creationDate: '2026-01-10T08:00:00Z' },
        },
        ...databases,
      ],
    },
  };
}
