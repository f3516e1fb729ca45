import { fork, type ChildProcess } from 'node:child_process';
import { openTables } from '../src/adapters/azure/tables/tables.js';
import { startAzurite } from '../src/local/azurite.js';
import { startEmulator, type EmulatorOptions } from '../src/local/emulator/index.js';
import { sandboxSettings } from '../src/local/sandboxSettings.js';
import { estateFor, type EstateSpec } from './estates.js';

/** What the sandbox child runs: an estate, and how the emulator throttles. */
export interface SandboxSpec {
  readonly estate: EstateSpec;
  /** `arm`: ARM's token buckets per principal and subscription (reads 250 + 25/s, writes and deletes 200 + 10/s); `off`: none. */
  readonly throttle: 'arm' | 'off';
  /** Table prefix the inventory rows of a sweep estate are seeded under. */
  readonly tablePrefix: string;
}

export interface Sandbox {
  /** App settings pointing at the sandbox's Azurite and emulator. */
  readonly settings: Record<string, string>;
  /** The sandbox process's id: a run reads its CPU time (/proc) to show what the emulator and Azurite spent. */
  readonly pid: number;
  /** Resident memory of the sandbox process (emulator and Azurite), for the record. */
  rssMb(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Azurite and the emulator in a child process of their own, so the benchmark's process holds the warden alone and
 * its peak RSS is the warden's. The child seeds the estate (and, for the sweep, its inventory rows) before it reports.
 */
export async function startSandbox(spec: SandboxSpec): Promise<Sandbox> {
  const child = fork(process.argv[1]!, ['__sandbox', JSON.stringify(spec)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await reply<{ type: 'ready'; settings: Record<string, string> }>(child, 'ready');
  return {
    settings: ready.settings,
    pid: child.pid!,
    rssMb: async () => {
      child.send({ type: 'rss' });
      return (await reply<{ type: 'rss'; mb: number }>(child, 'rss')).mb;
    },
    close: async () => {
      child.send({ type: 'close' });
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

function reply<T extends { type: string }>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      if ((message as { type?: string }).type !== type) return;
      cleanup();
      resolve(message as T);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`the sandbox process exited (code ${code}) before answering "${type}"`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** The child side: `node dist/bench/run.js __sandbox <spec>`. */
export async function sandboxMain(specJson: string): Promise<void> {
  const spec = JSON.parse(specJson) as SandboxSpec;
  const estate = estateFor(spec.estate);
  const azurite = await startAzurite();
  const options: EmulatorOptions = {
    snapshot: estate.snapshot,
    ...(estate.now ? { now: () => new Date(estate.now!) } : {}),
    ...(spec.throttle === 'arm' ? { throttling: 'arm' as const } : {}),
  };
  const emulator = await startEmulator(options);
  const settings = {
    ...sandboxSettings(azurite, emulator),
    TABLE_PREFIX: spec.tablePrefix,
    FALLBACK_MAILBOX: 'dba-team@contoso.com',
    ALLOWED_RECIPIENT_DOMAINS: 'contoso.com',
  };
  if (estate.rows.length > 0) {
    const stores = await openTables({
      connectionString: azurite.connectionString,
      prefix: spec.tablePrefix,
      createIfMissing: true,
    });
    const outcomes = await stores.inventory.upsertMany(estate.rows.map((record) => ({ record })));
    if (outcomes.some((o) => 'conflict' in o)) throw new Error('seeding the inventory hit a conflict');
  }
  process.on('message', (message: { type: string }) => {
    if (message.type === 'rss') process.send?.({ type: 'rss', mb: process.memoryUsage.rss() / 1024 / 1024 });
    if (message.type === 'close') {
      void emulator
        .close()
        .then(() => azurite.close())
        .then(() => process.exit(0));
    }
  });
  process.send?.({ type: 'ready', settings });
}
