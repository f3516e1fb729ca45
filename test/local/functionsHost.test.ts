import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AzuriteHandle } from '../../src/local/azurite.js';
import { workerAzurite } from '../support/azurite.js';
import { decodeMessage, startLocalHost, type InvocationRecord, type LocalHost } from '../../src/local/functionsHost.js';

const entry = new URL('../fixtures/app/index.ts', import.meta.url).pathname;
type Received = Array<{ fn: string; input: unknown; functionName: string; invocationId: string }>;
const received = (): Received => (globalThis as { __fixtureReceived?: Received }).__fixtureReceived ?? [];

describe('local functions host', () => {
  let azurite: AzuriteHandle;
  let host: LocalHost;
  const waiters: Array<(r: InvocationRecord) => void> = [];
  const lines: string[] = [];
  const next = (predicate: (r: InvocationRecord) => boolean) =>
    new Promise<InvocationRecord>((resolve) => waiters.push((r) => predicate(r) && resolve(r)));

  beforeAll(async () => {
    azurite = await workerAzurite();
    host = await startLocalHost({
      entry,
      settings: {
        AzureWebJobsStorage: azurite.connectionString,
        FIXTURE_QUEUE: 'fixture-events',
        FIXTURE_SCHEDULE: '*/1 * * * * *',
        FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '4096',
      },
      log: (line) => lines.push(line),
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
    // host.json says messageEncoding "none": the text reaches the function as it was queued (base64 stays text; the
    // warden's intake decodes it), JSON as an object.
    const base64 = Buffer.from(JSON.stringify({ hello: 'world' })).toString('base64');
    await queue.sendMessage(base64);
    const record = await done;
    expect(record.outcome).toBe('succeeded');
    const got = received().find((r) => r.fn === 'onMessage' && r.invocationId === record.invocationId);
    expect(got?.input).toBe(base64);
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
    await queue.sendMessage(JSON.stringify({ fail: true }));
    await fifth;
    const poison = service.getQueueClient('fixture-events-poison');
    await expect
      .poll(async () => (await poison.exists()) && (await poison.peekMessages()).peekedMessageItems.length)
      .toBe(1);
    expect(failures).toHaveLength(5);
  });

  it('accepts a message queued as plain JSON (host.json messageEncoding "none"), as well as base64', async () => {
    const queue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient('fixture-events');
    const done = next((r) => r.functionName === 'onMessage');
    await queue.sendMessage(JSON.stringify({ plain: 'json' }));
    const record = await done;
    expect(record.outcome).toBe('succeeded');
    expect(received().find((r) => r.invocationId === record.invocationId)?.input).toEqual({ plain: 'json' });
  });

  it('logs why a message failed on every attempt, and when it moves it to the poison queue', async () => {
    const queue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient('fixture-events');
    const { messageId } = await queue.sendMessage(JSON.stringify({ fail: 'again' }));
    await expect
      .poll(
        () =>
          lines.filter((l) => l.includes(`queue message ${messageId} failed 5 times; moved to fixture-events-poison`))
            .length,
        { timeout: 10_000 },
      )
      .toBe(1);
    expect(lines.filter((l) => l === '[onMessage] failed: asked to fail').length).toBeGreaterThanOrEqual(5);
  });

  it('runs a function now on POST /admin/functions/<name> with {"input": ...}, answering 202 as Core Tools does', async () => {
    const done = next((r) => r.functionName === 'onMessage' && r.outcome === 'succeeded');
    const response = await fetch(`${host.httpUrl}/admin/functions/onMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: '{"via":"admin"}' }),
    });
    expect(response.status).toBe(202);
    const record = await done;
    expect(received().find((r) => r.invocationId === record.invocationId)?.input).toEqual({ via: 'admin' });
    expect(
      (await fetch(`${host.httpUrl}/admin/functions/nothere`, { method: 'POST', body: '{"input":""}' })).status,
    ).toBe(404);
    expect(
      (await fetch(`${host.httpUrl}/admin/functions/onMessage`, { method: 'POST', body: 'not json' })).status,
    ).toBe(400);
    expect((await fetch(`${host.httpUrl}/admin/functions/echo`, { method: 'POST', body: '{"input":""}' })).status).toBe(
      400,
    );
  });

  it('refuses a request body over FUNCTIONS_REQUEST_BODY_SIZE_LIMIT with 413 before any function runs', async () => {
    const before = host.invocations.filter((i) => i.functionName === 'echo').length;
    const response = await fetch(`${host.httpUrl}/api/echo`, { method: 'POST', body: 'x'.repeat(5000) });
    expect(response.status).toBe(413);
    expect(await response.text()).toContain('4096 bytes');
    expect(host.invocations.filter((i) => i.functionName === 'echo').length).toBe(before);
    expect((await fetch(`${host.httpUrl}/api/echo`, { method: 'POST', body: 'x'.repeat(4000) })).status).toBe(200);
  });

  it('fires a timer function on its NCRONTAB schedule', async () => {
    const record = await next((r) => r.functionName === 'tick');
    expect(record.outcome).toBe('succeeded');
    const timer = received().find((r) => r.invocationId === record.invocationId)?.input as {
      isPastDue: boolean;
      scheduleStatus: { next: string };
    };
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
    const azurite = await workerAzurite();
    const lines: string[] = [];
    const host = await startLocalHost({
      entry,
      settings: {
        AzureWebJobsStorage: azurite.connectionString,
        FIXTURE_QUEUE: 'fixture-port',
        FIXTURE_SCHEDULE: '0 0 0 1 1 *',
      },
      httpPort: busy,
      log: (l) => lines.push(l),
    });
    try {
      expect(host.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(host.httpUrl).not.toContain(`:${busy}`);
      expect(lines.join('\n')).toContain(`port ${busy} is busy`);
      expect((await fetch(`${host.httpUrl}/api/echo`, { method: 'POST', body: 'x' })).status).toBe(200);
      const ticked = received().filter((r) => r.fn === 'tick').length;
      expect(
        (await fetch(`${host.httpUrl}/admin/functions/tick`, { method: 'POST', body: '{"input":""}' })).status,
      ).toBe(202);
      await expect.poll(() => received().filter((r) => r.fn === 'tick').length).toBe(ticked + 1);
    } finally {
      await host.close();
      await azurite.close();
      blocker.close();
    }
  });
});

describe('local functions host entries in one process (a test worker hosts the app file after file)', () => {
  it('a second host of an entry gets the functions that entry registered, and one a test imported first gets its own', async () => {
    const single = new URL('../fixtures/app/single.ts', import.meta.url).pathname;
    // Imported directly, as a test calls a trigger: the module registers 'single' now, so hosting it registers nothing new.
    await import('../fixtures/app/single.js');
    const storage = (await workerAzurite()).connectionString;
    const first = await startLocalHost({ entry: single, settings: {} });
    const again = await startLocalHost({
      entry,
      settings: { AzureWebJobsStorage: storage, FIXTURE_QUEUE: 'fixture-events', FIXTURE_SCHEDULE: '0 0 0 1 1 *' },
    });
    const third = await startLocalHost({
      entry,
      settings: { AzureWebJobsStorage: storage, FIXTURE_QUEUE: 'fixture-events', FIXTURE_SCHEDULE: '0 0 0 1 1 *' },
    });
    try {
      expect(first.functions.map((f) => f.name)).toEqual(['single']);
      expect(third.functions.map((f) => f.name)).toEqual(again.functions.map((f) => f.name));
      expect(third.functions.map((f) => f.name)).not.toContain('single');
    } finally {
      await Promise.all([first.close(), again.close(), third.close()]);
    }
  });
});

describe('local functions host start hooks', () => {
  it("runs the app's appStart hooks before any trigger, and a hook that throws stops the start", async () => {
    const failing = new URL('../fixtures/app/failingStart.ts', import.meta.url).pathname;
    await expect(startLocalHost({ entry: failing, settings: {}, httpPort: 0 })).rejects.toThrow(
      'POLICY_PATH: fixture says no',
    );
    expect((globalThis as { __neverRan?: boolean }).__neverRan).toBeUndefined();
  });
});
