import type { Server } from '../domain/model.js';

/** One connection to a server's database. */
export interface DatabaseSession {
  /** Runs one statement with a time limit; resolves the first column of the first row (undefined without rows). */
  firstValue(sql: string, options: { timeoutMs: number }): Promise<unknown>;
  /** Bytes of all databases of the server. */
  sizeBytes(): Promise<number>;
  close(): Promise<void>;
}

/**
 * The data plane of PostgreSQL flexible servers: drills connect to their clone through it (never to a source).
 * @example const session = await database.connect(clone, 'orders'); await session.firstValue('select count(*) from orders', { timeoutMs: 60_000 });
 */
export interface DatabasePort {
  /** Connects over TLS; throws with the server's message when it refuses. */
  connect(server: Server, database: string): Promise<DatabaseSession>;
}
