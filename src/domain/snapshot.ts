/** The snapshot file `pitr-warden plan` reads (the emulator's seed format), parsed into the plan's input. */
import { z } from 'zod';
import { restoreEvidenceFrom } from './activityLog.js';
import { DEFAULT_ENGINE, ENGINES, GOVERNED_LABELS, isSystemResource, resourceTypeOf } from './engines.js';
import { armRegionName, parseServerId, serverKey, type ServerRef } from './ids.js';
import type { FirewallRule, InventoryRecord, ManagementLock, RestoreEvidence, Server } from './model.js';
import type { NoticeSentInput } from './plan.js';
import { RULE_TYPES } from './policy.js';
import { errorMessage } from '../errorMessage.js';

/** Thrown when a snapshot cannot be read; `problems` names each bad entry and field. */
export class SnapshotError extends Error {
  override name = 'SnapshotError';
  constructor(
    readonly problems: readonly string[],
    source = 'snapshot',
  ) {
    super(
      `Invalid ${source} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
}

/**
 * A snapshot as the plan takes it: live servers with their firewall rules and locks, restore evidence from
 * the Activity Log, and optionally the inventory and notice history.
 */
export interface Snapshot {
  readonly servers: Server[];
  readonly restoreEvidence: RestoreEvidence[];
  readonly inventory: InventoryRecord[];
  readonly noticesSent: NoticeSentInput[];
}

const text = z.string().trim().min(1, 'must not be empty');
const isoTime = z.union([z.string(), z.date()]).transform((v, ctx) => {
  const ms = v instanceof Date ? v.getTime() : Date.parse(v);
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} is not a date-time` });
    return z.NEVER;
  }
  return new Date(ms).toISOString();
});

/**
 * Fields of a server, read from `properties` (REST) or from the object itself (the SDK flattens them). The Resource
 * Graph listing projects exactly these (PROPERTY_COLUMNS, src/adapters/azure/arm/resourceGraph.ts): a field read here
 * must be added there too.
 */
const serverFields = z.object({
  administratorLogin: z.string().optional(),
  version: z.string().optional(),
  state: z.string().optional(),
  storage: z.object({ storageSizeGB: z.number().optional() }).loose().optional(),
  network: z
    .object({ publicNetworkAccess: z.string().optional(), delegatedSubnetResourceId: z.string().optional() })
    .loose()
    .optional(),
  sourceServerResourceId: z.string().optional(),
  backup: z.object({ earliestRestoreDate: isoTime.optional() }).loose().optional(),
  // A SQL database: `status` (Online, Restoring, Paused…), `creationDate`, `maxSizeBytes`, the service objective (S0,
  // GP_Gen5_2) and `earliestRestoreDate` at the top of its properties.
  status: z.string().optional(),
  creationDate: isoTime.optional(),
  maxSizeBytes: z.number().optional(),
  currentServiceObjectiveName: z.string().optional(),
  earliestRestoreDate: isoTime.optional(),
});

type ServerFields = z.output<typeof serverFields>;

const armServer = z
  .object({
    id: text.refine(
      (id) => {
        const ref = parseServerId(id);
        return ref !== undefined && !ref.child;
      },
      {
        error: (issue) => `${JSON.stringify(issue.input)} is not the id of a ${GOVERNED_LABELS}`,
      },
    ),
    name: z.string().optional(),
    location: text,
    tags: z.record(z.string(), z.string({ error: 'tag values must be strings' })).nullish(),
    sku: z
      .object({ name: z.string().optional(), tier: z.string().optional(), capacity: z.number().optional() })
      .loose()
      .optional(),
    // Azure returns createdAt only; any other systemData field is ignored.
    systemData: z.object({ createdAt: isoTime.optional() }).loose().optional(),
    properties: serverFields.loose().optional(),
    ...serverFields.shape,
  })
  .loose();

