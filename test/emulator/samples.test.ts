import { EmailClient } from '@azure/communication-email';
import type { FullOperationResponse } from '@azure/core-client';
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AzuriteHandle } from '../../src/local/azurite.js';
import { workerAzurite } from '../support/azurite.js';
import { emailClientOptions, startEmulator, type Emulator } from '../../src/local/emulator/index.js';
import { sample } from '../support/samples.js';
import { baseSnapshot, clients, collect, missingKeys, now, SUB1, serverIdOf, type Json } from './helpers.js';

/** The emulator's answers carry every field of the matching Microsoft example (key sets compared; tag names and claims are data). */

let azurite: AzuriteHandle;
let emulator: Emulator;
let c: ReturnType<typeof clients>;
const QUEUE = 'sample-events';

/** Captures every response of an SDK call with its wire body (parsedBody is the SDK's flattened model). */
function capture() {
  const responses: (FullOperationResponse & { wire: Json })[] = [];
  const onResponse = (raw: FullOperationResponse) =>
    void responses.push(Object.assign(raw, { wire: raw.bodyAsText ? JSON.parse(raw.bodyAsText) : undefined }));
  return { responses, onResponse };
}

beforeAll(async () => {
  azurite = await workerAzurite();
  emulator = await startEmulator({
    snapshot: baseSnapshot(),
    now,
    pageSize: 1,
    events: { connectionString: azurite.connectionString, queueName: QUEUE },
  });
  c = clients(emulator);
});
afterAll(async () => {
  await emulator.close();
  await azurite.close();
});

describe('PostgreSQL 2025-08-01 examples', () => {
  it('ServersGet', async () => {
    const { responses, onResponse } = capture();
    await c.postgres.servers.get('rg-prod', 'pg-prod', { onResponse });
    expect(
      missingKeys(sample('postgresql-2025-08-01/ServersGet.json').responses['200'].body, responses[0]!.wire),
    ).toEqual([]);
  });

  it('ServersListBySubscription and ServersListByResourceGroup (their first item is a VNet server)', async () => {
    const { responses, onResponse } = capture();
    await collect(c.postgres.servers.listByResourceGroup('rg-prod', { onResponse }));
    const pages = responses.map((r) => r.wire as { value: { name: string }[]; nextLink?: string });
    const vnetItem = pages.flatMap((p) => p.value).find((s) => s.name === 'pg-vnet');
    const observed = { value: [vnetItem], nextLink: pages[0]!.nextLink };
    // authConfig.tenantId appears only with Entra authentication, standbyAvailabilityZone only with zone-redundant HA.
    const optional = [
      'value[].properties.authConfig.tenantId',
      'value[].properties.highAvailability.standbyAvailabilityZone',
    ];
    for (const file of ['ServersListBySubscription', 'ServersListByResourceGroup']) {
      expect(
        missingKeys(sample(`postgresql-2025-08-01/${file}.json`).responses['200'].body, observed, optional),
        file,
      ).toEqual([]);
    }
  });

  it('ServersCreatePointInTimeRestore, ServersUpdate, ServersDelete: 202 with Azure-AsyncOperation and Location', async () => {
    const create = capture();
    await c.postgres.servers.beginCreateOrUpdateAndWait(
      'rg-restore',
      'pg-sample-pitr',
      {
        location: 'eastus',
        createMode: 'PointInTimeRestore',
        sourceServerResourceId: serverIdOf(SUB1, 'rg-prod', 'pg-prod'),
        pointInTimeUTC: new Date('2026-11-20T00:00:00Z'),
      },
      { onResponse: create.onResponse },
    );
    const update = capture();
    await c.postgres.servers.beginUpdateAndWait(
      'rg-restore',
      'pg-sample-pitr',
      { tags: { a: 'b' } },
      { onResponse: update.onResponse },
    );
    const remove = capture();
    await c.postgres.servers.beginDeleteAndWait('rg-restore', 'pg-sample-pitr', { onResponse: remove.onResponse });
    for (const [file, got] of [
      ['ServersCreatePointInTimeRestore', create],
      ['ServersUpdate', update],
      ['ServersDelete', remove],
    ] as const) {
      const expected = Object.keys(sample(`postgresql-2025-08-01/${file}.json`).responses['202'].headers).map((h) =>
        h.toLowerCase(),
      );
      expect(got.responses[0]!.status, file).toBe(202);
      expect(
        expected.filter((h) => !got.responses[0]!.headers.get(h)),
        file,
      ).toEqual([]);
    }
  });

  it('FirewallRulesListByServer, FirewallRulesCreateOrUpdate, FirewallRulesDelete', async () => {
    const list = capture();
    await c.postgres.firewallRules.listByServer('rg-prod', 'pg-prod', { onResponse: list.onResponse }).byPage().next();
    expect(
      missingKeys(
        sample('postgresql-2025-08-01/FirewallRulesListByServer.json').responses['200'].body,
        list.responses[0]!.wire,
      ),
    ).toEqual([]);
    const put = capture();
    await c.postgres.firewallRules.beginCreateOrUpdateAndWait(
      'rg-prod',
      'pg-prod',
      'examplefirewallrule',
      { startIpAddress: '0.0.0.0', endIpAddress: '255.255.255.255' },
      { onResponse: put.onResponse },
    );
    const del = capture();
    await c.postgres.firewallRules.beginDeleteAndWait('rg-prod', 'pg-prod', 'examplefirewallrule', {
      onResponse: del.onResponse,
    });
    for (const [file, got] of [
      ['FirewallRulesCreateOrUpdate', put],
      ['FirewallRulesDelete', del],
    ] as const) {
      const expected = Object.keys(sample(`postgresql-2025-08-01/${file}.json`).responses['202'].headers).map((h) =>
        h.toLowerCase(),
      );
      expect(
        expected.filter((h) => !got.responses[0]!.headers.get(h)),
        file,
      ).toEqual([]);
    }
  });
});

