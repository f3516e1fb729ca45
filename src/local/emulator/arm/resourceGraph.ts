import { HttpError, isRecord, ok } from '../http.js';
import type { Route } from '../route.js';
import type { EmulatorClock } from '../clock.js';
import type { ServerRecord } from '../store.js';
import type { ArmServices } from './common.js';
import { assertSubscription } from './common.js';
import { serverView } from './serverShape.js';
import { databaseView, serverView as logicalServerView } from '../Sql/shapes.js';

export const RESOURCE_GRAPH_API_VERSIONS = ['2022-10-01', '2021-03-01'] as const;

/** Columns of the `resources` table the emulator can project (Resource Graph has no systemData column). */
const COLUMNS = [
  'id',
  'name',
  'type',
  'location',
  'tags',
  'sku',
  'properties',
  'subscriptionId',
  'resourceGroup',
  'tenantId',
  'kind',
] as const;
type Column = (typeof COLUMNS)[number];

/**
 * The subset of KQL the warden sends (and only that; anything else is a 400 naming what is not supported):
 *   resources
 *   | where type =~ 'microsoft.dbforpostgresql/flexibleservers'     (or: where type in~ ('<type>', '<type>'))
 *   [| project col, col, name = properties.a.b, ...]
 *   [| order by col [asc|desc], ...]
 * A projected property path the resource lacks is null, as Resource Graph answers it.
 */
interface Query {
  /** Lower-case resource types. */
  readonly types: readonly string[];
  readonly project?: readonly Projected[];
  readonly orderBy: ReadonlyArray<{ column: Column; descending: boolean }>;
}

/** One item of `project`: a column as it is, or a path below `properties` under a name of its own. */
type Projected = { readonly name: string } & ({ readonly column: Column } | { readonly path: readonly string[] });

function parseQuery(text: string): Query {
  const stages = text
    .split('|')
    .map((s) => s.trim())
    .filter(Boolean);
  const unsupported = (what: string) =>
    new HttpError(
      400,
      'BadRequest',
      `The emulator's Resource Graph serves only "resources | where type =~ '<type>' | project ... | order by ..."; not: ${what}`,
    );
  if (stages[0]?.toLowerCase() !== 'resources') throw unsupported(stages[0] ?? '(empty query)');
  let types: string[] | undefined;
  let project: Projected[] | undefined;
  const orderBy: Array<{ column: Column; descending: boolean }> = [];
  const column = (name: string): Column => {
    const found = COLUMNS.find((c) => c.toLowerCase() === name.trim().toLowerCase());
    if (!found) throw unsupported(`column ${name.trim()}`);
    return found;
  };
  for (const stage of stages.slice(1)) {
    const where = /^where\s+type\s*(=~|==)\s*'([^']+)'$/i.exec(stage);
    const whereIn = /^where\s+type\s+in~?\s*\(\s*('[^']+'(?:\s*,\s*'[^']+')*)\s*\)$/i.exec(stage);
    const projection = /^project\s+(.+)$/i.exec(stage);
    const order = /^(?:order|sort)\s+by\s+(.+)$/i.exec(stage);
    if (where) types = [where[2]!.toLowerCase()];
    else if (whereIn) types = whereIn[1]!.split(',').map((t) => t.trim().slice(1, -1).toLowerCase());
    else if (projection)
      project = projection[1]!.split(',').map((item): Projected => {
        const named = /^\s*(\w+)\s*=\s*properties((?:\.\w+)+)\s*$/i.exec(item);
        if (named) return { name: named[1]!, path: named[2]!.slice(1).split('.') };
        const c = column(item);
        return { name: c, column: c };
      });
    else if (order) {
      for (const part of order[1]!.split(',')) {
        const [name = '', direction = 'desc'] = part.trim().split(/\s+/);
        orderBy.push({ column: column(name), descending: direction.toLowerCase() !== 'asc' });
      }
    } else throw unsupported(stage);
  }
  if (!types) throw unsupported('a query without "where type =~ ..."');
  return { types, ...(project ? { project } : {}), orderBy };
}