const armFirewallRule = z
  .object({
    name: text,
    properties: z.object({ startIpAddress: text, endIpAddress: text }).loose().optional(),
    startIpAddress: text.optional(),
    endIpAddress: text.optional(),
  })
  .loose()
  .refine(
    (r) =>
      (r.properties?.startIpAddress ?? r.startIpAddress) !== undefined &&
      (r.properties?.endIpAddress ?? r.endIpAddress) !== undefined,
    {
      message: 'properties.startIpAddress and properties.endIpAddress are required',
    },
  );

const armLock = z
  .object({
    name: text,
    properties: z.object({ level: z.string(), notes: z.string().optional() }).loose().optional(),
    level: z.string().optional(),
    notes: z.string().optional(),
  })
  .loose();

/**
 * Converts a flexible server as ARM GET returns it (REST JSON, or the SDK's flattened object) into a `Server`.
 * Firewall rules and locks are not part of the server object; pass them when they were read.
 * @throws SnapshotError naming the field when the object is not a flexible server.
 * @example serverFromArm(getResponse.body) // { key: '/subscriptions/…/flexibleservers/exampleserver', version: '17', storageSizeGb: 128, … }
 */
export function serverFromArm(
  obj: unknown,
  extras: { firewallRules?: readonly FirewallRule[]; locks?: readonly ManagementLock[] } = {},
  where = 'server',
): Server {
  // A well-formed server (every listing and GET but a broken one) is read directly; the schema names what is wrong.
  const direct = readWellFormed(obj);
  const s = direct?.server ?? armServerOf(obj, where);
  // A field of `properties` (REST), else of the object itself (the SDK flattens them): what `{ ...s, ...properties }`
  // would hold, without copying either.
  const props: Partial<ServerFields> = s.properties ?? {};
  const p = <K extends keyof ServerFields>(key: K): ServerFields[K] | undefined => (key in props ? props[key] : s[key]);
  const ref = direct?.ref ?? parseServerId(s.id)!;
  const access = p('network')?.publicNetworkAccess;
  const maxSizeBytes = p('maxSizeBytes');
  const server: Server = {
    id: s.id.trim(),
    key: ref.key,
    engine: ref.engine,
    subscriptionId: ref.subscriptionId,
    resourceGroup: ref.resourceGroup,
    name: s.name ?? ref.name,
    // GET answers the display name ("Canada Central"); ids, prices and restores use the ARM name ("canadacentral").
    location: armRegionName(s.location),
    tags: { ...(s.tags ?? {}) },
    ...defined({
      // A SQL database's service objective (S0, GP_Gen5_2) names its size; its sku.name (Standard, GP_Gen5) does not.
      skuName: p('currentServiceObjectiveName') ?? s.sku?.name,
      skuTier: s.sku?.tier,
      version: p('version'),
      administratorLogin: p('administratorLogin'),
      storageSizeGb:
        p('storage')?.storageSizeGB ?? (maxSizeBytes === undefined ? undefined : Math.round(maxSizeBytes / 2 ** 30)),
      state: p('state') ?? p('status'),
      createdAt: s.systemData?.createdAt ?? p('creationDate'),
      publicNetworkAccess: access === 'Enabled' || access === 'Disabled' ? access : undefined,
      delegatedSubnetId: p('network')?.delegatedSubnetResourceId,
      sourceServerId: p('sourceServerResourceId'),
      earliestRestoreDate: p('backup')?.earliestRestoreDate ?? p('earliestRestoreDate'),
    }),
    ...(extras.firewallRules ? { firewallRules: [...extras.firewallRules] } : {}),
    ...(extras.locks ? { locks: [...extras.locks] } : {}),
  };
  return server;
}

/** What `serverFromArm` reads of a server, as the schema gives it (ids and locations trimmed, times in ISO form). */
export type ArmServer = Pick<
  z.output<typeof armServer>,
  'id' | 'name' | 'location' | 'tags' | 'sku' | 'systemData' | 'properties' | keyof ServerFields
>;

/**
 * The schema's reading of a server (exported for the test that the direct reading agrees with it).
 * @throws SnapshotError naming each field that is wrong.
 */
export function armServerOf(obj: unknown, where = 'server'): ArmServer {
  const result = armServer.safeParse(obj);
  if (!result.success)
    throw new SnapshotError(result.error.issues.map((i) => `${where}${pathText(i.path)}: ${say(i.message)}`));
  return result.data;
}

