/**
 * The data plane of the servers that ask for one: a real PostgreSQL cluster per server. A source archives its WAL
 * and takes a base backup once seeded; a point-in-time restore of it copies the newest base backup that ended
 * before the restore point and replays the archive to that point, so the clone holds exactly the source's rows
 * at that instant. Servers without a data plane (the large benchmark estates) stay control-plane only.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmulatorClock } from '../clock.js';
import { PostgresCluster, sharedFolder, type BaseBackup, type RecoveryTarget } from './postgres.js';
import { parseResourceId } from '../ids.js';

/**
 * How a snapshot asks for a data plane, by server id (`dataPlanes` in the snapshot).
 * @example { "dataPlanes": { "/subscriptions/…/flexibleServers/pg-orders-prod": { "database": "orders",
 *   "seedSql": ["create table orders (id int primary key)"], "workload": { "sql": "insert into heartbeat default values", "everyMs": 1000 } } } }
 */
export interface DataPlaneSpec {
  /** Database created for the seed (default `postgres`, which always exists). */
  readonly database?: string;
  /** Statements run once, in order, before the first base backup. */
  readonly seedSql?: readonly string[];
  /** A statement run on a timer, like an application writing: gives a recovery point to measure. */
  readonly workload?: { readonly sql: string; readonly everyMs: number };
}

/** Where and how to connect to a server's data plane: what the Azure portal's "Connect" page shows. */
export interface DataPlaneConnection {
  readonly serverId: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** The certificate the server presents (the emulator's loopback certificate): trust it as a CA. */
  readonly caCertPem: string;
}

interface Plane {
  readonly serverId: string;
  readonly cluster: PostgresCluster;
  readonly database: string;
  /** Base backups of a source, oldest first; none for a clone (its own restores are not emulated). */
  readonly backups: BaseBackup[];
  /** Bytes of its databases at the last base backup: what a restore of it brings back (sizes its duration). */
  bytes?: number;
  workload?: NodeJS.Timeout;
}

export interface DataPlaneOptions {
  readonly tls: { readonly certPem: string; readonly keyPem: string };
  readonly clock: EmulatorClock;
  /** Parent folder of every cluster (default: a fresh folder under the system temp directory). */
  readonly root?: string;
}

/**
 * @example
 *   const planes = new DataPlanes({ tls, clock });
 *   await planes.provision(server.id, 'ordersadmin', { seedSql: ['create table t (x int)'] });
 *   await planes.restore(server.id, cloneId, new Date(pointInTimeUtc));
 *   const rows = await planes.query(cloneId, 'select * from t');
 */
export class DataPlanes {
  private readonly planes = new Map<string, Plane>();
  /** Restores and removals under way, so close() can wait for them. */
  private readonly pending = new Set<Promise<unknown>>();
  private root: Promise<string> | undefined;
  private counter = 0;

  constructor(private readonly options: DataPlaneOptions) {}

  has(serverId: string): boolean {
    return this.planes.has(keyOf(serverId));
  }

  /** Server ids with a data plane. */
  list(): string[] {
    return [...this.planes.values()].map((p) => p.serverId);
  }

  /** A new cluster for a source: administrator login as its superuser, the seed, a first base backup. */
  async provision(serverId: string, administratorLogin: string, spec: DataPlaneSpec = {}): Promise<void> {
    if (this.has(serverId)) return;
    const cluster = await PostgresCluster.initialise({
      dir: await this.folderFor(serverId),
      user: administratorLogin,
      password: newPassword(),
      tls: this.options.tls,
    });
    const database = spec.database ?? 'postgres';
    try {
      if (database !== 'postgres') await cluster.query(`create database "${database.replace(/"/g, '""')}"`);
      for (const [i, sql] of (spec.seedSql ?? []).entries()) {
        await cluster.query(sql, [], database).catch((error: unknown) => {
          throw new Error(`seedSql[${i}] of the data plane of ${serverId} failed: ${(error as Error).message}`, {
            cause: error,
          });
        });
      }
      const plane: Plane = {
        serverId,
        cluster,
        database,
        backups: [await cluster.baseBackup()],
        bytes: await cluster.sizeBytes(),
      };
      this.planes.set(keyOf(serverId), plane);
      if (spec.workload) this.startWorkload(plane, spec.workload);
    } catch (error) {
      await cluster.stop({ remove: true }).catch(() => undefined);
      throw error;
    }
  }

  /** A new base backup of a source (Azure takes them daily); later restores may start from it. */
  async baseBackup(serverId: string): Promise<void> {
    const plane = this.require(serverId);
    plane.backups.push(await plane.cluster.baseBackup());
    plane.bytes = await plane.cluster.sizeBytes();
  }

