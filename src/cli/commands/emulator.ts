import { Command, InvalidArgumentError, Option } from 'commander';
import { existsSync } from 'node:fs';
import { DEFAULTS } from '../../config.js';
import { startAzurite } from '../../local/azurite.js';
import { isLoopbackHost, startEmulator, type EventSchema } from '../../local/emulator/index.js';
import { outputOption, processIo, type Io, type OutputFormat } from '../output.js';

export interface EmulatorCommandOptions {
  readonly io?: Io;
  /** Resolves when the emulator should stop (default: SIGINT or SIGTERM). */
  readonly waitForStop?: () => Promise<void>;
}

interface Flags {
  snapshot?: string;
  port: string;
  host: string;
  schema: EventSchema;
  queue: string;
  timeScale: string;
  pageSize: string;
  mailboxDir?: string;
  dataPlane: boolean;
  output: OutputFormat;
}

const DEMO_ESTATE = 'examples/estate.json';

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

const integer = (name: string, value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`--${name} must be a whole number >= 0; got ${JSON.stringify(value)}`);
  return n;
};

const scale = (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new Error(`--time-scale must be a number >= 0; got ${JSON.stringify(value)}`);
  return n;
};

function loopbackHost(value: string): string {
  if (!isLoopbackHost(value))
    throw new InvalidArgumentError(
      `the emulator listens on loopback only (127.0.0.1, ::1 or localhost), not ${JSON.stringify(value)}`,
    );
  return value;
}

/**
 * `pitr-warden emulator [--snapshot <file>] [--port <n>] [--schema …]`: the local Azure emulator with its own Azurite for
 * the event queue; prints where everything is and runs until SIGINT/SIGTERM.
 * @example program.addCommand(emulatorCommand());
 */
export function emulatorCommand(options: EmulatorCommandOptions = {}): Command {
  const io = options.io ?? processIo;
  return new Command('emulator')
    .description(
      'Run the local Azure emulator (ARM, ACS Email, retail prices) with Azurite for the event queue, until stopped',
    )
    .option('-s, --snapshot <file>', `seed snapshot (default: ${DEMO_ESTATE} when present)`)
    .option('-p, --port <n>', 'HTTPS port (0 picks a free one)', '0')
    .option(
      '--host <address>',
      'loopback address to listen on (127.0.0.1, ::1 or localhost; nothing else)',
      loopbackHost,
      '127.0.0.1',
    )
    .addOption(
      new Option('--schema <schema>', 'Event Grid delivery schema')
        .choices(['EventGridSchema', 'CloudEventSchemaV1_0'])
        .default('EventGridSchema'),
    )
    .option('--queue <name>', 'queue that receives the resource events', DEFAULTS.EVENTS_QUEUE_NAME)
    .option(
      '--time-scale <x>',
      'real time per unit of Azure time for long-running operations (1: as long as Azure, e.g. a restore 6.5 min; 0.01: 100x faster; 0: done at the first poll)',
      '0',
    )
    .option('--page-size <n>', 'items per page of list operations', '100')
    .option('--mailbox-dir <dir>', 'also write each sent email as a JSON file here')
    .option('--no-data-plane', 'do not start real PostgreSQL behind the servers the snapshot lists in "dataPlanes"')
    .addOption(outputOption('table'))
    .action(async (flags: Flags) => {
      const snapshot = flags.snapshot ?? (existsSync(DEMO_ESTATE) ? DEMO_ESTATE : undefined);
      const azurite = await startAzurite({ host: flags.host });
      let emulator;
      try {
        emulator = await startEmulator({
          ...(snapshot ? { snapshot } : {}),
          port: integer('port', flags.port),
          host: flags.host,
          events: { connectionString: azurite.connectionString, queueName: flags.queue, schema: flags.schema },
          timeScale: scale(flags.timeScale),
          pageSize: Math.max(1, integer('page-size', flags.pageSize)),
          ...(flags.mailboxDir ? { mailboxDir: flags.mailboxDir } : {}),
          dataPlane: flags.dataPlane,
        });
      } catch (error) {
        await azurite.close();
        throw error;
      }
      const info = {
        armEndpoint: emulator.armEndpoint,
        acsConnectionString: emulator.acsConnectionString,
        caCertPath: emulator.caCertPath,
        subscriptionIds: emulator.subscriptionIds,
        retailPricesEndpoint: emulator.pricesEndpoint,
        storageConnectionString: azurite.connectionString,
        queueName: flags.queue,
        eventSchema: flags.schema,
        snapshot: snapshot ?? null,
        admin: `${emulator.armEndpoint}/_emulator`,
        dataPlanes: emulator.dataPlanes.list().map((id) => emulator.dataPlanes.connection(id)!),
      };
      if (flags.output === 'json') {
        io.out(JSON.stringify(info, null, 2));
      } else {
        io.out(
          [
            'Local Azure emulator running',
            `  ARM endpoint           ${info.armEndpoint}`,
            `  ACS connection string  ${info.acsConnectionString}`,
            `  CA certificate         ${info.caCertPath}`,
            `  Subscriptions          ${info.subscriptionIds.join(', ')}`,
            `  Retail prices          ${info.retailPricesEndpoint}/api/retail/prices`,
            `  Storage (Azurite)      ${info.storageConnectionString}`,
            `  Event queue            ${info.queueName} (${info.eventSchema}, one Base64 JSON event per message)`,
            `  Seed                   ${info.snapshot ?? '(empty)'}`,
            `  Admin                  ${info.admin} (requests, faults, mailbox, events, clock, snapshot, dataplanes, reset)`,
            ...info.dataPlanes.map(
              (c) =>
                `  PostgreSQL             ${c.serverId.split('/').pop()!}: host=${c.host} port=${c.port} user=${c.user} password=${c.password} dbname=${c.database} sslmode=verify-full sslrootcert=${info.caCertPath}`,
            ),
            '',
            'Point the warden at it:',
            `  ARM_ENDPOINT=${info.armEndpoint} ARM_CA_CERT_PATH=${info.caCertPath} WARDEN_CREDENTIAL=emulator \\`,
            `  ACS_CONNECTION_STRING='${info.acsConnectionString}' RETAIL_PRICES_ENDPOINT=${info.retailPricesEndpoint} \\`,
            `  GOVERNED_SUBSCRIPTION_IDS=${info.subscriptionIds.join(',')} AzureWebJobsStorage='${info.storageConnectionString}' EVENTS_QUEUE_NAME=${info.queueName}`,
            '',
            'Press Ctrl+C to stop.',
          ].join('\n'),
        );
      }
      try {
        await (options.waitForStop ?? untilSignal)();
      } finally {
        await emulator.close();
        await azurite.close();
        io.err('Emulator stopped.');
      }
    });
}
