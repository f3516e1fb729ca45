import type { ArmServer, ArmServerProperties } from '../types.js';
import { regionName } from './regions.js';
import type { ResourceRef } from '../ids.js';

/** Full versions the service reports for each major version (`fullVersion`); invented minor numbers, real majors. */
const FULL_VERSION: Record<string, string> = { '5.7': '5.7.44', '8.0.21': '8.0.40', '8.4': '8.4.3' };

/** Baseline IOPS of MySQL flexible server storage: 300 + 3 per GiB (ServerGet: 100 GiB -> 600; restore sample: 20 -> 360). */
const baselineIops = (sizeGb: number): number => 300 + 3 * sizeGb;

const TIER_BY_SKU_PREFIX: [prefix: string, tier: string][] = [
  ['Standard_B', 'Burstable'],
  ['Standard_E', 'MemoryOptimized'],
  ['Standard_D', 'GeneralPurpose'],
];

export const mysqlTierOfSku = (skuName: string): string =>
  TIER_BY_SKU_PREFIX.find(([prefix]) => skuName.startsWith(prefix))?.[1] ?? 'GeneralPurpose';

/**
 * A MySQL flexible server with every field GET returns at 2024-12-30 (Microsoft's ServerGet example): `databasePort`,
 * `fullVersion`, `backup.backupIntervalHours`, `storage.storageSku`/`storageRedundancy`/`autoIoScaling`,
 * `maintenancePolicy`, `replicationRole: None`, the `.mysql.database.azure.com` host name. Keeps what the input has.
 */
export function completeMySqlServer(input: ArmServer, now: Date, ref: ResourceRef): ArmServer {
  const p: ArmServerProperties = { ...(input.properties ?? {}) };
  const sizeGb = p.storage?.storageSizeGB ?? 20;
  const vnet = Boolean(p.network?.delegatedSubnetResourceId);
  const version = p.version ?? '8.0.21';
  const properties: ArmServerProperties = {
    ...p,
    administratorLogin: p.administratorLogin ?? 'mysqladmin',
    availabilityZone: p.availabilityZone ?? '1',
    backup: { backupIntervalHours: 24, backupRetentionDays: 7, geoRedundantBackup: 'Disabled', ...p.backup },
    databasePort: 3306,
    fullVersion: typeof p.fullVersion === 'string' ? p.fullVersion : (FULL_VERSION[version] ?? version),
    fullyQualifiedDomainName: p.fullyQualifiedDomainName ?? `${ref.name}.mysql.database.azure.com`,
    highAvailability: { mode: 'Disabled', state: 'NotEnabled', ...p.highAvailability },
    maintenancePolicy: p.maintenancePolicy ?? { patchStrategy: 'Regular' },
    maintenanceWindow: p.maintenanceWindow ?? {
      batchOfMaintenance: 'Default',
      customWindow: 'Disabled',
      dayOfWeek: 0,
      startHour: 0,
      startMinute: 0,
    },
    network: vnet
      ? { publicNetworkAccess: 'Disabled', ...p.network }
      : { publicNetworkAccess: 'Enabled', ...p.network },
    dataEncryption: p.dataEncryption ?? { type: 'SystemManaged' },
    replicaCapacity: p.replicaCapacity ?? 10,
    replicationRole: p.replicationRole ?? 'None',
    state: p.state ?? 'Ready',
    storage: {
      autoGrow: 'Enabled',
      autoIoScaling: 'Enabled',
      iops: baselineIops(sizeGb),
      storageRedundancy: 'LocalRedundancy',
      storageSku: 'Premium_LRS',
      ...p.storage,
      storageSizeGB: sizeGb,
    },
    version,
  };
  // Write-only in the REST API: a restore carries no lineage (only a replica shows sourceServerResourceId).
  delete properties.administratorLoginPassword;
  delete properties.createMode;
  delete properties.restorePointInTime;
  if (properties.replicationRole !== 'Replica') delete properties.sourceServerResourceId;
  if (properties.backup) delete properties.backup.earliestRestoreDate;
  for (const key of Object.keys(properties)) if (properties[key] === undefined) delete properties[key];
  const skuName = input.sku?.name ?? 'Standard_B1ms';
  const { tags, systemData: _systemData, ...rest } = input;
  return {
    ...rest,
    id: ref.id,
    name: ref.name,
    type: 'Microsoft.DBforMySQL/flexibleServers',
    location: regionName(input.location ?? 'eastus'),
    ...(tags ? { tags: { ...tags } } : {}),
    sku: { name: skuName, tier: input.sku?.tier ?? mysqlTierOfSku(skuName) },
    systemData: { createdAt: input.systemData?.createdAt ?? now.toISOString() },
    properties,
  };
}
