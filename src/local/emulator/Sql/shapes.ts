import { randomUUID } from 'node:crypto';
import type { EmulatorClock } from '../clock.js';
import { SQL_DURATIONS_MS } from '../durations.js';
import { regionDisplayName, regionName } from '../arm/regions.js';
import type { DatabaseOperation, DatabaseRecord, LogicalServerRecord } from './store.js';
import type { ArmDatabase, ArmSqlServer } from './types.js';

export const SQL_SERVER_TYPE = 'Microsoft.Sql/servers';
export const DATABASE_TYPE = 'Microsoft.Sql/servers/databases';
const DAY_MS = 86_400_000;
const GIB = 2 ** 30;

/** Service objectives of the DTU model: sku name and tier, DTUs, and the default maximum size. */
const DTU_OBJECTIVES: Record<string, { name: string; tier: string; capacity: number; maxSizeGb: number }> = {
  Basic: { name: 'Basic', tier: 'Basic', capacity: 5, maxSizeGb: 2 },
  S0: { name: 'Standard', tier: 'Standard', capacity: 10, maxSizeGb: 250 },
  S1: { name: 'Standard', tier: 'Standard', capacity: 20, maxSizeGb: 250 },
  S2: { name: 'Standard', tier: 'Standard', capacity: 50, maxSizeGb: 250 },
  S3: { name: 'Standard', tier: 'Standard', capacity: 100, maxSizeGb: 250 },
  P1: { name: 'Premium', tier: 'Premium', capacity: 125, maxSizeGb: 500 },
};
const VCORE_TIERS: Record<string, string> = { GP: 'GeneralPurpose', BC: 'BusinessCritical', HS: 'Hyperscale' };

/**
 * The sku and service objective of a database from what a snapshot or request names: a service objective (`S0`,
 * `GP_Gen5_2`) or a sku (`{ name: 'GP_Gen5', capacity: 2 }`, `{ name: 'Standard', capacity: 10 }`).
 */
export function skuOf(
  input: { name?: string; tier?: string; capacity?: number; family?: string } | undefined,
  objective?: string,
): { sku: NonNullable<ArmDatabase['sku']>; objective: string; maxSizeGb: number } {
  const wanted = objective ?? (input?.name && DTU_OBJECTIVES[input.name] ? input.name : undefined);
  if (wanted && DTU_OBJECTIVES[wanted]) {
    const o = DTU_OBJECTIVES[wanted];
    return { sku: { name: o.name, tier: o.tier, capacity: o.capacity }, objective: wanted, maxSizeGb: o.maxSizeGb };
  }
  const vcore = /^(GP|BC|HS)_(Gen5|Gen4|DC|FSv2|M)(?:_(\d+))?$/i.exec(wanted ?? input?.name ?? '');
  if (vcore) {
    const capacity = Number(vcore[3] ?? input?.capacity ?? 2);
    const prefix = vcore[1]!.toUpperCase();
    return {
      sku: { name: `${prefix}_${vcore[2]}`, tier: VCORE_TIERS[prefix]!, family: vcore[2]!, capacity },
      objective: `${prefix}_${vcore[2]}_${capacity}`,
      maxSizeGb: 32,
    };
  }
  const dtu = Object.entries(DTU_OBJECTIVES).find(
    ([, o]) => o.name === input?.name && o.capacity === (input?.capacity ?? o.capacity),
  );
  if (dtu)
    return {
      sku: { name: dtu[1].name, tier: dtu[1].tier, capacity: dtu[1].capacity },
      objective: dtu[0],
      maxSizeGb: dtu[1].maxSizeGb,
    };
  return {
    sku: { name: 'GP_Gen5', tier: 'GeneralPurpose', family: 'Gen5', capacity: 2 },
    objective: 'GP_Gen5_2',
    maxSizeGb: 32,
  };
}

/** Fills a logical server with the fields GET returns, keeping what it has. */
export function completeLogicalServer(input: ArmSqlServer): ArmSqlServer {
  const p = input.properties ?? {};
  return {
    ...input,
    type: SQL_SERVER_TYPE,
    kind: input.kind ?? 'v12.0',
    location: regionName(input.location ?? 'westeurope'),
    properties: {
      administratorLogin: 'sqladmin',
      version: '12.0',
      state: 'Ready',
      publicNetworkAccess: 'Enabled',
      minimalTlsVersion: '1.2',
      restrictOutboundNetworkAccess: 'Disabled',
      ...p,
      fullyQualifiedDomainName: p.fullyQualifiedDomainName ?? `${input.name}.database.windows.net`,
    },
  };
}