/** The value of one projected item in a row: a column, or the value at a path below `properties` (null when absent). */
function projected(row: Record<Column, unknown>, item: Projected): unknown {
  if ('column' in item) return row[item.column];
  let value: unknown = row.properties;
  for (const segment of item.path) value = isRecord(value) ? value[segment] : undefined;
  return value ?? null;
}

const sortKey = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value ?? ''));

/** A resource as GET shows it, for a row: Resource Graph lower-cases type, location and resource group. */
interface Viewed {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly location: string;
  readonly kind?: string;
  readonly tags?: Record<string, string>;
  readonly sku?: unknown;
  readonly properties: unknown;
}

function rowOf(view: Viewed): Record<Column, unknown> {
  const [, subscriptionId = '', resourceGroup = ''] =
    /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\//i.exec(view.id) ?? [];
  return {
    id: view.id,
    name: view.name,
    type: view.type.toLowerCase(),
    location: view.location.toLowerCase().replace(/\s+/g, ''),
    tags: view.tags ?? {},
    sku: view.sku ?? null,
    properties: view.properties,
    subscriptionId: subscriptionId.toLowerCase(),
    resourceGroup: resourceGroup.toLowerCase(),
    tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    kind: view.kind ?? '',
  };
}

/**
 * A resource of the query's result, whose full row (the view GET shows) is built only when a page or a sort needs it:
 * the warden's order (subscription, then id) and its filters rest on the id, name and type alone.
 */
interface Candidate {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  row(): Record<Column, unknown>;
}