/** A field that is not what the schema asks: the direct reading gives up and the schema reads the server. */
const WRONG = Symbol('wrong');
type Reader = (value: unknown) => unknown;

const optionalString: Reader = (v) => (v === undefined || typeof v === 'string' ? v : WRONG);
const optionalNumber: Reader = (v) => (v === undefined || (typeof v === 'number' && Number.isFinite(v)) ? v : WRONG);
const optionalTime: Reader = (v) => {
  if (v === undefined) return undefined;
  const ms = typeof v === 'string' ? Date.parse(v) : v instanceof Date ? v.getTime() : Number.NaN;
  return Number.isNaN(ms) ? WRONG : new Date(ms).toISOString();
};
const optionalObject =
  (fields: Readonly<Record<string, Reader>>): Reader =>
  (v) =>
    v === undefined ? undefined : isObject(v) ? readFields(v, fields) : WRONG;

/** The named fields present in `value` (present as undefined too, as the schema keeps them), each read; WRONG for any wrong. */
function readFields(value: Record<string, unknown>, fields: Readonly<Record<string, Reader>>): unknown {
  const out: Record<string, unknown> = {};
  for (const key in fields) {
    if (!(key in value)) continue;
    const read = fields[key]!(value[key]);
    if (read === WRONG) return WRONG;
    out[key] = read;
  }
  return out;
}

/** serverFields, field by field. */
const SERVER_FIELDS: Readonly<Record<keyof ServerFields, Reader>> = {
  administratorLogin: optionalString,
  version: optionalString,
  state: optionalString,
  storage: optionalObject({ storageSizeGB: optionalNumber }),
  network: optionalObject({ publicNetworkAccess: optionalString, delegatedSubnetResourceId: optionalString }),
  sourceServerResourceId: optionalString,
  backup: optionalObject({ earliestRestoreDate: optionalTime }),
  status: optionalString,
  creationDate: optionalTime,
  maxSizeBytes: optionalNumber,
  currentServiceObjectiveName: optionalString,
  earliestRestoreDate: optionalTime,
};

/** armServer, field by field, but `id`, `location` and `tags`, which `wellFormedServer` reads itself. */
const ARM_SERVER_FIELDS: Readonly<Record<string, Reader>> = {
  name: optionalString,
  sku: optionalObject({ name: optionalString, tier: optionalString, capacity: optionalNumber }),
  systemData: optionalObject({ createdAt: optionalTime }),
  properties: optionalObject(SERVER_FIELDS),
  ...SERVER_FIELDS,
};

/**
 * What the schema reads of a server whose every field is well formed, without the schema's cost (a listing of 10,000
 * servers, a GET before each deletion); undefined when any field is not, and the schema then names what is wrong.
 * @example wellFormedServer(getResponse.body)?.properties?.version // '17'
 */
export function wellFormedServer(obj: unknown): ArmServer | undefined {
  return readWellFormed(obj)?.server;
}

/** `wellFormedServer`, with the parts of the id it parsed to check it. */
function readWellFormed(obj: unknown): { server: ArmServer; ref: ServerRef } | undefined {
  if (!isObject(obj) || typeof obj.id !== 'string' || typeof obj.location !== 'string') return undefined;
  const id = obj.id.trim();
  const location = obj.location.trim();
  if (id === '' || location === '') return undefined;
  const ref = parseServerId(id);
  if (!ref || ref.child) return undefined;
  const tags = obj.tags;
  if (tags !== undefined && tags !== null) {
    if (!isObject(tags)) return undefined;
    for (const key in tags) if (typeof tags[key] !== 'string') return undefined;
  }
  const rest = readFields(obj, ARM_SERVER_FIELDS);
  if (rest === WRONG) return undefined;
  const server = {
    ...(rest as Omit<ArmServer, 'id' | 'location' | 'tags'>),
    id,
    location,
    ...('tags' in obj ? { tags: tags as ArmServer['tags'] } : {}),
  };
  return { server, ref };
}

