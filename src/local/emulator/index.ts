import type { TokenCredential } from '@azure/core-auth';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { emailRoutes } from './acs/email.js';
import { Mailbox } from './acs/mailbox.js';
import { ActivityLog } from './activityLog.js';
import { adminHandler } from './admin.js';
import { activityLogRoutes } from './arm/activityLogRoutes.js';
import { Audit, type ArmServices } from './arm/common.js';
import { firewallRuleRoutes } from './arm/firewallRules.js';
import { lockRoutes } from './arm/locks.js';
import { FLEXIBLE_PROVIDERS } from './arm/providers.js';
import { resourceGraphRoutes } from './arm/resourceGraph.js';
import { serverRoutes } from './arm/servers.js';
import { nameAvailabilityRoutes } from './arm/nameAvailability.js';
import { tagRoutes } from './arm/tags.js';
import { sqlRoutes } from './Sql/routes.js';
import { exportSqlSnapshot, loadSqlSnapshot } from './Sql/snapshot.js';
import { SqlStore } from './Sql/store.js';
import { createLoopbackCertificate } from './certificate.js';
import { EmulatorClock } from './clock.js';
import { DataPlanes } from './dataPlane/index.js';
import { emulatorCredential } from './credential.js';
import { EventSink, type EventSchema } from './eventGrid.js';
import { defaultFaultSeed, Faults } from './faults.js';
import { Operations } from './operations.js';
import { loadPriceTable, priceRoutes } from './prices.js';
import { RequestLog } from './requestLog.js';
import { createRouter } from './router.js';
import { exportSnapshot, loadSnapshot, readSnapshot, SnapshotError } from './snapshot.js';
import { ARM_BUDGETS, Throttle, type ThrottlingOptions } from './throttle.js';
import { ArmStore } from './store.js';
import type { EmulatorSnapshot } from './types.js';

export type { EmulatorSnapshot, ArmServer, ArmFirewallRule, ArmLock, ActivityLogEntry } from './types.js';
export type { FaultRule, FaultEntry } from './faults.js';
export type { RequestRecord, RequestCounter, RequestFilter } from './requestLog.js';
export type { MailboxMessage, MailAddress } from './acs/mailbox.js';
export type { EventSchema } from './eventGrid.js';
export type { ThrottlingOptions, Bucket } from './throttle.js';
export { ARM_BUDGETS } from './throttle.js';
export type { EmulatorIdentity } from './credential.js';
export { RequestLog } from './requestLog.js';
export { Faults } from './faults.js';
export { Mailbox } from './acs/mailbox.js';
export { EventSink } from './eventGrid.js';
export { EmulatorClock } from './clock.js';
export { emulatorCredential, fakeJwt, DEFAULT_IDENTITY } from './credential.js';
export { SnapshotError } from './snapshot.js';
export type { DataPlaneConnection, DataPlaneSpec } from './dataPlane/index.js';
export { DataPlanes } from './dataPlane/index.js';

/** The subscriptions of an empty emulator: the defaults of GOVERNED_SUBSCRIPTION_IDS in src/config.ts. */
export const DEFAULT_SUBSCRIPTION_IDS = [
  '00000000-0000-4000-8000-000000000001',
  '00000000-0000-4000-8000-000000000002',
];

/**
 * How to start the emulator. Every field is optional.
 * @example await startEmulator({ snapshot: 'examples/estate.json', events: { connectionString: azurite.connectionString, queueName: 'resource-events' } })
 */
