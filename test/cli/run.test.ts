import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/cli/commands/run.js';
import { startAzurite, type AzuriteHandle } from '../../src/local/azurite.js';
import { startLocalHost, type LocalHost } from '../../src/local/functionsHost.js';
import type { JobRun } from '../../src/ports/inventory.js';

const entry = new URL('../fixtures/app/index.ts', import.meta.url).pathname;

describe('pitr-warden run <function> --local', () => {
  let azurite: AzuriteHandle;
  let host: LocalHost;
  beforeAll(async () => {
    azurite = await startAzurite();
    // A timer that never fires by itself: every run of `tick` here comes from the admin endpoint.
    host = await startLocalHost({
      entry,
      settings: {
        AzureWebJobsStorage: azurite.connectionString,
        FIXTURE_QUEUE: 'run-cli',
        FIXTURE_SCHEDULE: '0 0 0 1 1 *',
      },
      httpPort: 0,
    });
  });
  afterAll(async () => {
    await host?.close();
    await azurite?.close();
  });

  async function run(args: string[], runs?: JobRun[]) {
    const out: string[] = [];
    const err: string[] = [];
    let exitCode: number | undefined;
    const command = runCommand({
      io: { out: (t) => out.push(t), err: (t) => err.push(t) },
      setExitCode: (code) => (exitCode = code),
      stack: () => ({ PITR_WARDEN_LOCAL_HTTP_URL: host.httpUrl }),
      ...(runs ? { runs: () => Promise.resolve({ list: () => Promise.resolve(runs) }), pollIntervalInMs: 1 } : {}),
    });
    command.exitOverride().configureOutput({ writeOut: (t) => out.push(t), writeErr: (t) => err.push(t) });
    await command.parseAsync(args, { from: 'user' });
    return { stdout: out.join('\n'), stderr: err.join('\n'), exitCode };
  }

  it('starts the function through POST /admin/functions/<name> (202) and says where its outcome goes', async () => {
    const before = host.invocations.filter((i) => i.functionName === 'tick').length;
    const result = await run(['tick', '--local']);
    expect(result.exitCode).toBeUndefined();
    expect(result.stdout).toMatch(/^tick: started on the local host \(http:\/\/127\.0\.0\.1:\d+\) at .*add --wait/);
    await expect.poll(() => host.invocations.filter((i) => i.functionName === 'tick').length).toBe(before + 1);
  });

  it('--wait reports the outcome from the runs table, exit 1 when the job failed', async () => {
    const later = new Date(Date.now() + 5_000).toISOString();
    const failed = await run(
      ['tick', '--local', '--wait', '--output', 'json'],
      [
        {
          job: 'tick',
          lastStartedAt: later,
          lastFinishedAt: later,
          lastOutcome: 'failed',
          lastError: 'listing failed',
        },
      ],
    );
    expect(failed.exitCode).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({
      function: 'tick',
      accepted: true,
      outcome: 'failed',
      error: 'listing failed',
    });
    const ok = await run(
      ['tick', '--local', '--wait'],
      [{ job: 'tick', lastStartedAt: later, lastFinishedAt: later, lastOutcome: 'succeeded', counts: { servers: 3 } }],
    );
    expect(ok.exitCode).toBeUndefined();
    expect(ok.stdout).toBe('tick: succeeded (servers 3)');
  });

  it('an unknown function is refused input (exit 2) listing the functions there are', async () => {
    const result = await run(['nosuch', '--local']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('nosuch: 404 No function named nosuch; functions: onMessage, tick, echo');
  });

  it('without --local it is refused input (exit 2) that says how to run a function in Azure', async () => {
    const result = await run(['tick']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('add --local');
  });
});