/** A firewall rule as ARM returns it (`properties.startIpAddress`), or flattened as the SDK does. */
export function firewallRuleFromArm(obj: unknown, where = 'firewallRule'): FirewallRule {
  const result = armFirewallRule.safeParse(obj);
  if (!result.success)
    throw new SnapshotError(result.error.issues.map((i) => `${where}${pathText(i.path)}: ${say(i.message)}`));
  const r = result.data;
  return {
    name: r.name,
    startIpAddress: (r.properties?.startIpAddress ?? r.startIpAddress)!,
    endIpAddress: (r.properties?.endIpAddress ?? r.endIpAddress)!,
  };
}

/** A management lock; undefined for a level that blocks nothing (NotSpecified). */
export function lockFromArm(obj: unknown, where = 'lock'): ManagementLock | undefined {
  const result = armLock.safeParse(obj);
  if (!result.success)
    throw new SnapshotError(result.error.issues.map((i) => `${where}${pathText(i.path)}: ${say(i.message)}`));
  const level = result.data.properties?.level ?? result.data.level;
  const notes = result.data.properties?.notes ?? result.data.notes;
  if (level !== 'CanNotDelete' && level !== 'ReadOnly') return undefined;
  return { name: result.data.name, level, ...(notes !== undefined ? { notes } : {}) };
}

const noticeStage = z.enum(['new-clone', 'reminder', 'final-notice', 'deleted', 'noncompliant']);

const noticeSent = z
  .object({ server: text, stage: noticeStage, sentAt: isoTime, leadDays: z.number().int().positive().optional() })
  .loose();

const inventoryNotice = z
  .object({
    stage: noticeStage,
    sentAt: isoTime,
    leadDays: z.number().int().positive().optional(),
    to: z.string().default(''),
  })
  .loose();

const inventoryRecord = z
  .object({
    key: z.string().optional(),
    id: text,
    engine: z.enum(ENGINES).optional(),
    subscriptionId: z.string().optional(),
    resourceGroup: z.string().optional(),
    name: z.string().optional(),
    location: z.string().default(''),
    classification: z.enum(['clone', 'probable-clone', 'not-a-clone']),
    classificationEvidence: z.array(z.string()).default([]),
    proof: z
      .object({
        level: z.enum(['proven', 'claimed', 'suspected', 'none']),
        basis: z.enum(['activity-log', 'governed-restore', 'operator']).optional(),
        evidence: z.array(z.string()).default([]),
        contradictions: z.array(z.string()).default([]),
        provenAt: z.string().optional(),
      })
      .optional(),
    decisions: z
      .array(
        z.object({
          kind: z.enum(['governed-restore', 'confirmed-clone', 'dismissed', 'promoted']),
          by: z.string(),
          at: isoTime,
          reason: z.string(),
          serverCreatedAt: z.string().optional(),
          sourceServerId: z.string().optional(),
          restorePointUtc: z.string().optional(),
        }),
      )
      .optional(),
    lineage: z
      .object({
        sourceServerId: z.string().optional(),
        restorePointUtc: z.string().optional(),
        restoredBy: z.string().optional(),
        correlationId: z.string().optional(),
      })
      .loose()
      .default({}),
    owner: z.string().optional(),
    ownerSource: z.enum(['tag-at-restore', 'claims', 'fallback']).optional(),
    expiresOn: z.string().optional(),
    expiresOnTag: z.string().optional(),
    violations: z
      .array(
        z.object({
          rule: z.enum([...RULE_TYPES, 'tag-limit']),
          subject: z
            .object({
              kind: z.enum(['tag', 'firewall-rule', 'public-network-access', 'subnet', 'tag-count']),
              name: z.string().optional(),
            })
            .optional(),
          detail: z.string(),
        }),
      )
      .default([]),
    compliant: z.boolean().optional(),
    noticesSent: z.array(inventoryNotice).default([]),
    state: z
      .enum(['detected', 'governed', 'quarantined', 'held', 'deleting', 'deleted', 'listed', 'promoted'])
      .default('detected'),
    tags: z.record(z.string(), z.string()).default({}),
    firstSeenAt: z.string().default(''),
    observedAt: z.string().default(''),
    updatedAt: z.string().default(''),
    deletedAt: z.string().optional(),
    deletedBy: z.string().optional(),
    deleteReason: z.string().optional(),
  })
  .loose();