export interface EmulatorOptions {
  /** Seed: a snapshot object or the path of a snapshot JSON file. */
  snapshot?: EmulatorSnapshot | string;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Loopback address to listen on (default 127.0.0.1). */
  host?: string;
  /** Queue that receives the Event Grid events of every write, delete and action. */
  events?: { connectionString: string; queueName: string; schema?: EventSchema };
  /** Time for every timestamp the emulator writes and for restore windows (default: system clock). */
  now?: () => Date;
  /**
   * Real milliseconds per millisecond of Azure time: how long long-running operations take here (see AZURE_DURATIONS_MS).
   * 0 (default): done at the first poll; 1: as long as in Azure (a restore about 6.5 minutes); 0.01: a hundred times faster.
   * Moving the clock (`clock.advance`) also moves operations along, at any scale.
   */
  timeScale?: number;
  /**
   * Virtual time: the clock stands still (at `now()` of the start) and moves only when advanced or when a client polls
   * an unfinished operation (one step of 30 s, at most to its end). Operations take their Azure durations on the clock
   * at no real wait, so what a client measures on `clock` is the same every run (drills, their tests and benchmarks).
   */
  virtualTime?: boolean;
  /** Items per page of list operations (default 100). */
  pageSize?: number;
  /** Folder that receives one JSON file per sent email. */
  mailboxDir?: string;
  /** ACS access key (base64); a random one by default. */
  acsKey?: string;
  /**
   * Start real PostgreSQL behind the servers the snapshot lists in `dataPlanes` (`npm start` and `pitr-warden emulator`
   * do; in-process the default is off, so a test that does not need data pays nothing). `root` is the parent folder
   * of the clusters (default: a fresh folder in the temp directory).
   */
  dataPlane?: boolean | { root?: string };
  /**
   * ARM throttling: `'arm'` for ARM's budgets per principal and subscription (reads 250 + 25/s, writes and deletes
   * 200 + 10/s), or buckets of your own on a scaled clock. Off by default.
   */
  throttling?: 'arm' | ThrottlingOptions;
  /** Seed of the faults with a `probability` (default: `EMULATOR_SEED`, else 1): one seed, the same faults. */
  seed?: number;
}

/**
 * A running emulator: ARM (PostgreSQL and MySQL flexible servers, firewall rules, tags, locks, Activity Log), ACS Email and
 * the Retail Prices API on one loopback HTTPS endpoint.
 * @example
 * const emulator = await startEmulator({ snapshot: 'examples/estate.json' });
 * const client = new PostgreSQLManagementFlexibleServerClient(emulator.credential, emulator.subscriptionIds[0]!, armClientOptions(emulator));
 * for await (const server of client.servers.listBySubscription()) console.log(server.name);
 * await emulator.close();
 */
export interface Emulator {
  readonly armEndpoint: string;
  readonly acsEndpoint: string;
  /** `endpoint=https://127.0.0.1:<port>/;accesskey=<key>` for EmailClient. */
  readonly acsConnectionString: string;
  /** Base URL of the Retail Prices API (`<pricesEndpoint>/api/retail/prices`). */
  readonly pricesEndpoint: string;
  /** The self-signed certificate to trust (it is its own CA). */
  readonly caCertPem: string;
  readonly caCertPath: string;
  readonly subscriptionIds: string[];
  /** Hands out a fake JWT of the default user (operator@contoso.com) for any scope. */
  readonly credential: TokenCredential;
  readonly requests: RequestLog;
  readonly faults: Faults;
  readonly mailbox: Mailbox;
  /** Event Grid events emitted; `flushed()` resolves when they reached the queue. */
  readonly events: EventSink;
  readonly clock: EmulatorClock;
  /** Real PostgreSQL of the servers that have a data plane: connection details, queries. */
  readonly dataPlanes: DataPlanes;
  /** The current state in the snapshot format. */
  snapshot(): EmulatorSnapshot;
  /** Back to the seed: state, Activity Log, events, mailbox, request log, faults and clock. */
  reset(): void;
  /**
   * Serves another seed from now on, as a fresh emulator would (a test run's next file on the same emulator): the
   * snapshot and clock given, then `reset()`; the destination queue is created again if it went missing.
   */
  reseed(options: Pick<EmulatorOptions, 'snapshot' | 'now'>): Promise<void>;
  close(): Promise<void>;
}