describe('Tags, locks and Activity Log examples', () => {
  it('PatchTagsResource', async () => {
    const { responses, onResponse } = capture();
    await c.resources.tagsOperations.beginUpdateAtScopeAndWait(
      serverIdOf(SUB1, 'rg-other', 'pg-other').slice(1),
      { operation: 'Replace', properties: { tags: { tagKey1: 'v' } } },
      { onResponse },
    );
    expect(missingKeys(sample('arm-tags/PatchTagsResource.json').responses['200'].body, responses[0]!.wire)).toEqual(
      [],
    );
  });

  it('ScopeLocked 409 body', async () => {
    await c.locks.managementLocks.createOrUpdateAtResourceGroupLevel('rg-two-locked', 'l', { level: 'CanNotDelete' });
    const seeded = serverIdOf(SUB1, 'rg-prod', 'pg-vnet');
    await c.locks.managementLocks.createOrUpdateByScope(seeded, 'keep', { level: 'CanNotDelete' });
    const error = (await c.postgres.servers.beginDeleteAndWait('rg-prod', 'pg-vnet').catch((e: unknown) => e)) as {
      response?: { bodyAsText?: string };
    };
    const body = JSON.parse(error.response?.bodyAsText ?? '{}');
    expect(missingKeys({ error: { code: 'ScopeLocked', message: '' } }, body)).toEqual([]);
    expect(body.error.code).toBe('ScopeLocked');
  });

  it('GetActivityLogsFiltered and the Administrative event sample', async () => {
    const { responses, onResponse } = capture();
    await collect(
      c.monitor.activityLogs.list(
        "eventTimestamp ge '2026-11-20T00:00:00Z' and eventTimestamp le '2026-11-22T00:00:00Z'",
        { onResponse },
      ),
    );
    const page = responses[0]!.wire as { value: unknown[] };
    expect(missingKeys(sample('activity-log/GetActivityLogsFiltered.json').responses['200'].body, page)).toEqual([]);
    expect(missingKeys(sample('activity-log/activity-log-schema_Administrative_sample.json'), page.value[0])).toEqual(
      [],
    );
  });
});

describe('Event Grid Microsoft.Resources examples', () => {
  it('resource_write_success, resource_delete_success and resource_action_success', async () => {
    await c.postgres.servers.beginStopAndWait('rg-other', 'pg-other');
    await c.postgres.servers.beginDeleteAndWait('rg-other', 'pg-other');
    await emulator.events.flushed();
    const { receivedMessageItems } = await new QueueClient(azurite.connectionString, QUEUE).receiveMessages({
      numberOfMessages: 32,
    });
    const events = receivedMessageItems.map(
      (m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as { eventType: string },
    );
    const byType = (t: string) => events.find((e) => e.eventType === `Microsoft.Resources.${t}`);
    expect(
      missingKeys(
        sample('eventgrid-resources/event-grid-schema/resource_write_success.json'),
        byType('ResourceWriteSuccess'),
      ),
    ).toEqual([]);
    expect(
      missingKeys(
        sample('eventgrid-resources/event-grid-schema/resource_delete_success.json'),
        byType('ResourceDeleteSuccess'),
      ),
    ).toEqual([]);
    expect(
      missingKeys(
        sample('eventgrid-resources/event-grid-schema/resource_action_success.json'),
        byType('ResourceActionSuccess'),
      ),
    ).toEqual([]);
  });
});

describe('ACS Email 2023-03-31 examples', () => {
  it('SendEmail 202 (body and headers) and GetOperationStatus Succeeded', async () => {
    const { responses, onResponse } = capture();
    const client = new EmailClient(emulator.acsConnectionString, emailClientOptions(emulator));
    await (
      await client.beginSend(
        {
          senderAddress: 'a@warden.example.com',
          content: { subject: 's', plainText: 't' },
          recipients: { to: [{ address: 'b@contoso.com' }] },
        },
        { onResponse },
      )
    ).pollUntilDone();
    const send = sample('acs-email-2023-03-31/SendEmail.json').responses['202'];
    expect(missingKeys(send.body, responses[0]!.wire)).toEqual([]);
    expect(Object.keys(send.headers).filter((h) => !responses[0]!.headers.get(h))).toEqual([]);
    const done = responses.find((r) => (r.wire as { status?: string } | undefined)?.status === 'Succeeded');
    expect(
      missingKeys(
        sample('acs-email-2023-03-31/GetOperationStatusReturnsSuccessTerminalStatus.json').responses['200'].body,
        done!.wire,
      ),
    ).toEqual([]);
  });
});