const snapshotShape = z
  .object({
    servers: z.array(z.unknown(), { error: 'must be an array of ARM server objects' }),
    firewallRules: z
      .record(z.string(), z.array(z.unknown(), { error: 'must be an array of ARM firewall rule objects' }))
      .default({}),
    locks: z.record(z.string(), z.array(z.unknown(), { error: 'must be an array of ARM lock objects' })).default({}),
    activityLog: z.array(z.unknown()).default([]),
    inventory: z.array(z.unknown()).default([]),
    noticesSent: z.array(z.unknown()).default([]),
    // SQL Database in the emulator's seed form: logical servers, their firewall rules (by server id) and databases.
    sqlServers: z.array(z.unknown(), { error: 'must be an array of ARM logical server objects' }).default([]),
    sqlFirewallRules: z
      .record(z.string(), z.array(z.unknown(), { error: 'must be an array of ARM firewall rule objects' }))
      .default({}),
    sqlDatabases: z.array(z.unknown(), { error: 'must be an array of ARM database objects' }).default([]),
  })
  .loose();

const logicalServer = z
  .object({
    id: text.regex(
      /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.sql\/servers\/[^/]+$/i,
      'is not the id of a logical server (…/providers/Microsoft.Sql/servers/{name})',
    ),
    properties: z
      .object({
        publicNetworkAccess: z.string().optional(),
        administratorLogin: z.string().optional(),
        version: z.string().optional(),
      })
      .loose()
      .default({}),
  })
  .loose();

/**
 * SQL databases of the seed form as the plan reads every governed resource: the database's GET with its logical
 * server's exposure (public access, firewall rules) and administrator login, as the ARM adapter reads them live.
 */
function sqlDatabasesOf(
  doc: { sqlServers: unknown[]; sqlFirewallRules: Record<string, unknown[]>; sqlDatabases: unknown[] },
  problems: string[],
): { obj: unknown; where: string; rules: unknown[] }[] {
  const servers = new Map<string, z.output<typeof logicalServer>>();
  doc.sqlServers.forEach((obj, i) => {
    const result = logicalServer.safeParse(obj);
    if (!result.success)
      return void problems.push(
        ...result.error.issues.map((issue) => `sqlServers[${i}]${pathText(issue.path)}: ${say(issue.message)}`),
      );
    servers.set(result.data.id.toLowerCase(), result.data);
  });
  const rulesOf = new Map(Object.entries(doc.sqlFirewallRules).map(([id, rules]) => [id.toLowerCase(), rules]));
  return doc.sqlDatabases.flatMap((obj, i) => {
    const id = isObject(obj) && typeof obj.id === 'string' ? obj.id : '';
    const serverId = id.replace(/\/databases\/[^/]+$/i, '').toLowerCase();
    const server = serverId && serverId !== id.toLowerCase() ? servers.get(serverId) : undefined;
    if (!server || !isObject(obj)) {
      problems.push(`sqlDatabases[${i}].id: ${JSON.stringify(id)} is not a database of a logical server in sqlServers`);
      return [];
    }
    return [
      {
        obj: withLogicalServer({ location: 'westeurope', ...obj }, { version: '12.0', ...server.properties }),
        where: `sqlDatabases[${i}]`,
        rules: rulesOf.get(serverId) ?? [],
      },
    ];
  });
}

/**
 * A database (ARM or SDK shape) with what it is read with from its logical server, in its `properties`: the server's
 * public network access (the copy's exposure; anything but Disabled reads as Enabled), administrator login and version.
 * @example serverFromArm(withLogicalServer(databaseRow, logicalServerRow.properties)).publicNetworkAccess // 'Enabled'
 */
