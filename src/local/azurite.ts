import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Azurite's well-known development account, the one `UseDevelopmentStorage=true` means. */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteHandle {
  readonly tableEndpoint: string;
  readonly queueEndpoint: string;
  /** A storage connection string for both services, as `AzureWebJobsStorage` takes it. */
  readonly connectionString: string;
  close(): Promise<void>;
}

interface AzuriteServer {
  start(): Promise<void>;
  close(): Promise<void>;
  getHttpServerAddress(): string;
}
type ServerCtor = new (config: unknown) => AzuriteServer;

/**
 * Starts Azurite's Table and Queue services in this process, in memory, on free loopback ports.
 * @example const azurite = await startAzurite(); ...; await azurite.close();
 */
export async function startAzurite(
  options: { host?: string; tablePort?: number; queuePort?: number } = {},
): Promise<AzuriteHandle> {
  const host = options.host ?? '127.0.0.1';
  const root = 'azurite/dist/src';
  const TableServer = (require(`${root}/table/TableServer.js`) as { default: ServerCtor }).default;
  const TableConfiguration = (
    require(`${root}/table/TableConfiguration.js`) as { default: new (...args: unknown[]) => unknown }
  ).default;
  const QueueServer = (require(`${root}/queue/QueueServer.js`) as { default: ServerCtor }).default;
  const QueueConfiguration = (
    require(`${root}/queue/QueueConfiguration.js`) as { default: new (...args: unknown[]) => unknown }
  ).default;
  const { MemoryExtentChunkStore, DEFAULT_EXTENT_MEMORY_LIMIT } = require(
    `${root}/common/persistence/MemoryExtentStore.js`,
  ) as {
    MemoryExtentChunkStore: new (limit: number) => unknown;
    DEFAULT_EXTENT_MEMORY_LIMIT: number;
  };
  // Positional constructors: host, port, keep-alive, db path, ..., loose, skipApiVersionCheck, cert, key, pwd, oauth,
  // disableProductStyleUrl, isMemoryPersistence. Memory persistence keeps every instance isolated.
  const tableConfig = new TableConfiguration(
    host,
    options.tablePort ?? 0,
    5,
    undefined,
    false,
    false,
    undefined,
    undefined,
    true,
    true,
    '',
    '',
    '',
    undefined,
    false,
    true,
  );
  const queueConfig = new QueueConfiguration(
    host,
    options.queuePort ?? 0,
    5,
    undefined,
    undefined,
    undefined,
    false,
    undefined,
    false,
    undefined,
    true,
    true,
    '',
    '',
    '',
    undefined,
    false,
    true,
    new MemoryExtentChunkStore(DEFAULT_EXTENT_MEMORY_LIMIT),
  );
  const table = new TableServer(tableConfig);
  const queue = new QueueServer(queueConfig);
  await silenced(() => Promise.all([table.start(), queue.start()]));
  const tableEndpoint = `${table.getHttpServerAddress()}/${DEV_ACCOUNT}`;
  const queueEndpoint = `${queue.getHttpServerAddress()}/${DEV_ACCOUNT}`;
  return {
    tableEndpoint,
    queueEndpoint,
    connectionString: storageConnectionString({ tableEndpoint, queueEndpoint }),
    close: () => silenced(() => Promise.all([table.close(), queue.close()])).then(() => undefined),
  };
}

export function storageConnectionString(endpoints: { tableEndpoint: string; queueEndpoint: string }): string {
  return (
    [
      'DefaultEndpointsProtocol=http',
      `AccountName=${DEV_ACCOUNT}`,
      `AccountKey=${DEV_KEY}`,
      `TableEndpoint=${endpoints.tableEndpoint}`,
      `QueueEndpoint=${endpoints.queueEndpoint}`,
    ].join(';') + ';'
  );
}

/** Azurite announces itself on console.log; keep test and runner output readable. */
async function silenced<T>(work: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('Azurite')) return;
    log(...args);
  };
  try {
    return await work();
  } finally {
    console.log = log;
  }
}