/** Columns read from the id, name and type, without building the view. */
const CHEAP: Partial<Record<Column, (c: Candidate) => string>> = {
  id: (c) => c.id,
  name: (c) => c.name,
  type: (c) => c.type.toLowerCase(),
  subscriptionId: (c) => (/^\/subscriptions\/([^/]+)/i.exec(c.id)?.[1] ?? '').toLowerCase(),
  resourceGroup: (c) => (/^\/subscriptions\/[^/]+\/resourcegroups\/([^/]+)\//i.exec(c.id)?.[1] ?? '').toLowerCase(),
};

function candidate(id: string, name: string, type: string, view: () => Viewed): Candidate {
  let row: Record<Column, unknown> | undefined;
  return { id, name, type, row: () => (row ??= rowOf(view())) };
}

/**
 * Every resource of the subscriptions whose type the query names: flexible servers, and SQL Database's logical servers
 * and databases (the `master` database included, as Resource Graph lists it).
 */
function resourcesOf(services: ArmServices, subscriptions: readonly string[], types: readonly string[]): Candidate[] {
  const wanted = (type: string) => types.includes(type.toLowerCase());
  const clock: EmulatorClock = services.clock;
  const flexible = subscriptions
    .flatMap((s) => services.store.listBySubscription(s))
    .filter((r: ServerRecord) => !r.hidden && wanted(r.server.type))
    .map((r) => candidate(r.server.id, r.server.name, r.server.type, () => serverView(r, clock)));
  const logical = subscriptions.flatMap((s) => services.sql?.listServers(s) ?? []);
  const sqlServers = logical
    .filter((r) => wanted(r.server.type))
    .map((r) => candidate(r.server.id, r.server.name, r.server.type, () => logicalServerView(r)));
  const databases = logical
    .flatMap((r) => [...r.databases.values()])
    .filter((d) => wanted(d.database.type))
    .map((d) => candidate(d.database.id, d.database.name, d.database.type, () => databaseView(d, clock)));
  return [...flexible, ...sqlServers, ...databases];
}

/** Results whose later pages a `$skipToken` may still ask for: the latest few queries' sorted resources. */
const KEPT_RESULTS = 8;

/** The matched resources in the query's order, kept under an id the query's `$skipToken`s carry. */
class ResultSnapshots {
  private readonly kept = new Map<number, Candidate[]>();
  private next = 1;

  keep(rows: Candidate[]): number {
    const id = this.next++;
    this.kept.set(id, rows);
    if (this.kept.size > KEPT_RESULTS) this.kept.delete(this.kept.keys().next().value!);
    return id;
  }

  get(id: number): Candidate[] | undefined {
    return this.kept.get(id);
  }
}

/** `{result}.{offset}` in base64url; a bare offset (tokens of earlier emulator versions) is taken as well. */
function parseSkipToken(token: unknown): { result?: number; offset: number } {
  if (typeof token !== 'string') return { offset: 0 };
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const [first, second] = text.split('.');
  const parsed = second === undefined ? { offset: Number(first) } : { result: Number(first), offset: Number(second) };
  if (
    !Number.isInteger(parsed.offset) ||
    parsed.offset < 0 ||
    (second !== undefined && !Number.isInteger(parsed.result))
  )
    throw new HttpError(400, 'BadRequest', 'options.$skipToken is not one this service issued.');
  return parsed;
}

function matching(services: ArmServices, subscriptions: readonly string[], query: Query): Candidate[] {
  const rows = resourcesOf(services, subscriptions, query.types);
  if (query.orderBy.length === 0) return rows;
  const keyOf = (c: Candidate, column: Column) => CHEAP[column]?.(c) ?? sortKey(c.row()[column]);
  const keys = new Map(rows.map((c) => [c, query.orderBy.map(({ column }) => keyOf(c, column))]));
  return rows.sort((a, b) => {
    const ka = keys.get(a)!;
    const kb = keys.get(b)!;
    for (const [i, { descending }] of query.orderBy.entries()) {
      if (ka[i] !== kb[i]) return (ka[i]! < kb[i]! ? -1 : 1) * (descending ? -1 : 1);
    }
    return 0;
  });
}

/**
 * `POST /providers/Microsoft.ResourceGraph/resources`: one query across the subscriptions named in the body, pages of
 * `options.$top` rows (at most 1,000) continued by `$skipToken`, rows as objects (`resultFormat` objectArray). The
 * first page settles which resources match and in what order; the later pages of that query page through the same
 * result (each row as the store shows it when its page is served), so a 10,000-row result is matched and sorted once.
 */
export function resourceGraphRoutes(services: ArmServices): Route[] {
  const snapshots = new ResultSnapshots();
  return [
    {
      kind: 'arm',
      apiVersions: RESOURCE_GRAPH_API_VERSIONS,
      operation: 'Resources_Query',
      method: 'POST',
      pattern: /^\/providers\/microsoft\.resourcegraph\/resources$/i,
      handle: (ctx) => {
        const body = ctx.body;
        if (!isRecord(body) || typeof body.query !== 'string')
          throw new HttpError(400, 'BadRequest', 'The request body needs a "query" string.');
        const subscriptions = Array.isArray(body.subscriptions)
          ? body.subscriptions.map((s) => assertSubscription(String(s)))
          : [...new Set([...services.store.subscriptions, ...(services.sql?.subscriptions ?? [])])];
        const options = isRecord(body.options) ? body.options : {};
        const top = options.$top === undefined ? 100 : Number(options.$top);
        if (!Number.isInteger(top) || top < 1 || top > 1000)
          throw new HttpError(
            400,
            'BadRequest',
            `options.$top must be an integer from 1 to 1000; got ${JSON.stringify(options.$top)}.`,
          );
        const skip = parseSkipToken(options.$skipToken);
        const query = parseQuery(body.query);
        // A token of a result no longer kept: matched again (as a bare offset would be).
        let result = skip.result === undefined ? undefined : snapshots.get(skip.result);
        const id = result === undefined ? undefined : skip.result;
        result ??= matching(services, subscriptions, query);
        const page = result
          .slice(skip.offset, skip.offset + top)
          .map((c) => c.row())
          .map((row) =>
            query.project ? Object.fromEntries(query.project.map((p) => [p.name, projected(row, p)])) : row,
          );
        const more = skip.offset + top < result.length;
        const token = more
          ? Buffer.from(`${id ?? snapshots.keep(result)}.${skip.offset + top}`, 'utf8').toString('base64url')
          : undefined;
        return ok({
          totalRecords: result.length,
          count: page.length,
          resultTruncated: 'false',
          facets: [],
          data: page,
          ...(token ? { $skipToken: token } : {}),
        });
      },
    },
  ];
}