export function withLogicalServer<T extends object>(
  database: T,
  server: { readonly publicNetworkAccess?: unknown; readonly administratorLogin?: unknown; readonly version?: unknown },
): T {
  const own = 'properties' in database && isObject(database.properties) ? database.properties : {};
  const exposure = {
    network: { publicNetworkAccess: server.publicNetworkAccess === 'Disabled' ? 'Disabled' : 'Enabled' },
    ...(typeof server.administratorLogin === 'string' ? { administratorLogin: server.administratorLogin } : {}),
    ...(typeof server.version === 'string' ? { version: server.version } : {}),
  };
  return { ...database, properties: { ...exposure, ...own } };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Parses a snapshot document: `{ servers: [ARM server], firewallRules: { "<server id>": [ARM rule] },
 * locks: { "<scope id>": [ARM lock] }, activityLog?: [entry], inventory?: [InventoryRecord], noticesSent?: [...] }`.
 * Ids are matched case-insensitively. A snapshot is a complete picture: a server without an entry in
 * `firewallRules` or `locks` has none. A lock on a resource group or subscription applies to its servers.
 * @throws SnapshotError listing every bad entry (`servers[2].location: ...`).
 */
export function parseSnapshot(document: unknown, source = 'snapshot'): Snapshot {
  const shape = snapshotShape.safeParse(document);
  if (!shape.success)
    throw new SnapshotError(
      shape.error.issues.map((i) => `${pathText(i.path).replace(/^\./, '') || '(snapshot)'}: ${say(i.message)}`),
      source,
    );
  const doc = shape.data;
  const problems: string[] = [];
  const collect = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (error) {
      if (error instanceof SnapshotError) problems.push(...error.problems);
      else problems.push(errorMessage(error));
      return undefined;
    }
  };

  const rulesByServer = new Map<string, FirewallRule[]>();
  for (const [id, rules] of Object.entries(doc.firewallRules)) {
    const parsed = rules
      .map((r, i) => collect(() => firewallRuleFromArm(r, `firewallRules["${id}"][${i}]`)))
      .filter((r): r is FirewallRule => r !== undefined);
    const key = serverKey(id);
    rulesByServer.set(key, [...(rulesByServer.get(key) ?? []), ...parsed]);
  }
  const locksByScope: { scope: string; lock: ManagementLock }[] = [];
  for (const [scope, locks] of Object.entries(doc.locks)) {
    locks.forEach((l, i) => {
      const lock = collect(() => lockFromArm(l, `locks["${scope}"][${i}]`));
      if (lock) locksByScope.push({ scope: scopeKey(scope), lock });
    });
  }

  const servers: Server[] = [];
  const seen = new Map<string, number>();
  doc.servers.forEach((obj, i) => {
    const server = collect(() => serverFromArm(obj, {}, `servers[${i}]`));
    if (!server || isSystemResource(server.engine, server.name)) return;
    const first = seen.get(server.key);
    if (first !== undefined)
      return void problems.push(`servers[${i}].id: same server as servers[${first}] (ids compare case-insensitively)`);
    seen.set(server.key, i);
    const locks = locksByScope
      .filter((l) => server.key === l.scope || server.key.startsWith(`${l.scope}/`))
      .map((l) => l.lock);
    servers.push({ ...server, firewallRules: rulesByServer.get(server.key) ?? [], locks });
  });
  for (const { obj, where, rules } of sqlDatabasesOf(doc, problems)) {
    const server = collect(() => serverFromArm(obj, {}, where));
    if (!server || isSystemResource(server.engine, server.name)) continue;
    if (seen.has(server.key)) {
      problems.push(`${where}.id: the same database is in servers (ids compare case-insensitively)`);
      continue;
    }
    seen.set(server.key, -1);
    const firewallRules = rules
      .map((r, j) => collect(() => firewallRuleFromArm(r, `sqlFirewallRules[${j}]`)))
      .filter((r): r is FirewallRule => r !== undefined);
    const locks = locksByScope
      .filter((l) => server.key === l.scope || server.key.startsWith(`${l.scope}/`))
      .map((l) => l.lock);
    servers.push({ ...server, firewallRules, locks });
  }

  const restoreEvidence: RestoreEvidence[] = [];
  doc.activityLog.forEach((entry, i) => {
    const evidence = collect(() => {
      try {
        return restoreEvidenceFrom(entry);
      } catch (error) {
        throw new SnapshotError([`activityLog[${i}]: ${errorMessage(error)}`]);
      }
    });
    if (evidence) restoreEvidence.push(evidence);
  });

  const inventory: InventoryRecord[] = [];
  doc.inventory.forEach((obj, i) => {
    const result = inventoryRecord.safeParse(obj);
    if (!result.success)
      return void problems.push(
        ...result.error.issues.map((issue) => `inventory[${i}]${pathText(issue.path)}: ${say(issue.message)}`),
      );
    const r = result.data;
    const ref = parseServerId(r.id);
    inventory.push({
      ...r,
      key: serverKey(r.key ?? r.id),
      // Rows written before engines existed are PostgreSQL; the id names the engine otherwise.
      engine: r.engine ?? ref?.engine ?? DEFAULT_ENGINE,
      subscriptionId: r.subscriptionId ?? ref?.subscriptionId ?? '',
      resourceGroup: r.resourceGroup ?? ref?.resourceGroup ?? '',
      name: r.name ?? ref?.name ?? r.id,
      compliant: r.compliant ?? r.violations.length === 0,
    });
  });

  const noticesSent: NoticeSentInput[] = [];
  doc.noticesSent.forEach((obj, i) => {
    const result = noticeSent.safeParse(obj);
    if (!result.success)
      return void problems.push(
        ...result.error.issues.map((issue) => `noticesSent[${i}]${pathText(issue.path)}: ${say(issue.message)}`),
      );
    const n = result.data;
    noticesSent.push({
      server: n.server,
      stage: n.stage,
      sentAt: n.sentAt,
      ...(n.leadDays !== undefined ? { leadDays: n.leadDays } : {}),
    });
  });

  if (problems.length > 0) throw new SnapshotError(problems, source);
  return { servers, restoreEvidence, inventory, noticesSent };
}