/** True for 127.0.0.0/8, ::1 and localhost: the only addresses the emulator (any-token ARM, no auth) may listen on. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return (
    h === 'localhost' ||
    h === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) ||
    /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
  );
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1';
  // It accepts any token and serves every subscription it holds: reachable from this machine only.
  if (!isLoopbackHost(host))
    throw new Error(
      `The emulator listens on loopback only (127.0.0.1, ::1 or localhost); refused host ${JSON.stringify(host)}`,
    );
  const pageSize = options.pageSize ?? 100;
  const acsKey = options.acsKey ?? randomBytes(32).toString('base64');
  let seed = options.snapshot ? readSnapshot(options.snapshot) : undefined;
  const clock = new EmulatorClock(options.now, options.timeScale ?? 0, { virtual: options.virtualTime ?? false });
  const store = new ArmStore();
  const sql = new SqlStore();
  const activityLog = new ActivityLog();
  const events = new EventSink(options.events);
  const operations = new Operations(clock);
  const requests = new RequestLog();
  const faults = new Faults(options.seed ?? defaultFaultSeed());
  const mailbox = new Mailbox(options.mailboxDir);
  const throttle = options.throttling
    ? new Throttle(options.throttling === 'arm' ? ARM_BUDGETS : options.throttling)
    : undefined;
  const certificate = await createLoopbackCertificate();
  const dataPlanes = new DataPlanes({
    tls: { certPem: certificate.certPem, keyPem: certificate.keyPem },
    clock,
    ...(typeof options.dataPlane === 'object' ? options.dataPlane : {}),
  });
  const services: ArmServices = {
    store,
    operations,
    activityLog,
    events,
    clock,
    pageSize,
    audit: new Audit(activityLog, events, clock),
    ...(options.dataPlane ? { dataPlanes } : {}),
    sql,
  };

  const seedState = (): void => {
    store.clear();
    activityLog.clear();
    sql.clear();
    if (seed) loadSnapshot(seed, store, activityLog, clock.now());
    const sqlProblems = seed ? loadSqlSnapshot(seed, sql, clock) : [];
    if (sqlProblems.length > 0)
      throw new SnapshotError(
        `Emulator snapshot has ${sqlProblems.length} problem(s):\n${sqlProblems.map((p) => `  - ${p}`).join('\n')}`,
      );
    sql.subscriptions.forEach((s) => store.subscriptions.add(s));
    if (store.subscriptions.size === 0) DEFAULT_SUBSCRIPTION_IDS.forEach((s) => store.subscriptions.add(s));
  };
  seedState();
  await events.open();
  if (options.dataPlane) {
    try {
      await provisionDataPlanes(seed, store, dataPlanes);
    } catch (error) {
      await dataPlanes.close();
      await certificate.dispose();
      throw error;
    }
  }

  let baseUrl = '';
  const routes = [
    ...FLEXIBLE_PROVIDERS.flatMap((provider) => [
      ...serverRoutes(services, provider),
      ...nameAvailabilityRoutes(services, provider),
      ...firewallRuleRoutes(services, provider),
    ]),
    ...sqlRoutes(services),
    ...tagRoutes(services),
    ...lockRoutes(services),
    ...resourceGraphRoutes(services),
    ...activityLogRoutes(services),
    ...emailRoutes({ accessKey: acsKey, mailbox, clock }),
    ...priceRoutes(loadPriceTable(), pageSize),
  ];
  const reset = (): void => {
    operations.settleAll();
    operations.clear();
    clock.reset();
    seedState();
    // Clones' data planes go with the clones; the seeded sources keep theirs (and the rows written since).
    for (const id of dataPlanes.list()) if (!store.get(id)) void dataPlanes.remove(id);
    events.clear();
    mailbox.clear();
    requests.clear();
    faults.clear();
    throttle?.clear();
  };
  const reseed = async (next: Pick<EmulatorOptions, 'snapshot' | 'now'>): Promise<void> => {
    if (options.dataPlane) throw new Error('An emulator with data planes cannot be reseeded: start another');
    seed = next.snapshot ? readSnapshot(next.snapshot) : undefined;
    clock.rebase(next.now, options.timeScale ?? 0);
    reset();
    events.reopen();
    await events.open();
  };
  const admin = adminHandler({
    requests,
    faults,
    mailbox,
    events,
    clock,
    reset,
    dataPlanes,
    snapshot: () => ({
      ...exportSnapshot(store, activityLog),
      ...exportSqlSnapshot(sql),
      ...(seed?.dataPlanes ? { dataPlanes: seed.dataPlanes } : {}),
    }),
  });
  const server = createServer(
    { key: certificate.keyPem, cert: certificate.certPem },
    createRouter({
      routes,
      admin,
      faults,
      requests,
      baseUrl: () => baseUrl,
      beforeArm: () => operations.settleDue(),
      ...(throttle ? { throttle } : {}),
    }),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
  } catch (cause) {
    await certificate.dispose();
    throw new Error(`The emulator could not listen on ${host}:${options.port ?? 0}`, { cause });
  }
  const { port } = server.address() as AddressInfo;
  baseUrl = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    armEndpoint: baseUrl,
    acsEndpoint: baseUrl,
    acsConnectionString: `endpoint=${baseUrl}/;accesskey=${acsKey}`,
    pricesEndpoint: baseUrl,
    caCertPem: certificate.certPem,
    caCertPath: certificate.certPath,
    get subscriptionIds() {
      return [...store.subscriptions].sort();
    },
    credential: emulatorCredential(),
    requests,
    faults,
    mailbox,
    events,
    clock,
    dataPlanes,
    snapshot: () => ({
      ...exportSnapshot(store, activityLog),
      ...exportSqlSnapshot(sql),
      ...(seed?.dataPlanes ? { dataPlanes: seed.dataPlanes } : {}),
    }),
    reset,
    reseed,
    close: async () => {
      operations.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await events.flushed();
      await dataPlanes.close();
      await certificate.dispose();
    },
  };
}

/** Starts the data planes the snapshot asks for, all at once; a server it names must be in the snapshot. */
async function provisionDataPlanes(
  seed: EmulatorSnapshot | undefined,
  store: ArmStore,
  dataPlanes: DataPlanes,
): Promise<void> {
  const wanted = Object.entries(seed?.dataPlanes ?? {});
  const problems = wanted.flatMap(([id, spec]) =>
    dataPlaneProblems(id, spec, store).map((p) => `  - dataPlanes["${id}"]${p}`),
  );
  if (problems.length > 0)
    throw new SnapshotError(`Emulator snapshot has ${problems.length} problem(s):\n${problems.join('\n')}`);
  await Promise.all(
    wanted.map(([id, spec]) =>
      dataPlanes.provision(
        store.get(id)!.server.id,
        store.get(id)!.server.properties.administratorLogin ?? 'azureadmin',
        spec,
      ),
    ),
  );
}

