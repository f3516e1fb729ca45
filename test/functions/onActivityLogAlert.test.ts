import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseQueueMessage } from '../../src/domain/events.js';
import { SUB1 } from '../support/estate.js';
import { startStack, type TestStack } from '../support/stack.js';
import { activityLogAlert } from './alertBody.js';

const SERVER_ID = `/subscriptions/${SUB1}/resourceGroups/rg-prod/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-orders-restore`;

describe('onActivityLogAlert (HTTP trigger), called with a real InvocationContext', () => {
  let stack: TestStack;
  let queue: QueueClient;
  let handler: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;
  const logged: string[] = [];

  beforeAll(async () => {
    stack = await startStack();
    // config() reads process.env once per process: point it at this stack before the handler first runs.
    Object.assign(process.env, stack.settings);
    queue = new QueueClient(stack.azurite.connectionString, stack.config.eventsQueueName);
    await queue.createIfNotExists();
    ({ onActivityLogAlert: handler } = await import('../../functions/onActivityLogAlert.js'));
  });
  afterAll(async () => {
    await stack?.close();
  });
  beforeEach(async () => {
    await queue.clearMessages();
    logged.length = 0;
  });

  const context = () =>
    new InvocationContext({
      functionName: 'onActivityLogAlert',
      invocationId: 'test',
      logHandler: (level, ...args) => logged.push(`${level}: ${args.join(' ')}`),
    });
  const post = (body: string) =>
    handler(
      new HttpRequest({ method: 'POST', url: 'http://127.0.0.1/api/activity-log-alert', body: { string: body } }),
      context(),
    );
  const queued = async () =>
    (await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 1 })).receivedMessageItems.map((m) =>
      Buffer.from(m.messageText, 'base64').toString('utf8'),
    );

  it('accepts a valid alert on a flexible server: 202, and the alert is on the events queue as the pipeline reads it', async () => {
    const body = JSON.stringify(activityLogAlert(SERVER_ID, { at: '2026-11-20T09:14:03Z' }));
    const response = await post(body);
    expect(response.status).toBe(202);
    expect(response.jsonBody).toEqual({ queued: 1, ignored: 0 });

    const messages = await queued();
    expect(messages).toEqual([body]);
    const [event] = parseQueueMessage(JSON.parse(messages[0]!) as unknown);
    expect(event).toMatchObject({
      source: 'activity-log',
      kind: 'changed',
      key: SERVER_ID.toLowerCase(),
      eventTime: '2026-11-20T09:14:03.000Z',
    });
    expect(logged.join('\n')).toMatch(/queued 1 event/);
  });

  it('answers 400 naming the problem for a body that is not JSON, and queues nothing', async () => {
    const response = await post('{"schemaId": "azureMonitorCommonAlertSchema", "data": {');
    expect(response.status).toBe(400);
    expect((response.jsonBody as { error: string }).error).toMatch(/^The body is not JSON: /);
    expect(await queued()).toEqual([]);
    expect(logged.join('\n')).toMatch(/warning: rejected alert: The body is not JSON/);
  });

  it('answers 400 naming the field for an alert in another schema, and queues nothing', async () => {
    const alert = activityLogAlert(SERVER_ID);
    const response = await post(JSON.stringify({ ...alert, schemaId: 'Microsoft.Insights/activityLogs' }));
    expect(response.status).toBe(400);
    expect((response.jsonBody as { error: string }).error).toMatch(
      /schemaId: expected "azureMonitorCommonAlertSchema", got "Microsoft.Insights\/activityLogs"/,
    );
    expect(await queued()).toEqual([]);
  });

  it('answers 400 for an alert whose claims are not a JSON string, and queues nothing', async () => {
    const alert = activityLogAlert(SERVER_ID) as { data: { alertContext: Record<string, unknown> } };
    alert.data.alertContext.claims = '{not json';
    const response = await post(JSON.stringify(alert));
    expect(response.status).toBe(400);
    expect((response.jsonBody as { error: string }).error).toMatch(/claims/);
    expect(await queued()).toEqual([]);
  });

  it('accepts but queues nothing for an alert on another resource type (202, counted as ignored)', async () => {
    const vm = `/subscriptions/${SUB1}/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/vm-1`;
    const response = await post(
      JSON.stringify(activityLogAlert(vm, { operationName: 'Microsoft.Compute/virtualMachines/restart/action' })),
    );
    expect(response.status).toBe(202);
    expect(response.jsonBody).toEqual({ queued: 0, ignored: 1 });
    expect(await queued()).toEqual([]);
  });
});
