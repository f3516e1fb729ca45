import type { TokenCredential } from '@azure/core-auth';
import { request } from 'node:https';
import type { Server } from '../../../domain/model.js';
import type { DatabasePort, DatabaseSession } from '../../../ports/database.js';

/** The scope of a Microsoft Entra token for Azure Database for PostgreSQL. */
export const OSSRDBMS_SCOPE = 'https://ossrdbms-aad.database.windows.net/.default';
const KEY_VAULT_SCOPE = 'https://vault.azure.net/.default';

/** Where and as whom to connect; the password may be a token fetched per connection. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: () => Promise<string>;
  /** Extra CA to trust (the local emulator's certificate); Azure's certificates chain to public roots. */
  readonly ca?: string;
}

/**
 * `pg` over TLS (certificate verified) to a flexible server. How to reach it is the `endpoint` function's business:
 * Entra token, Key Vault password, or the local emulator's data plane.
 * @example new PgDatabase(entraEndpoint(credential, 'pitr-warden-identity'))
 */
export class PgDatabase implements DatabasePort {
  constructor(private readonly endpoint: (server: Server) => Promise<Endpoint>) {}

  async connect(server: Server, database: string): Promise<DatabaseSession> {
    const e = await this.endpoint(server);
    // Loaded on the first connection: only restore drills connect.
    const { default: pg } = await import('pg');
    const client = new pg.Client({
      host: e.host,
      port: e.port,
      user: e.user,
      password: await e.password(),
      database,
      ssl: { rejectUnauthorized: true, servername: e.host, ...(e.ca ? { ca: e.ca } : {}) },
      connectionTimeoutMillis: 30_000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw new Error(
        `Cannot connect to ${server.name} (${e.host}:${e.port}, database ${database}, user ${e.user}): ${(error as Error).message}`,
        { cause: error },
      );
    }
    return {
      firstValue: async (sql, options) => {
        // statement_timeout makes the server cancel the query and answer with its own message.
        await client.query(`set statement_timeout = ${Math.max(1, Math.round(options.timeoutMs))}`);
        const result = await client.query({ text: sql, rowMode: 'array' });
        const row = result.rows[0] as unknown[] | undefined;
        return row?.[0];
      },
      sizeBytes: async () =>
        Number(
          (
            await client.query<{ bytes: string }>(
              'select coalesce(sum(pg_database_size(datname)), 0)::text as bytes from pg_database',
            )
          ).rows[0]?.bytes ?? 0,
        ),
      close: () => client.end(),
    };
  }
}

/** Azure: `<name>.postgres.database.azure.com:5432`, user the managed identity's role, password an Entra token. */
export function entraEndpoint(credential: TokenCredential, user: string): (server: Server) => Promise<Endpoint> {
  return (server) =>
    Promise.resolve({
      host: `${server.name}.postgres.database.azure.com`,
      port: 5432,
      user,
      password: async () => {
        const token = await credential.getToken(OSSRDBMS_SCOPE);
        if (!token) throw new Error(`No Microsoft Entra token for ${OSSRDBMS_SCOPE}`);
        return token.token;
      },
    });
}

/** Azure, password alternative: the secret at `secretUri` (read with the managed identity), user a login. */
export function keyVaultEndpoint(
  credential: TokenCredential,
  secretUri: string,
  user: string | undefined,
): (server: Server) => Promise<Endpoint> {
  return (server) =>
    Promise.resolve({
      host: `${server.name}.postgres.database.azure.com`,
      port: 5432,
      user: user ?? server.administratorLogin ?? '',
      password: async () => {
        const token = await credential.getToken(KEY_VAULT_SCOPE);
        if (!token) throw new Error(`No Microsoft Entra token for ${KEY_VAULT_SCOPE}`);
        const body = await getJson(`${secretUri.replace(/\/+$/, '')}?api-version=7.4`, {
          Authorization: `Bearer ${token.token}`,
        });
        if (typeof body.value !== 'string') throw new Error(`Key Vault secret ${secretUri} has no value`);
        return body.value;
      },
    });
}

/** The local emulator's data plane: host, port, password and CA from `/_emulator/dataplanes`. */
export function emulatorEndpoint(armEndpoint: string, ca: string | undefined): (server: Server) => Promise<Endpoint> {
  return async (server) => {
    const body = await getJson(`${armEndpoint}/_emulator/dataplanes?server=${encodeURIComponent(server.id)}`, {}, ca);
    if (typeof body.port !== 'number') throw new Error(`The emulator has no data plane for ${server.id}`);
    return {
      host: String(body.host),
      port: body.port,
      user: String(body.user),
      password: () => Promise.resolve(String(body.password)),
      ...(typeof body.caCertPem === 'string' ? { ca: body.caCertPem } : {}),
    };
  };
}

function getJson(url: string, headers: Record<string, string>, ca?: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'GET', headers: { Accept: 'application/json', ...headers }, ...(ca ? { ca } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 500) >= 300)
            return reject(new Error(`GET ${url.split('?')[0]} answered ${res.statusCode}: ${text.slice(0, 300)}`));
          try {
            resolve(JSON.parse(text) as Record<string, unknown>);
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
