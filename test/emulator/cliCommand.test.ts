import { PostgreSQLManagementFlexibleServerClient } from '@azure/arm-postgresql-flexible';
import { QueueClient } from '@azure/storage-queue';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { emulatorCommand } from '../../src/cli/commands/emulator.js';
import { emulatorCredential } from '../../src/local/emulator/index.js';
import { collect, SUB2 } from './helpers.js';

describe('pitr-warden emulator', () => {
  it('prints endpoints, serves the demo estate until stopped, then closes', async () => {
    let printed!: (text: string) => void;
    const output = new Promise<string>((resolve) => (printed = resolve));
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const errors: string[] = [];
    const command = emulatorCommand({
      io: { out: (t) => printed(t), err: (t) => errors.push(t) },
      waitForStop: () => stopped,
    });
    const running = command.parseAsync(
      ['--snapshot', 'examples/estate.json', '--no-data-plane', '--queue', 'cli-events', '--output', 'json'],
      { from: 'user' },
    );

    const info = JSON.parse(await output) as {
      armEndpoint: string;
      caCertPath: string;
      subscriptionIds: string[];
      storageConnectionString: string;
      queueName: string;
      acsConnectionString: string;
    };
    expect(info.subscriptionIds).toEqual(['00000000-0000-4000-8000-000000000001', SUB2]);
    expect(info.acsConnectionString).toMatch(/^endpoint=https:\/\/127\.0\.0\.1:\d+\/;accesskey=/);
    const client = new PostgreSQLManagementFlexibleServerClient(emulatorCredential(), SUB2, {
      endpoint: info.armEndpoint,
      tlsOptions: { ca: readFileSync(info.caCertPath, 'utf8') },
    });
    const names = (await collect(client.servers.listBySubscription())).map((s) => s.name);
    expect(names).toContain('pg-analytics-prod-pitr-1101');
    expect(await new QueueClient(info.storageConnectionString, info.queueName).exists()).toBe(true);

    stop();
    await running;
    expect(errors).toEqual(['Emulator stopped.']);
    // Closed: a plain connection (no SDK retries) is refused.
    const refused = await new Promise<string>((resolve) => {
      connect(Number(new URL(info.armEndpoint).port), '127.0.0.1')
        .on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? ''))
        .on('connect', () => resolve('connected'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});

describe('the emulator listens on loopback only', () => {
  it('startEmulator refuses any other address before it listens', async () => {
    const { startEmulator } = await import('../../src/local/emulator/index.js');
    await expect(startEmulator({ host: '0.0.0.0' })).rejects.toThrow(
      'The emulator listens on loopback only (127.0.0.1, ::1 or localhost); refused host "0.0.0.0"',
    );
    await expect(startEmulator({ host: '192.168.1.20' })).rejects.toThrow(/loopback only/);
  });

  it('`pitr-warden emulator --host 0.0.0.0` is refused input (commander exit code) naming the option', async () => {
    const errors: string[] = [];
    const command = emulatorCommand({ io: { out: () => undefined, err: (t) => errors.push(t) } })
      .exitOverride()
      .configureOutput({ writeErr: (t) => errors.push(t), writeOut: () => undefined });
    await expect(command.parseAsync(['--host', '0.0.0.0'], { from: 'user' })).rejects.toMatchObject({
      code: 'commander.invalidArgument',
    });
    expect(errors.join('')).toContain(
      "option '--host <address>' argument '0.0.0.0' is invalid. the emulator listens on loopback only",
    );
  });
});