/** Parses snapshot JSON text; a syntax error is a SnapshotError too. */
export function parseSnapshotText(text: string, source = 'snapshot'): Snapshot {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new SnapshotError([`not valid JSON: ${(error as Error).message}`], source);
  }
  return parseSnapshot(document, source);
}

/** A lock scope in lower case with a leading slash and no trailing one (`/subscriptions/s/resourcegroups/rg`). */
function scopeKey(scope: string): string {
  const key = serverKey(scope);
  return `/${key.replace(/^\/+/, '').replace(/\/+$/, '')}`;
}

/** zod's message for a missing field, said plainly. */
function say(message: string): string {
  return message.replace(/^Invalid input: expected (\w+), received undefined$/, 'is required ($1)');
}

function pathText(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
}

function defined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(value) as Array<keyof T>) if (value[key] !== undefined) out[key] = value[key];
  return out;
}

/**
 * A `Server` back in the ARM GET shape that `serverFromArm` reads, for snapshots written from a live estate.
 * @example serverFromArm(armFromServer(server)) // deep-equals server without firewallRules and locks
 */
export function armFromServer(server: Server): Record<string, unknown> {
  return {
    id: server.id,
    name: server.name,
    type: resourceTypeOf(server.engine),
    location: server.location,
    tags: { ...server.tags },
    ...(server.skuName || server.skuTier ? { sku: defined({ name: server.skuName, tier: server.skuTier }) } : {}),
    ...(server.createdAt ? { systemData: { createdAt: server.createdAt } } : {}),
    properties: defined({
      administratorLogin: server.administratorLogin,
      version: server.version,
      state: server.state,
      storage: server.storageSizeGb === undefined ? undefined : { storageSizeGB: server.storageSizeGb },
      network:
        server.publicNetworkAccess || server.delegatedSubnetId
          ? defined({
              publicNetworkAccess: server.publicNetworkAccess,
              delegatedSubnetResourceId: server.delegatedSubnetId,
            })
          : undefined,
      sourceServerResourceId: server.sourceServerId,
      backup: server.earliestRestoreDate ? { earliestRestoreDate: server.earliestRestoreDate } : undefined,
    }),
  };
}
