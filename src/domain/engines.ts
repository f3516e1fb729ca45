/**
 * The engines the warden governs, as data. Intake, classification, plan, sweep and notices are written once;
 * what differs between engines (resource type, restore body field names, create modes, event operations,
 * price service, what the network policy may touch, the api-version of writes) is looked up here.
 * A new engine is a new entry in ENGINE_SPECS plus its adapter.
 */

/** The engines the warden knows. Rows and snapshots written before engines existed are PostgreSQL. */
export const ENGINES = ['postgresql-flexible', 'mysql-flexible', 'sql-database'] as const;
export type Engine = (typeof ENGINES)[number];

/** The engine of anything recorded before the engine dimension existed. */
export const DEFAULT_ENGINE: Engine = 'postgresql-flexible';

/**
 * What the network rules of the policy may do on this engine's clones:
 * `enforce` (delete open firewall rules, disable public access, quarantine) or `report-only`
 * (the network belongs to a parent resource shared with production, so violations are only reported).
 */
export type NetworkPolicyCapability = 'enforce' | 'report-only';

/** One network change the warden can make on a clone of this engine. */
export type NetworkAction = 'delete-firewall-rule' | 'disable-public-access' | 'stop';

export interface EngineSpec {
  readonly engine: Engine;
  /** How people call one governed resource: "PostgreSQL flexible server". */
  readonly label: string;
  /** Short name for tables and notices: "PostgreSQL". */
  readonly shortLabel: string;
  /** ARM provider namespace in canonical casing: "Microsoft.DBforMySQL". */
  readonly providerNamespace: string;
  /**
   * Resource type segments below the provider, parents first and the governed resource last:
   * `['flexibleServers']`; a database under a logical server would be `['servers', 'databases']`.
   */
  readonly resourcePath: readonly string[];
  /**
   * The parent resource that owns shared settings (a logical server's network), when the governed resource
   * has one; undefined for flexible servers, which own their network.
   */
  readonly parent?: { readonly label: string };
  /** Field names of a restore in the create request's `properties` (what the Activity Log start record shows). */
  readonly restoreBody: { readonly createMode: string; readonly source: string; readonly pointInTime: string };
  /** Every `createMode` the API accepts for this resource type. */
  readonly createModes: readonly string[];
  /** Create modes that make a new resource out of another one's backups: the clones the warden governs. */
  readonly cloneCreateModes: readonly string[];
  /** Create modes that copy another resource (clone modes plus replicas): lineage worth recording. */
  readonly lineageCreateModes: readonly string[];
  /** Backup retention the service allows, in days: the bounds of a point-in-time restore window. */
  readonly retentionDays: { readonly min: number; readonly max: number };
  /** RBAC/event operation names of the governed resource, canonical casing. */
  readonly operations: { readonly write: string; readonly delete: string };
  /** Retail Prices API `serviceName`. */
  readonly priceServiceName: string;
  readonly networkPolicy: NetworkPolicyCapability;
  /** The network changes `enforce` may make; empty when the network policy is report-only. */
  readonly networkActions: readonly NetworkAction[];
  /** api-version of the warden's writes to the resource (the PATCH of public network access). */
  readonly writeApiVersion: string;
  /** While a restore runs the target answers 404 to GET (MySQL), rather than a Provisioning server (PostgreSQL). */
  readonly notFoundWhileRestoring: boolean;
  /**
   * A restore copies the source's tags onto the new resource (flexible servers); false when it carries only the create
   * request's (a SQL database), so a governed restore does not stamp production's labels on the copy.
   */
  readonly restoreCopiesTags: boolean;
  /** Names of system resources that exist on every parent and are never candidates (the `master` database of a logical server). */
  readonly systemNames?: readonly string[];
}

function flexible(
  engine: Engine,
  shortLabel: string,
  providerNamespace: string,
  specific: Pick<
    EngineSpec,
    | 'restoreBody'
    | 'createModes'
    | 'cloneCreateModes'
    | 'lineageCreateModes'
    | 'retentionDays'
    | 'priceServiceName'
    | 'writeApiVersion'
    | 'notFoundWhileRestoring'
  >,
): EngineSpec {
  const type = `${providerNamespace}/flexibleServers`;
  return {
    engine,
    label: `${shortLabel} flexible server`,
    shortLabel,
    providerNamespace,
    resourcePath: ['flexibleServers'],
    operations: { write: `${type}/write`, delete: `${type}/delete` },
    networkPolicy: 'enforce',
    networkActions: ['delete-firewall-rule', 'disable-public-access', 'stop'],
    restoreCopiesTags: true,
    ...specific,
  };
}

