import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteHandle } from '../../src/local/azurite.js';
import { decodeMessage, startLocalHost, type InvocationRecord, type LocalHost } from '../../src/local/functionsHost.js';

const entry = new URL('../fixtures/app/index.ts', import.meta.url).pathname;
type Received = Array<{ fn: string; input: unknown; functionName: string; invocationId: string }>;
const received = (): Received => (globalThis as { __fixtureReceived?: Received }).__fixtureReceived ?? [];

describe('local functions host', () => {
  let azurite: AzuriteHandle;
  let host: LocalHost;
  const waiters: Array<(r: InvocationRecord) => void> = [];
  const next = (predicate: (r: InvocationRecord) => boolean) =>
    new Promise<InvocationRecord>((resolve) => waiters.push((r) => predicate(r) && resolve(r)));

  beforeAll(async () => {
    azurite = await startAzurite();
    host = await startLocalHost({
      entry,
      settings: { AzureWebJobsStorage: azurite.connectionString, FIXTURE_QUEUE: 'fixture-events', FIXTURE_SCHEDULE: '*/1 * * * * *' },
      httpPort: 0,
      queueSettings: { visibilityTimeoutInMs: 0, maxPollingIntervalInMs: 200 },
      onInvocation: (r) => waiters.forEach((w) => w(r)),
    });
  });
  afterAll(async () => {
    await host?.close();
    await azurite?.close();
  });

  it('collects the registrations the app makes with app.storageQueue/app.timer/app.http', () => {
    expect(host.functions.map((f) => [f.name, f.trigger.type])).toEqual([
      ['onMessage', 'queueTrigger'],
      ['tick', 'timerTrigger'],
      ['echo', 'httpTrigger'],
    ]);
  });

  it('feeds a queued message to the queue-triggered handler, decoded as the host does', async () => {
    const queue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient('fixture-events');
    const done = next((r) => r.functionName === 'onMessage');
    await queue.sendMessage(Buffer.from(JSON.stringify({ hello: 'world' })).toString('base64'));
    const record = await done;
    expect(record.outcome).toBe('succeeded');
    const got = received().find((r) => r.fn === 'onMessage' && r.invocationId === record.invocationId);
    expect(got?.input).toEqual({ hello: 'world' });
    expect(got?.functionName).toBe('onMessage');
    expect((await queue.peekMessages()).peekedMessageItems).toHaveLength(0);
  });

  it('moves a message that keeps failing to the poison queue after maxDequeueCount', async () => {
    const service = QueueServiceClient.fromConnectionString(azurite.connectionString);
    const queue = service.getQueueClient('fixture-events');
    const failures: InvocationRecord[] = [];
    const fifth = new Promise<void>((resolve) =>
      waiters.push((r) => {
        if (r.functionName === 'onMessage' && r.outcome === 'failed') failures.push(r);
        if (failures.length === 5) resolve();
      }),
    );
    await queue.sendMessage(Buffer.from(JSON.stringify({ fail: true })).toString('base64'));
    await fifth;
    const poison = service.getQueueClient('fixture-events-poison');
    await expect.poll(async () => (await poison.exists()) && (await poison.peekMessages()).peekedMessageItems.length, { timeout: 10_000 }).toBe(1);
    expect(failures).toHaveLength(5);
  });

  it('fires a timer function on its NCRONTAB schedule', async () => {
    const record = await next((r) => r.functionName === 'tick');
    expect(record.outcome).toBe('succeeded');
    const timer = received().find((r) => r.invocationId === record.invocationId)?.input as { isPastDue: boolean; scheduleStatus: { next: string } };
    expect(timer.isPastDue).toBe(false);
    expect(Date.parse(timer.scheduleStatus.next)).toBeGreaterThan(Date.parse('2020-01-01'));
  });

  it('serves HTTP functions under /api on loopback', async () => {
    const response = await fetch(`${host.httpUrl}/api/echo`, { method: 'POST', body: 'ping' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ got: 'ping', fn: 'echo' });
    expect((await fetch(`${host.httpUrl}/api/nowhere`)).status).toBe(404);
  });

  it('decodes messages like the host: base64 JSON to objects, other text to strings, bad base64 refused', () => {
    expect(decodeMessage(Buffer.from('{"a":1}').toString('base64'), 'base64')).toEqual({ a: 1 });
    expect(decodeMessage(Buffer.from('plain').toString('base64'), 'base64')).toBe('plain');
    expect(decodeMessage('{"a":1}', 'none')).toEqual({ a: 1 });
    expect(() => decodeMessage('{"a":1}', 'base64')).toThrow(/not valid base64/);
  });
});

describe('local functions host HTTP port', () => {
  it('takes a free port when the one asked for is busy', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const busy = (blocker.address() as { port: number }).port;
    const azurite = await startAzurite();
    const lines: string[] = [];
    const host = await startLocalHost({
      entry,
      settings: { AzureWebJobsStorage: azurite.connectionString, FIXTURE_QUEUE: 'fixture-port', FIXTURE_SCHEDULE: '0 0 0 1 1 *' },
      httpPort: busy,
      log: (l) => lines.push(l),
    });
    try {
      expect(host.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(host.httpUrl).not.toContain(`:${busy}`);
      expect(lines.join('\n')).toContain(`port ${busy} is busy`);
      expect((await fetch(`${host.httpUrl}/api/echo`, { method: 'POST', body: 'x' })).status).toBe(200);
    } finally {
      await host.close();
      await azurite.close();
      blocker.close();
    }
  });
});