  /** Bytes of the server's databases at its last base backup; undefined without a data plane. */
  bytesOf(serverId: string): number | undefined {
    return this.planes.get(keyOf(serverId))?.bytes;
  }

  /**
   * The clone's data plane: the newest base backup that ended before the restore point, plus WAL replay to it.
   * A restore point before the first base backup gets the data of that backup (the seed stands for the history
   * before the emulator started). Resolves when the clone accepts connections; undefined when the source has none.
   */
  restore(sourceId: string, targetId: string, pointInTime: Date): Promise<void> | undefined {
    const source = this.planes.get(keyOf(sourceId));
    if (!source || source.backups.length === 0) return undefined;
    const work = this.track(this.restoreNow(source, targetId, pointInTime));
    return work;
  }

  private async restoreNow(source: Plane, targetId: string, pointInTime: Date): Promise<void> {
    const at = this.engineTime(pointInTime);
    await source.cluster.archiveUpToNow();
    const usable = source.backups.filter((b) => b.endedAt.getTime() <= at.getTime());
    const backup = usable[usable.length - 1] ?? source.backups[0]!;
    const target: RecoveryTarget = usable.length > 0 ? { time: at } : { immediate: true };
    const cluster = await PostgresCluster.restore(
      {
        dir: await this.folderFor(targetId),
        user: source.cluster.options.user,
        password: source.cluster.options.password,
        tls: this.options.tls,
      },
      { backup, archiveDir: source.cluster.archiveDir, target },
    );
    this.planes.set(keyOf(targetId), { serverId: targetId, cluster, database: source.database, backups: [] });
  }

  /** Stops the server's cluster and deletes its files (the server was deleted). */
  remove(serverId: string): Promise<void> {
    const plane = this.planes.get(keyOf(serverId));
    if (!plane) return Promise.resolve();
    this.planes.delete(keyOf(serverId));
    clearInterval(plane.workload);
    return this.track(plane.cluster.stop({ remove: true }));
  }

  connection(serverId: string): DataPlaneConnection | undefined {
    const plane = this.planes.get(keyOf(serverId));
    if (!plane) return undefined;
    const { user, password } = plane.cluster.options;
    return {
      serverId: plane.serverId,
      host: '127.0.0.1',
      port: plane.cluster.port,
      user,
      password,
      database: plane.database,
      caCertPem: this.options.tls.certPem,
    };
  }

  /** Runs one statement on the server's database (tests and the demo write rows with it). */
  async query<R extends Record<string, unknown> = Record<string, unknown>>(
    serverId: string,
    sql: string,
    params: unknown[] = [],
  ): Promise<R[]> {
    const plane = this.require(serverId);
    return plane.cluster.query<R>(sql, params, plane.database);
  }

  /** Bytes of the server's databases. */
  sizeBytes(serverId: string): Promise<number> {
    return this.require(serverId).cluster.sizeBytes();
  }

  /** Stops every cluster and removes their files. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    await Promise.allSettled([...this.planes.keys()].map((key) => this.remove(key)));
    await Promise.allSettled([...this.pending]);
    if (this.root) await rm(await this.root, { recursive: true, force: true });
  }

  /**
   * The engine's instant for an emulator instant: commit times in the WAL are the machine's, while the emulator's clock
   * may be pinned, advanced or virtual; the clock knows when in real time it showed that instant.
   */
  private engineTime(at: Date): Date {
    return this.options.clock.realTimeOf(at);
  }

  private startWorkload(plane: Plane, workload: NonNullable<DataPlaneSpec['workload']>): void {
    let busy = false;
    plane.workload = setInterval(
      () => {
        if (busy) return;
        busy = true;
        plane.cluster.query(workload.sql, [], plane.database).then(
          () => (busy = false),
          () => (busy = false),
        );
      },
      Math.max(100, workload.everyMs),
    );
    plane.workload.unref();
  }

  private require(serverId: string): Plane {
    const plane = this.planes.get(keyOf(serverId));
    if (!plane)
      throw new Error(
        `Server ${serverId} has no data plane (only servers listed in the snapshot's "dataPlanes" have one)`,
      );
    return plane;
  }

  private async folderFor(serverId: string): Promise<string> {
    this.root ??= (async () =>
      sharedFolder(this.options.root ?? (await mkdtemp(join(tmpdir(), 'pitr-warden-dataplane-')))))();
    return join(await this.root, `${parseResourceId(serverId)?.name ?? 'server'}-${++this.counter}`);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work);
    const done = (): void => void this.pending.delete(work);
    work.then(done, done);
    return work;
  }
}

const keyOf = (serverId: string): string => parseResourceId(serverId)?.key ?? serverId.toLowerCase();

/** Like Azure, the administrator password of a source; a clone inherits it. */
const newPassword = (): string => randomBytes(18).toString('base64url');