/** What an ARM SDK client needs to talk to the emulator: its endpoint and its certificate as a trusted CA. */
export interface EmulatorClientOptions {
  endpoint: string;
  tlsOptions: { ca: string };
}

/**
 * The options bag for any ARM SDK client (@azure/arm-postgresql-flexible, arm-resources, arm-locks, arm-monitor).
 * TLS verification stays on: only this client trusts the emulator's certificate.
 * @example new ManagementLockClient(emulator.credential, subscriptionId, armClientOptions(emulator))
 */
export function armClientOptions(emulator: Pick<Emulator, 'armEndpoint' | 'caCertPem'>): EmulatorClientOptions {
  return { endpoint: emulator.armEndpoint, tlsOptions: { ca: emulator.caCertPem } };
}

/**
 * The options bag for EmailClient (with `emulator.acsConnectionString`, or `acsEndpoint` and a TokenCredential).
 * @example new EmailClient(emulator.acsConnectionString, emailClientOptions(emulator))
 */
export function emailClientOptions(emulator: Pick<Emulator, 'caCertPem'>): { tlsOptions: { ca: string } } {
  return { tlsOptions: { ca: emulator.caCertPem } };
}

function dataPlaneProblems(id: string, spec: unknown, store: ArmStore): string[] {
  if (!store.get(id)) return [': no such server in "servers"'];
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
    return [': must be an object ({} for an empty database)'];
  const s = spec as Record<string, unknown>;
  const problems: string[] = [];
  if (s.database !== undefined && (typeof s.database !== 'string' || s.database === ''))
    problems.push('.database: must be a database name');
  if (s.seedSql !== undefined && !(Array.isArray(s.seedSql) && s.seedSql.every((q) => typeof q === 'string')))
    problems.push('.seedSql: must be an array of SQL statements');
  const w = s.workload as Record<string, unknown> | undefined;
  if (
    w !== undefined &&
    (typeof w !== 'object' || w === null || typeof w.sql !== 'string' || typeof w.everyMs !== 'number')
  )
    problems.push('.workload: needs sql (text) and everyMs (number)');
  return problems;
}
