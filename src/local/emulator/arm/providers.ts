import { MYSQL_API_VERSIONS, MYSQL_PUBLIC_ACCESS_WRITABLE_FROM, POSTGRES_API_VERSIONS } from './apiVersions.js';
import { LAYOUTS, resourceType, type EmulatedEngine } from '../ids.js';

/**
 * What differs between the flexible-server resource providers the emulator serves (`Microsoft.DBforPostgreSQL`,
 * `Microsoft.DBforMySQL`): one set of handlers (servers.ts, firewallRules.ts, nameAvailability.ts, restore.ts) takes
 * one of these, so a provider is data, not a copy of the routes.
 */
export interface FlexibleProvider {
  readonly engine: EmulatedEngine;
  /** `Microsoft.DBforMySQL` */
  readonly namespace: string;
  /** `Microsoft.DBforMySQL/flexibleServers` */
  readonly serverType: string;
  /** `Microsoft.DBforMySQL/flexibleServers/firewallRules` */
  readonly ruleType: string;
  /** The namespace as route patterns match it (lower case, dots escaped). */
  readonly pathNamespace: string;
  readonly apiVersions: readonly string[];
  /** The restore point's field in a PointInTimeRestore request (`pointInTimeUTC`, `restorePointInTime`). */
  readonly restorePointField: string;
  /** Create modes other than PointInTimeRestore that make a new server here. */
  readonly createModes: readonly string[];
  /** While a restore runs, GET (and every read) of the target answers 404 ResourceNotFound (MySQL). */
  readonly notFoundWhileRestoring: boolean;
  /** A restore request may set the network mode (a private source restored with public access, MySQL). */
  readonly restoreMayChangeNetwork: boolean;
  /** First api-version whose PATCH may change `network.publicNetworkAccess`; before it the property is read-only (ignored). */
  readonly publicAccessWritableFrom?: string;
  /** `type` of the result body of a finished start, stop or restart. */
  readonly actionResultType: string;
  /** The field of `network` that names a VNet server's private DNS zone. */
  readonly privateDnsZoneField: string;
}

function provider(
  engine: EmulatedEngine,
  specific: Omit<FlexibleProvider, 'engine' | 'namespace' | 'serverType' | 'ruleType' | 'pathNamespace'>,
): FlexibleProvider {
  const namespace = LAYOUTS.find((l) => l.engine === engine)!.namespace;
  return {
    engine,
    namespace,
    serverType: resourceType(engine),
    ruleType: `${resourceType(engine)}/firewallRules`,
    pathNamespace: namespace.toLowerCase().replace(/\./g, '\\.'),
    ...specific,
  };
}

export const POSTGRES_PROVIDER = provider('postgresql-flexible', {
  restorePointField: 'pointInTimeUTC',
  apiVersions: POSTGRES_API_VERSIONS,
  createModes: ['Default', 'Create'],
  notFoundWhileRestoring: false,
  restoreMayChangeNetwork: false,
  actionResultType: 'PostgreSQL',
  privateDnsZoneField: 'privateDnsZoneArmResourceId',
});

export const MYSQL_PROVIDER = provider('mysql-flexible', {
  restorePointField: 'restorePointInTime',
  apiVersions: MYSQL_API_VERSIONS,
  createModes: ['Default'],
  notFoundWhileRestoring: true,
  restoreMayChangeNetwork: true,
  publicAccessWritableFrom: MYSQL_PUBLIC_ACCESS_WRITABLE_FROM,
  actionResultType: 'MySQL',
  privateDnsZoneField: 'privateDnsZoneResourceId',
});

/** Every flexible-server provider the emulator serves. */
export const FLEXIBLE_PROVIDERS: readonly FlexibleProvider[] = [POSTGRES_PROVIDER, MYSQL_PROVIDER];

/** The provider of an engine's flexible servers; undefined for engines that are not flexible servers. */
export function flexibleProviderOf(engine: EmulatedEngine): FlexibleProvider | undefined {
  return FLEXIBLE_PROVIDERS.find((p) => p.engine === engine);
}
