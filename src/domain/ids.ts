import { DEFAULT_ENGINE, ENGINE_SPECS, ENGINES, resourceTypeOf, type Engine, type EngineSpec } from './engines.js';

/** The parts of a governed resource's id (a flexible server of any engine), and the lower-case key that identifies it everywhere. */
export interface ServerRef {
  /** The id with canonical casing of the fixed segments, the names as given. */
  readonly id: string;
  /** The id in lower case: one identity across Event Grid, the Activity Log and ARM. */
  readonly key: string;
  readonly engine: Engine;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  /** The governed resource's own name (the last name of the path). */
  readonly name: string;
  /** The parent resources of engines whose resource lives under another (a database under a logical server), outermost first. */
  readonly parents?: readonly { readonly type: string; readonly name: string }[];
  /** Set when the id named a child of the server (a firewall rule, a database, a configuration). */
  readonly child?: { readonly type: string; readonly name: string };
}

/** The PostgreSQL flexible server resource type (the first engine). */
export const FLEXIBLE_SERVER_TYPE = resourceTypeOf('postgresql-flexible');

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

type IdSpec = Pick<EngineSpec, 'engine' | 'label' | 'providerNamespace' | 'resourcePath'>;

/** `/subscriptions/{s}/resourceGroups/{rg}/providers/{namespace}/{type}/{name}[/{type}/{name}…]`, then an optional child. */
function idPattern(spec: IdSpec): RegExp {
  const path = spec.resourcePath.map((segment) => `\\/${escape(segment)}\\/([^/]+)`).join('');
  return new RegExp(
    `^\\/?subscriptions\\/([^/]+)\\/resourcegroups\\/([^/]+)\\/providers\\/${escape(spec.providerNamespace)}${path}(?:\\/([^/]+)(?:\\/([^/]+))?)?(?:\\/.*)?$`,
    'i',
  );
}

const PATTERNS = new Map<IdSpec, RegExp>();

/**
 * Parses an id against one engine's resource path (exported for tests of engines whose resource has parents).
 * @example parseEngineId({ …, providerNamespace: 'Microsoft.Sql', resourcePath: ['servers', 'databases'] }, '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/l/databases/d')
 *   // { name: 'd', parents: [{ type: 'servers', name: 'l' }], … }
 */
export function parseEngineId(spec: IdSpec, resourceId: string): ServerRef | undefined {
  let pattern = PATTERNS.get(spec);
  if (!pattern) PATTERNS.set(spec, (pattern = idPattern(spec)));
  const match = pattern.exec(resourceId.trim());
  if (!match) return undefined;
  const depth = spec.resourcePath.length;
  const subscriptionId = match[1]!.toLowerCase();
  const resourceGroup = match[2]!;
  const names = match.slice(3, 3 + depth);
  const [childType, childName] = [match[3 + depth], match[4 + depth]];
  const id = idFromNames(spec, subscriptionId, resourceGroup, names);
  return {
    id,
    key: id.toLowerCase(),
    engine: spec.engine,
    subscriptionId,
    resourceGroup,
    name: names.at(-1)!,
    ...(depth > 1 ? { parents: names.slice(0, -1).map((name, i) => ({ type: spec.resourcePath[i]!, name })) } : {}),
    ...(childType ? { child: { type: childType, name: childName ?? '' } } : {}),
  };
}

/**
 * Parses a resource id of a governed server (any engine) or of one of its children, in any casing; undefined for anything else.
 * @example parseServerId('/SUBSCRIPTIONS/s/resourcegroups/rg/providers/Microsoft.DBforMySQL/flexibleServers/my/firewallRules/r')
 *   // { engine: 'mysql-flexible', name: 'my', child: { type: 'firewallRules', name: 'r' }, key: '/subscriptions/s/resourcegroups/rg/providers/microsoft.dbformysql/flexibleservers/my', ... }
 */
export function parseServerId(resourceId: string): ServerRef | undefined {
  for (const engine of ENGINES) {
    const ref = parseEngineId(ENGINE_SPECS[engine], resourceId);
    if (ref) return ref;
  }
  return undefined;
}

/**
 * The id of an engine's resource from its names (parents first).
 * @example resourceIdOf('mysql-flexible', 's', 'rg', ['my']) // '/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforMySQL/flexibleServers/my'
 */
export function resourceIdOf(
  engine: Engine,
  subscriptionId: string,
  resourceGroup: string,
  names: readonly string[],
): string {
  return idFromNames(ENGINE_SPECS[engine], subscriptionId, resourceGroup, names);
}

function idFromNames(spec: IdSpec, subscriptionId: string, resourceGroup: string, names: readonly string[]): string {
  if (names.length !== spec.resourcePath.length)
    throw new Error(`${spec.label} ids have ${spec.resourcePath.length} name(s), got ${names.length}`);
  const path = spec.resourcePath.map((segment, i) => `${segment}/${names[i]}`).join('/');
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${spec.providerNamespace}/${path}`;
}

/** The id of a flexible server (PostgreSQL unless another engine is named). */
export function serverId(
  subscriptionId: string,
  resourceGroup: string,
  name: string,
  engine: Engine = DEFAULT_ENGINE,
): string {
  return resourceIdOf(engine, subscriptionId, resourceGroup, [name]);
}

/** The engine of a server id in any casing; undefined when the id names no governed resource. */
export function engineOfId(resourceId: string): Engine | undefined {
  return parseServerId(resourceId)?.engine;
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
