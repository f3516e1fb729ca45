import type { EmulatorClock } from '../clock.js';
import { AZURE_DURATIONS_MS } from '../durations.js';
import type { ServerRecord } from '../store.js';
import type { ArmServer, ArmServerProperties } from '../types.js';
import { completeMySqlServer } from './mysqlShape.js';
import { regionDisplayName, regionName } from './regions.js';
import { parseResourceId, resourceType } from '../ids.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Premium SSD tier and baseline IOPS by provisioned size, as the service reports them. */
const STORAGE_TIERS: [sizeGb: number, tier: string, iops: number][] = [
  [32, 'P4', 120],
  [64, 'P6', 240],
  [128, 'P10', 500],
  [256, 'P15', 1100],
  [512, 'P20', 2300],
  [1024, 'P30', 5000],
  [2048, 'P40', 7500],
  [4096, 'P50', 7500],
  [8192, 'P60', 16000],
  [16384, 'P70', 18000],
  [32768, 'P80', 20000],
];

export function storageTier(sizeGb: number): { tier: string; iops: number } {
  const match = STORAGE_TIERS.find(([size]) => sizeGb <= size) ?? STORAGE_TIERS[STORAGE_TIERS.length - 1]!;
  return { tier: match[1], iops: match[2] };
}

export const TIER_BY_SKU_PREFIX: [prefix: string, tier: string][] = [
  ['Standard_B', 'Burstable'],
  ['Standard_E', 'MemoryOptimized'],
  ['Standard_D', 'GeneralPurpose'],
];

export function tierOfSku(skuName: string): string {
  return TIER_BY_SKU_PREFIX.find(([prefix]) => skuName.startsWith(prefix))?.[1] ?? 'GeneralPurpose';
}

export const isVnetServer = (server: ArmServer): boolean =>
  Boolean(server.properties.network?.delegatedSubnetResourceId);

/**
 * Fills a server object with every field GET returns for its engine, keeping what it has. Used for seeds and new
 * servers, so a snapshot may give only the fields that matter to it.
 */
export function completeServer(input: ArmServer, now: Date): ArmServer {
  const ref = parseResourceId(input.id);
  if (!ref) throw new Error(`Not a flexible server id: ${input.id}`);
  if (ref.engine === 'mysql-flexible') return completeMySqlServer(input, now, ref);
  const p: ArmServerProperties = { ...(input.properties ?? {}) };
  const sizeGb = p.storage?.storageSizeGB ?? 32;
  const tier = storageTier(sizeGb);
  const vnet = Boolean(p.network?.delegatedSubnetResourceId);
  const createdAt = input.systemData?.createdAt ?? now.toISOString();
  const properties: ArmServerProperties = {
    replica: { role: 'Primary', capacity: 5 },
    ...p,
    storage: { type: '', iops: tier.iops, tier: tier.tier, storageSizeGB: sizeGb, autoGrow: 'Disabled', ...p.storage },
    network: vnet
      ? { publicNetworkAccess: 'Disabled', ...p.network }
      : { publicNetworkAccess: 'Enabled', ...p.network },
    ...(vnet ? {} : { privateEndpointConnections: p.privateEndpointConnections ?? [] }),
    dataEncryption: p.dataEncryption ?? { type: 'SystemManaged' },
    authConfig: p.authConfig ?? { activeDirectoryAuth: 'Disabled', passwordAuth: 'Enabled' },
    fullyQualifiedDomainName: p.fullyQualifiedDomainName ?? `${ref.name}.postgres.database.azure.com`,
    version: p.version ?? '17',
    minorVersion: p.minorVersion ?? minorOf(p.version ?? '17'),
    administratorLogin: p.administratorLogin ?? 'pgadmin',
    state: p.state ?? 'Ready',
    availabilityZone: p.availabilityZone ?? '1',
    backup: { backupRetentionDays: 7, geoRedundantBackup: 'Disabled', ...p.backup },
    highAvailability: { mode: 'Disabled', state: 'NotEnabled', ...p.highAvailability },
    maintenanceWindow: p.maintenanceWindow ?? { customWindow: 'Disabled', dayOfWeek: 0, startHour: 0, startMinute: 0 },
    replicationRole: p.replicationRole ?? 'Primary',
    replicaCapacity: p.replicaCapacity ?? 5,
  };
  // Write-only in the REST API: a restore carries no lineage (only a read replica shows sourceServerResourceId).
  delete properties.administratorLoginPassword;
  delete properties.createMode;
  delete properties.pointInTimeUTC;
  if (properties.replicationRole !== 'AsyncReplica' && properties.replicationRole !== 'GeoAsyncReplica')
    delete properties.sourceServerResourceId;
  if (properties.backup) delete properties.backup.earliestRestoreDate;
  const skuName = input.sku?.name ?? 'Standard_B1ms';
  const { tags, systemData: _systemData, ...rest } = input;
  return {
    ...rest,
    id: ref.id,
    name: ref.name,
    type: resourceType('postgresql-flexible'),
    location: regionName(input.location ?? 'eastus'),
    // A server that never had tags has no tags key; one whose tags were emptied shows {}.
    ...(tags ? { tags: { ...tags } } : {}),
    sku: { name: skuName, tier: input.sku?.tier ?? tierOfSku(skuName) },
    // ARM returns createdAt only (no createdBy, createdByType or lastModified*).
    systemData: { createdAt },
    properties,
  };
}

const MINOR: Record<string, string> = {
  '11': '22',
  '12': '22',
  '13': '18',
  '14': '15',
  '15': '10',
  '16': '6',
  '17': '5',
  '18': '0',
};
const minorOf = (major: string): string => MINOR[major] ?? '0';

/** The earliest restore point: the first backup (creation + its delay) or the start of the retention window, whichever is later. */
export function earliestRestoreDate(server: ArmServer, now: Date): Date {
  const retentionDays = server.properties.backup?.backupRetentionDays ?? 7;
  const windowStart = now.getTime() - retentionDays * DAY_MS;
  const created = Date.parse(server.systemData?.createdAt ?? '');
  return new Date(
    Number.isNaN(created) ? windowStart : Math.max(created + AZURE_DURATIONS_MS.pgFirstBackup, windowStart),
  );
}

/** True once the server's first backup is taken, some Azure time after it was first Ready. */
export function hasBackup(record: ServerRecord, clock: EmulatorClock): boolean {
  return record.readyAt !== undefined && clock.scheduleElapsedMs(record.readyAt) >= AZURE_DURATIONS_MS.pgFirstBackup;
}

/**
 * The server as GET returns it now: `location` as its display name, and `backup.earliestRestoreDate` (moving with the
 * clock) only once the first backup exists and while the server is not stopped.
 */
export function serverView(record: ServerRecord, clock: EmulatorClock): ArmServer {
  const server = record.server;
  const showEarliest = hasBackup(record, clock) && server.properties.state !== 'Stopped';
  return {
    ...server,
    location: regionDisplayName(server.location),
    properties: {
      ...server.properties,
      backup: {
        ...server.properties.backup,
        ...(showEarliest ? { earliestRestoreDate: earliestRestoreDate(server, clock.now()).toISOString() } : {}),
      },
    },
  };
}
