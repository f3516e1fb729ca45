import type { DataPlaneSpec } from './dataPlane/index.js';
import type { SqlSnapshot } from './Sql/snapshot.js';

/** ARM payload shapes the emulator stores and serves, as the REST API returns them (PostgreSQL 2025-08-01, MySQL 2024-12-30). */

export type Tags = Record<string, string>;

/** What ARM returns of a flexible server's systemData: `createdAt` only (no createdBy, createdByType, lastModified*). */
export interface SystemData {
  createdAt?: string;
}

export interface ArmServerProperties {
  administratorLogin?: string;
  version?: string;
  minorVersion?: string;
  state?: string;
  fullyQualifiedDomainName?: string;
  availabilityZone?: string;
  /** MySQL adds autoIoScaling, storageRedundancy and storageSku. */
  storage?: {
    storageSizeGB?: number;
    autoGrow?: string;
    tier?: string;
    iops?: number;
    type?: string;
    throughput?: number;
    autoIoScaling?: string;
    storageRedundancy?: string;
    storageSku?: string;
  };
  /** MySQL adds backupIntervalHours. */
  backup?: {
    backupRetentionDays?: number;
    geoRedundantBackup?: string;
    earliestRestoreDate?: string;
    backupIntervalHours?: number;
  };
  /** MySQL names the DNS zone privateDnsZoneResourceId. */
  network?: {
    publicNetworkAccess?: string;
    delegatedSubnetResourceId?: string;
    privateDnsZoneArmResourceId?: string;
    privateDnsZoneResourceId?: string;
  };
  highAvailability?: { mode?: string; state?: string; standbyAvailabilityZone?: string };
  replicationRole?: string;
  replicaCapacity?: number;
  sourceServerResourceId?: string;
  [property: string]: unknown;
}

export interface ArmServer {
  id: string;
  name: string;
  type: string;
  location: string;
  tags?: Tags;
  sku?: { name: string; tier: string };
  systemData?: SystemData;
  properties: ArmServerProperties;
  [property: string]: unknown;
}

export interface ArmFirewallRule {
  id: string;
  name: string;
  type: string;
  properties: { startIpAddress: string; endIpAddress: string };
}

export type LockLevel = 'CanNotDelete' | 'ReadOnly';

export interface ArmLock {
  id: string;
  name: string;
  type: string;
  properties: { level: LockLevel; notes?: string; owners?: { applicationId?: string }[] };
}

/** An Activity Log record (EventData) as `Microsoft.Insights/eventtypes/management/values` returns it. */
export interface ActivityLogEntry {
  subscriptionId: string;
  eventTimestamp: string;
  resourceId?: string;
  correlationId?: string;
  [property: string]: unknown;
}

/**
 * The seed of an emulator: ARM objects as GET returns them.
 * @example
 * { "servers": [{ "id": "/subscriptions/…/flexibleServers/pg", "name": "pg", "location": "eastus", "properties": { … } }],
 *   "firewallRules": { "/subscriptions/…/flexibleServers/pg": [{ "name": "office", "properties": { "startIpAddress": "1.2.3.4", "endIpAddress": "1.2.3.4" } }] },
 *   "locks": { "/subscriptions/…/flexibleServers/pg": [{ "name": "keep", "properties": { "level": "CanNotDelete" } }] },
 *   "activityLog": [] }
 */
export interface EmulatorSnapshot extends SqlSnapshot {
  /** The day the snapshot's dates are written for (YYYY-MM-DD); `npm start` moves them to today (shiftSnapshotDates). */
  asOf?: string;
  servers: ArmServer[];
  /** Rules by server id (any casing); `id` and `type` may be left out. */
  firewallRules?: Record<string, Partial<ArmFirewallRule>[]>;
  /** Locks by scope id (a server, a resource group or a subscription); `id` and `type` may be left out. */
  locks?: Record<string, Partial<ArmLock>[]>;
  activityLog?: ActivityLogEntry[];
  /** Servers backed by a real PostgreSQL engine, by server id (see dataPlane/index.ts); the others are control plane only. */
  dataPlanes?: Record<string, DataPlaneSpec>;
}
