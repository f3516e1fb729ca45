import { TableClient } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import type { InventoryStores } from '../../../ports/inventory.js';
import { CheckpointsTable } from './checkpointsTable.js';
import { CountedTable } from './countedTable.js';
import { DrillsTable } from './drillsTable.js';
import { isLoopbackHttp } from './tableRequests.js';
import { EvidenceTable } from './evidenceTable.js';
import { InventoryTable } from './inventoryTable.js';
import { RunsTable } from './runsTable.js';
import { tableError } from './tableErrors.js';
import { TableCounter } from './tableStats.js';
import type { TableStats } from './tableStats.js';

export type { TableStats } from './tableStats.js';
export { isLoopbackHttp } from './tableRequests.js';

export interface OpenTablesOptions {
  /** A storage connection string (Azurite, local runs); `UseDevelopmentStorage=true` works. */
  readonly connectionString?: string;
  /** In Azure: the storage account name, used with `credential` at https://{account}.table.core.windows.net. */
  readonly accountName?: string;
  readonly credential?: TokenCredential;
  /** Table names are `${prefix}Inventory`, `${prefix}Evidence`, `${prefix}Runs`, `${prefix}Checkpoints`, `${prefix}Drills`. */
  readonly prefix: string;
  /** Create the four tables when missing (default true; an existing table is fine). */
  readonly createIfMissing?: boolean;
}

export interface TableStores extends InventoryStores {
  /** Restore drills (`${prefix}Drills`). */
  readonly drills: DrillsTable;
  /** Table operations made so far through these stores. */
  stats(): TableStats;
  resetStats(): void;
}

/**
 * Opens the inventory, evidence, runs and checkpoints tables. Build it once per process and share it.
 * @example
 *   const stores = await openTables({ connectionString: config.storage.connectionString, prefix: config.tablePrefix });
 *   const stores = await openTables({ accountName: 'wardenstore', credential: new ManagedIdentityCredential(), prefix: 'warden' });
 */
export async function openTables(options: OpenTablesOptions): Promise<TableStores> {
  const counter = new TableCounter();
  const table = (suffix: string) => new CountedTable(tableClient(options, `${options.prefix}${suffix}`), counter);
  const tables = {
    inventory: table('Inventory'),
    evidence: table('Evidence'),
    runs: table('Runs'),
    checkpoints: table('Checkpoints'),
    drills: table('Drills'),
  };
  if (options.createIfMissing ?? true) {
    await Promise.all(
      Object.values(tables).map(async ({ client }) => {
        try {
          // The SDK answers 409 TableAlreadyExists by returning normally.
          await client.createTable();
        } catch (error) {
          throw tableError('Tables', 'create', client.tableName, error);
        }
      }),
    );
  }
  return {
    inventory: new InventoryTable(tables.inventory),
    evidence: new EvidenceTable(tables.evidence),
    runs: new RunsTable(tables.runs),
    checkpoints: new CheckpointsTable(tables.checkpoints),
    drills: new DrillsTable(tables.drills),
    stats: () => counter.snapshot(),
    resetStats: () => counter.reset(),
  };
}

/** A TableClient from a connection string or from an account name and a token credential. */
export function tableClient(options: OpenTablesOptions, tableName: string): TableClient {
  if (options.connectionString) {
    const endpoint = tableEndpointOf(options.connectionString);
    if (endpoint.toLowerCase().startsWith('http:') && !isLoopbackHttp(endpoint)) {
      throw new Error(
        `Table endpoint ${endpoint} is plain http on another machine; use https (http is for Azurite on loopback only)`,
      );
    }
    return TableClient.fromConnectionString(options.connectionString, tableName, {
      allowInsecureConnection: isLoopbackHttp(endpoint),
    });
  }
  if (options.accountName && options.credential) {
    return new TableClient(`https://${options.accountName}.table.core.windows.net`, tableName, options.credential);
  }
  throw new Error('Table storage needs a connection string, or an account name and a credential (managed identity)');
}

/**
 * The table endpoint a connection string points at.
 * @example tableEndpointOf('UseDevelopmentStorage=true') // 'http://127.0.0.1:10002/devstoreaccount1'
 */
export function tableEndpointOf(connectionString: string): string {
  const parts = new Map<string, string>();
  for (const pair of connectionString.split(';')) {
    const at = pair.indexOf('=');
    if (at > 0) parts.set(pair.slice(0, at).trim().toLowerCase(), pair.slice(at + 1).trim());
  }
  if (parts.get('usedevelopmentstorage')?.toLowerCase() === 'true') return 'http://127.0.0.1:10002/devstoreaccount1';
  const explicit = parts.get('tableendpoint');
  if (explicit) return explicit;
  const protocol = parts.get('defaultendpointsprotocol') ?? 'https';
  return `${protocol}://${parts.get('accountname') ?? ''}.table.${parts.get('endpointsuffix') ?? 'core.windows.net'}`;
}