/** The per-engine table. */
export const ENGINE_SPECS: { readonly [E in Engine]: EngineSpec } = {
  'postgresql-flexible': flexible('postgresql-flexible', 'PostgreSQL', 'Microsoft.DBforPostgreSQL', {
    restoreBody: { createMode: 'createMode', source: 'sourceServerResourceId', pointInTime: 'pointInTimeUTC' },
    createModes: ['Default', 'Create', 'Update', 'PointInTimeRestore', 'GeoRestore', 'Replica', 'ReviveDropped'],
    cloneCreateModes: ['PointInTimeRestore', 'GeoRestore', 'ReviveDropped'],
    lineageCreateModes: ['PointInTimeRestore', 'GeoRestore', 'ReviveDropped', 'Replica'],
    retentionDays: { min: 7, max: 35 },
    priceServiceName: 'Azure Database for PostgreSQL',
    writeApiVersion: '2025-08-01',
    notFoundWhileRestoring: false,
  }),
  'mysql-flexible': flexible('mysql-flexible', 'MySQL', 'Microsoft.DBforMySQL', {
    restoreBody: { createMode: 'createMode', source: 'sourceServerResourceId', pointInTime: 'restorePointInTime' },
    createModes: ['Default', 'PointInTimeRestore', 'Replica', 'GeoRestore'],
    cloneCreateModes: ['PointInTimeRestore', 'GeoRestore'],
    lineageCreateModes: ['PointInTimeRestore', 'GeoRestore', 'Replica'],
    retentionDays: { min: 1, max: 35 },
    priceServiceName: 'Azure Database for MySQL',
    // publicNetworkAccess became writable in 2023-12-30; 2024-12-30 is the newest stable version.
    writeApiVersion: '2024-12-30',
    notFoundWhileRestoring: true,
  }),
  // A restore is a new database on the same logical server; the logical server owns the network (public access,
  // firewall and virtual network rules), shared with production, so network findings are reported, never acted on.
  'sql-database': {
    engine: 'sql-database',
    label: 'SQL database',
    shortLabel: 'SQL Database',
    providerNamespace: 'Microsoft.Sql',
    resourcePath: ['servers', 'databases'],
    parent: { label: 'logical server' },
    restoreBody: { createMode: 'createMode', source: 'sourceDatabaseId', pointInTime: 'restorePointInTime' },
    createModes: [
      'Default',
      'Copy',
      'Secondary',
      'OnlineSecondary',
      'PointInTimeRestore',
      'Restore',
      'Recovery',
      'RestoreExternalBackup',
      'RestoreExternalBackupSecondary',
      'RestoreLongTermRetentionBackup',
    ],
    // Restore (of a dropped database), Recovery (geo-restore) and long-term-retention restores make a database out of backups.
    cloneCreateModes: ['PointInTimeRestore', 'Restore', 'Recovery', 'RestoreLongTermRetentionBackup'],
    lineageCreateModes: [
      'PointInTimeRestore',
      'Restore',
      'Recovery',
      'RestoreLongTermRetentionBackup',
      'Copy',
      'Secondary',
      'OnlineSecondary',
    ],
    retentionDays: { min: 1, max: 35 },
    operations: { write: 'Microsoft.Sql/servers/databases/write', delete: 'Microsoft.Sql/servers/databases/delete' },
    priceServiceName: 'SQL Database',
    networkPolicy: 'report-only',
    networkActions: [],
    // @azure/arm-sql 10.0.0 speaks 2022-08-01-preview for databases; the warden writes no database property (tags go through the Tags API).
    writeApiVersion: '2022-08-01-preview',
    notFoundWhileRestoring: false,
    restoreCopiesTags: false,
    systemNames: ['master'],
  },
};

/** "PostgreSQL flexible server, MySQL flexible server or SQL database": what the warden governs, in words, for messages. */
export const GOVERNED_LABELS = ENGINES.map((engine) => ENGINE_SPECS[engine].label)
  .join(', ')
  .replace(/, ([^,]+)$/, ' or $1');

/**
 * True for a resource every parent has and no one restores (the `master` database of a logical server): never a candidate.
 * @example isSystemResource('sql-database', 'master') // true
 */
export function isSystemResource(engine: Engine, name: string): boolean {
  return (ENGINE_SPECS[engine].systemNames ?? []).includes(name.trim().toLowerCase());
}

/** The ARM resource type of an engine's governed resource: "Microsoft.DBforMySQL/flexibleServers". */
export function resourceTypeOf(engine: Engine): string {
  const spec = ENGINE_SPECS[engine];
  return `${spec.providerNamespace}/${spec.resourcePath.join('/')}`;
}

/**
 * The ARM resource type of the parent that owns an engine's shared settings ("Microsoft.Sql/servers"), undefined for an
 * engine whose resources stand alone.
 */
export function parentResourceTypeOf(engine: Engine): string | undefined {
  const spec = ENGINE_SPECS[engine];
  return spec.parent ? `${spec.providerNamespace}/${spec.resourcePath.slice(0, -1).join('/')}` : undefined;
}

export function isEngine(value: unknown): value is Engine {
  return typeof value === 'string' && (ENGINES as readonly string[]).includes(value);
}

/**
 * Reads an engine name as users write it (`mysql-flexible`, also `mysql`, `postgresql`, `postgres`, `pg`).
 * @throws Error naming the accepted values.
 */
export function parseEngine(value: string): Engine {
  const v = value.trim().toLowerCase();
  if (isEngine(v)) return v;
  const alias: Record<string, Engine> = {
    postgresql: 'postgresql-flexible',
    postgres: 'postgresql-flexible',
    pg: 'postgresql-flexible',
    mysql: 'mysql-flexible',
    sql: 'sql-database',
    sqldb: 'sql-database',
    'azure-sql': 'sql-database',
  };
  const found = alias[v];
  if (found) return found;
  throw new Error(`unknown engine ${JSON.stringify(value)}: use one of ${ENGINES.join(', ')}`);
}

/** The engine whose operation a (case-insensitive) RBAC/event operation name is, e.g. "microsoft.dbformysql/flexibleservers/write". */
export function engineOfOperation(operationName: string): Engine | undefined {
  const op = operationName.trim().toLowerCase();
  return ENGINES.find((engine) => op.startsWith(`${resourceTypeOf(engine).toLowerCase()}/`));
}
