/**
 * The emulator's own reading of ARM resource ids. It does not share the warden's parser (src/domain/ids.ts): the
 * emulator is what checks the warden, so it spells out Azure's id layout itself, from the resource providers' specs.
 */

/** The engines the emulator serves, named as the warden names them (the names are the only thing shared). */
export type EmulatedEngine = 'postgresql-flexible' | 'mysql-flexible' | 'sql-database';

interface ProviderLayout {
  readonly engine: EmulatedEngine;
  /** `Microsoft.DBforPostgreSQL` */
  readonly namespace: string;
  /** Resource types from the provider down to the governed resource: `['servers', 'databases']` for a SQL database. */
  readonly path: readonly string[];
}

/** Azure's id layout of each governed resource type. */
export const LAYOUTS: readonly ProviderLayout[] = [
  { engine: 'postgresql-flexible', namespace: 'Microsoft.DBforPostgreSQL', path: ['flexibleServers'] },
  { engine: 'mysql-flexible', namespace: 'Microsoft.DBforMySQL', path: ['flexibleServers'] },
  { engine: 'sql-database', namespace: 'Microsoft.Sql', path: ['servers', 'databases'] },
];

/** A governed resource's id, read: canonical id, lower-case key, names, and the child it named if any. */
export interface ResourceRef {
  readonly id: string;
  readonly key: string;
  readonly engine: EmulatedEngine;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  /** Parents of a resource that lives under another (a database's logical server), outermost first. */
  readonly parents?: readonly { readonly type: string; readonly name: string }[];
  /** Set when the id named a child (a firewall rule, a configuration). */
  readonly child?: { readonly type: string; readonly name: string };
}

/** `Microsoft.DBforMySQL/flexibleServers`, `Microsoft.Sql/servers/databases` */
export function resourceType(engine: EmulatedEngine): string {
  const layout = layoutOf(engine);
  return `${layout.namespace}/${layout.path.join('/')}`;
}

/** The id of a resource from its names, parents first. */
export function resourceId(
  engine: EmulatedEngine,
  subscriptionId: string,
  resourceGroup: string,
  ...names: string[]
): string {
  const layout = layoutOf(engine);
  if (names.length !== layout.path.length)
    throw new Error(`${resourceType(engine)} ids have ${layout.path.length} name(s), got ${names.length}`);
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${layout.namespace}/${layout.path.map((type, i) => `${type}/${names[i]}`).join('/')}`;
}

/** Reads an id of a governed resource or one of its children, in any casing; undefined for anything else. */
export function parseResourceId(text: string): ResourceRef | undefined {
  const segments = text.trim().replace(/^\/+/, '').split('/');
  if (
    segments.length < 6 ||
    !same(segments[0], 'subscriptions') ||
    !same(segments[2], 'resourceGroups') ||
    !same(segments[4], 'providers')
  )
    return undefined;
  const [subscription, resourceGroup, namespace] = [segments[1]!, segments[3]!, segments[5]!];
  for (const layout of LAYOUTS) {
    if (!same(namespace, layout.namespace)) continue;
    const names: string[] = [];
    let at = 6;
    for (const type of layout.path) {
      if (!same(segments[at], type) || !segments[at + 1]) break;
      names.push(segments[at + 1]!);
      at += 2;
    }
    if (names.length !== layout.path.length) continue;
    const subscriptionId = subscription.toLowerCase();
    const id = resourceId(layout.engine, subscriptionId, resourceGroup, ...names);
    const [childType, childName] = [segments[at], segments[at + 1]];
    return {
      id,
      key: id.toLowerCase(),
      engine: layout.engine,
      subscriptionId,
      resourceGroup,
      name: names.at(-1)!,
      ...(names.length > 1 ? { parents: names.slice(0, -1).map((name, i) => ({ type: layout.path[i]!, name })) } : {}),
      ...(childType ? { child: { type: childType, name: childName ?? '' } } : {}),
    };
  }
  return undefined;
}

function layoutOf(engine: EmulatedEngine): ProviderLayout {
  return LAYOUTS.find((l) => l.engine === engine)!;
}

function same(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b.toLowerCase();
}
