/** The parts of a PostgreSQL flexible server's resource id, and the lower-case key that identifies it everywhere. */
export interface ServerRef {
  /** The id with canonical casing of the fixed segments, the names as given. */
  readonly id: string;
  /** The id in lower case: one identity across Event Grid, the Activity Log and ARM. */
  readonly key: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  /** Set when the id named a child of the server (a firewall rule, a database, a configuration). */
  readonly child?: { readonly type: string; readonly name: string };
}

export const FLEXIBLE_SERVER_TYPE = 'Microsoft.DBforPostgreSQL/flexibleServers';

const SERVER_ID =
  /^\/?subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.dbforpostgresql\/flexibleservers\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?(?:\/.*)?$/i;

/**
 * Parses a resource id of a flexible server or of one of its children, in any casing; undefined for anything else.
 * @example parseServerId('/SUBSCRIPTIONS/s/resourcegroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg/firewallRules/r')
 *   // { name: 'pg', child: { type: 'firewallRules', name: 'r' }, key: '/subscriptions/s/resourcegroups/rg/providers/microsoft.dbforpostgresql/flexibleservers/pg', ... }
 */
export function parseServerId(resourceId: string): ServerRef | undefined {
  const match = SERVER_ID.exec(resourceId.trim());
  if (!match) return undefined;
  const [, subscriptionId, resourceGroup, name, childType, childName] = match as unknown as [string, string, string, string, string?, string?];
  const id = serverId(subscriptionId.toLowerCase(), resourceGroup, name);
  return {
    id,
    key: id.toLowerCase(),
    subscriptionId: subscriptionId.toLowerCase(),
    resourceGroup,
    name,
    ...(childType ? { child: { type: childType, name: childName ?? '' } } : {}),
  };
}

export function serverId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${FLEXIBLE_SERVER_TYPE}/${name}`;
}

/** The lower-case identity of a server id in any casing (ids of other resources are lower-cased as they are). */
export function serverKey(resourceId: string): string {
  return parseServerId(resourceId)?.key ?? resourceId.trim().toLowerCase();
}

export function sameServer(a: string, b: string): boolean {
  return serverKey(a) === serverKey(b);
}

/**
 * The ARM name of a region from either form Azure uses: GET answers the display name ("Canada Central"), ids, polling
 * URLs and the Retail Prices API use the name ("canadacentral").
 * @example armRegionName('Canada Central') // 'canadacentral'
 */
export function armRegionName(location: string): string {
  return location.trim().toLowerCase().replace(/\s+/g, '');
}