/** Fills a database with the fields GET returns (the shape of Microsoft's CreateDatabasePITRMode example), keeping what it has. */
export function completeDatabase(input: ArmDatabase, server: ArmSqlServer, now: Date): ArmDatabase {
  const p = input.properties ?? {};
  const { sku, objective, maxSizeGb } = skuOf(
    input.sku,
    typeof p.currentServiceObjectiveName === 'string' ? p.currentServiceObjectiveName : undefined,
  );
  const system = input.name.toLowerCase() === 'master';
  const {
    earliestRestoreDate: _earliest,
    createMode: _mode,
    sourceDatabaseId: _source,
    restorePointInTime: _point,
    ...rest
  } = p;
  return {
    ...input,
    id: `${server.id}/databases/${input.name}`,
    type: DATABASE_TYPE,
    kind: system ? 'v12.0,system' : 'v12.0,user',
    // GET answers the display name without spaces ("SoutheastAsia" in Microsoft's example).
    location: regionDisplayName(server.location).replace(/\s+/g, ''),
    ...(system ? { managedBy: server.id } : {}),
    sku: system ? { name: 'System', tier: 'System', capacity: 0 } : sku,
    properties: {
      collation: 'SQL_Latin1_General_CP1_CI_AS',
      maxSizeBytes: (system ? 32 : maxSizeGb) * GIB,
      status: 'Online',
      databaseId: randomUUID(),
      creationDate: now.toISOString(),
      currentServiceObjectiveName: system ? 'System0' : objective,
      requestedServiceObjectiveName: system ? 'System0' : objective,
      defaultSecondaryLocation: regionDisplayName(server.location).replace(/\s+/g, ''),
      catalogCollation: 'SQL_Latin1_General_CP1_CI_AS',
      isInfraEncryptionEnabled: false,
      zoneRedundant: false,
      readScale: 'Disabled',
      currentSku: system ? { name: 'System', tier: 'System', capacity: 0 } : sku,
      currentBackupStorageRedundancy: 'Geo',
      requestedBackupStorageRedundancy: 'Geo',
      isLedgerOn: false,
      ...rest,
    },
  };
}

/** The master database every logical server has (listed by `databases.listByServer`, never restored). */
export function masterDatabase(server: ArmSqlServer, now: Date): ArmDatabase {
  return completeDatabase(
    {
      id: `${server.id}/databases/master`,
      name: 'master',
      type: DATABASE_TYPE,
      location: server.location,
      properties: {},
    },
    server,
    now,
  );
}

/** Retention of point-in-time backups in days (Azure's default for a new database). */
const RETENTION_DAYS = 7;

/** The earliest restore point: the first backup (creation + its delay) or the start of the retention window, whichever is later. */
export function earliestRestoreDate(database: ArmDatabase, now: Date): Date {
  const windowStart = now.getTime() - RETENTION_DAYS * DAY_MS;
  const created = Date.parse(database.properties.creationDate ?? '');
  return new Date(
    Number.isNaN(created) ? windowStart : Math.max(created + SQL_DURATIONS_MS.sqlFirstBackup, windowStart),
  );
}

/** The database as GET returns it now: `earliestRestoreDate` (moving with the clock) once its first backup exists. */
export function databaseView(record: DatabaseRecord, clock: EmulatorClock): ArmDatabase {
  const database = record.database;
  const backedUp =
    record.onlineAt !== undefined &&
    clock.scheduleElapsedMs(record.onlineAt) >= SQL_DURATIONS_MS.sqlFirstBackup &&
    database.kind !== 'v12.0,system';
  return {
    ...database,
    properties: {
      ...database.properties,
      ...(backedUp
        ? {
            earliestRestoreDate: earliestRestoreDate(database, clock.now())
              .toISOString()
              .replace(/\.\d{3}Z$/, 'Z'),
          }
        : {}),
    },
  };
}

/** One entry of `GET …/databases/{db}/operations`: the operation with its progress on the emulator clock. */
export function operationView(
  record: DatabaseRecord,
  operation: DatabaseOperation,
  clock: EmulatorClock,
): Record<string, unknown> {
  const elapsed = clock.elapsedMs(operation.started);
  const percentComplete =
    operation.state === 'Succeeded'
      ? 100
      : Math.min(99, Math.floor((Math.min(elapsed, operation.durationMs) / operation.durationMs) * 100));
  return {
    id: `${record.database.id}/operations/${operation.id}`,
    name: operation.id,
    type: 'Microsoft.Sql/servers/databases/operations',
    properties: {
      databaseName: record.database.name,
      operation: operation.operation,
      operationFriendlyName: operation.friendlyName,
      percentComplete: Number.isFinite(percentComplete) ? percentComplete : 99,
      serverName: record.server.server.name,
      startTime: operation.startTime,
      state: operation.state,
      isUserError: false,
      errorCode: 0,
      errorSeverity: 0,
      isCancellable: operation.state === 'InProgress',
      description: '',
    },
  };
}

/** The logical server as GET returns it. */
export function serverView(record: LogicalServerRecord): ArmSqlServer {
  return record.server;
}
