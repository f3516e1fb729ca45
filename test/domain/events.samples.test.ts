import { describe, expect, it } from 'vitest';
import { EventFormatError, parseDelivery, parseDeliveryText, type ResourceEvent } from '../../src/domain/events.js';
import {
  CLONE_ID,
  CLONE_KEY,
  fixture,
  fixtureText,
  sample,
  sampleText,
  SUBSCRIPTION,
} from '../fixtures/events/load.js';

const alice = {
  type: 'user',
  upn: 'alice@contoso.com',
  name: 'Alice Example',
  objectId: 'a1b2c3d4-0000-4000-8000-00000000a11c',
  appId: 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c',
};
const servicePrincipal = {
  type: 'service-principal',
  objectId: '0f9e8d7c-6b5a-4948-8372-615049382716',
  appId: '5d8e2f10-3c4b-4a59-9e1d-7a6b5c4d3e2f',
};
const server = {
  key: CLONE_KEY,
  engine: 'postgresql-flexible',
  resourceId: CLONE_ID,
  subscriptionId: SUBSCRIPTION,
  resourceGroup: 'rg-payments',
  serverName: 'pg-payments-restore-0412',
};

describe('Microsoft samples, as published', () => {
  it.each([
    [
      'eventgrid-resources/event-grid-schema/resource_write_success.json',
      'Microsoft.Storage/storageAccounts/{storage-name}',
      '4db48cba-50a2-455a-93b4-de41a3b5b7f6',
    ],
    [
      'eventgrid-resources/event-grid-schema/resource_delete_success.json',
      'Microsoft.Storage/storageAccounts/{storage-name}',
      '19a69642-1aad-4a96-a5ab-8d05494513ce',
    ],
    [
      'eventgrid-resources/event-grid-schema/resource_action_success.json',
      'Microsoft.EventHub/namespaces/{namespace}/AuthorizationRules/RootManageSharedAccessKey',
      '{ID}',
    ],
  ])('%s is ignored: not a flexible server', (path, resource, eventId) => {
    const events = parseDeliveryText(sampleText(path));
    expect(events).toEqual([
      {
        source: 'event-grid',
        kind: 'ignored',
        reason: expect.stringContaining(
          `not a PostgreSQL flexible server, MySQL flexible server or SQL database: /subscriptions/{subscription-id}/`,
        ),
        eventId,
      },
    ]);
    expect(events[0]).toMatchObject({ reason: expect.stringContaining(resource) });
  });

  it('the subscription validation event is ignored (Storage Queue delivery needs no handshake)', () => {
    expect(parseDelivery(sample('eventgrid-validation/subscription_validation_event.json'))).toEqual([
      {
        source: 'event-grid',
        kind: 'ignored',
        reason: 'Event Grid subscription validation: not needed for Storage Queue delivery',
        eventId: '2d1781af-3a4c-4d7c-bd0c-e34b19da4e66',
      },
    ]);
  });

  it('the validation response is not an event', () => {
    expect(() => parseDelivery(sample('eventgrid-validation/subscription_validation_response.json'))).toThrow(
      new EventFormatError(
        'delivery: not an event: expected an Event Grid event (eventType), a CloudEvents 1.0 event (specversion) or a common-alert-schema alert (schemaId)',
      ),
    );
  });

  it('the metric alert envelope sample is ignored: not an Activity Log Administrative alert', () => {
    expect(parseDelivery(sample('activity-log/common-alert-schema_envelope_sample.json'))).toEqual([
      {
        source: 'activity-log',
        kind: 'ignored',
        reason: 'not an Activity Log Administrative alert (monitoringService Platform)',
        eventId:
          '/subscriptions/<subscription ID>/providers/Microsoft.AlertsManagement/alerts/b9569717-bc32-442f-add5-83a997729330',
      },
    ]);
  });

  it('the bare alertContext sample is not a delivery (no common-alert-schema envelope)', () => {
    expect(() =>
      parseDelivery(sample('activity-log/common-alert-schema_alertContext_ActivityLog-Administrative.json')),
    ).toThrow(/^delivery: not an event/);
  });

  it('the Administrative alertContext sample inside an envelope is ignored: a virtual machine restart', () => {
    expect(parseDelivery(fixture('activity-log-alert/administrative-sample.json'))).toEqual([
      {
        source: 'activity-log',
        kind: 'ignored',
        reason:
          'not a PostgreSQL flexible server, MySQL flexible server or SQL database: /subscriptions/<subscription ID>/resourceGroups/PipeLineAlertRG/providers/Microsoft.Compute/virtualMachines/WCUS-R2-ActLog',
        eventId: '161fda7e-1cb4-4bc5-9c90-857c55a8f57b',
      },
    ]);
  });

  it.each(['resource_write_success', 'resource_delete_success', 'resource_action_success'])(
    'the CloudEvents 1.0 form of %s is ignored the same way',
    (name) => {
      const [cloud] = parseDeliveryText(fixtureText(`cloudevents/${name}.cloudevent.json`));
      const [grid] = parseDeliveryText(sampleText(`eventgrid-resources/event-grid-schema/${name}.json`));
      expect(cloud).toEqual({ ...grid, source: 'cloud-events' });
    },
  );

  it('the validation event as a CloudEvent is ignored', () => {
    expect(parseDeliveryText(fixtureText('cloudevents/subscription_validation.cloudevent.json'))).toEqual([
      {
        source: 'cloud-events',
        kind: 'ignored',
        reason: 'Event Grid subscription validation: not needed for Storage Queue delivery',
        eventId: '2d1781af-3a4c-4d7c-bd0c-e34b19da4e66',
      },
    ]);
  });
});

describe('Event Grid events on flexible servers', () => {
  it('a write is a change of the server, with the user from the claims', () => {
    expect(parseDelivery(fixture('eventgrid/flexible-server-write-success.json'))).toEqual<ResourceEvent[]>([
      {
        source: 'event-grid',
        kind: 'changed',
        ...server,
        operationName: 'Microsoft.DBforPostgreSQL/flexibleServers/write',
        eventTime: '2026-11-20T09:14:03.441Z',
        correlationId: 'c0ffee00-1234-4abc-8def-0123456789ab',
        eventId: 'd6f2a3b4-1c5e-4f70-8a9b-0c1d2e3f4a51',
        actor: alice,
        status: 'Succeeded',
      } as ResourceEvent,
    ]);
  });

  it('a delete of the server is its deletion', () => {
    expect(parseDelivery(fixture('eventgrid/flexible-server-delete-success.json'))).toEqual([
      expect.objectContaining({
        kind: 'deleted',
        ...server,
        operationName: 'Microsoft.DBforPostgreSQL/flexibleServers/delete',
        eventTime: '2026-11-27T16:02:11.008Z',
        actor: alice,
      }),
    ]);
  });

  it('a delete of a firewall rule is a change of its server, never its deletion', () => {
    const [event] = parseDelivery(fixture('eventgrid/firewall-rule-delete-success.json'));
    expect(event).toEqual(
      expect.objectContaining({
        kind: 'changed',
        ...server,
        childResourceId: `${CLONE_ID}/firewallRules/AllowAllAzureServicesAndResourcesWithinAzureIps_2026-11-20_9-14-3`,
        operationName: 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules/delete',
        actor: servicePrincipal,
      }),
    );
  });

  it('deletes of databases, configurations, administrators, locks and tags are changes of the server', () => {
    const events = parseDelivery(fixture('eventgrid/child-resource-deletes.json'));
    expect(
      events.map((e) => [
        e.kind,
        'key' in e ? e.key : undefined,
        'childResourceId' in e ? e.childResourceId?.slice(CLONE_ID.length) : undefined,
      ]),
    ).toEqual([
      ['changed', CLONE_KEY, '/databases/payments'],
      ['changed', CLONE_KEY, '/configurations/log_min_duration_statement'],
      ['changed', CLONE_KEY, '/administrators/0f9e8d7c-6b5a-4948-8372-615049382716'],
      ['changed', CLONE_KEY, '/providers/Microsoft.Authorization/locks/legal-hold'],
      ['changed', CLONE_KEY, '/providers/Microsoft.Resources/tags/default'],
    ]);
  });

  it('a Delete event without an operation name on the server itself is its deletion', () => {
    const event = fixture('eventgrid/flexible-server-delete-success.json');
    delete event.data.operationName;
    expect(parseDelivery(event)).toEqual([
      expect.objectContaining({
        kind: 'deleted',
        key: CLONE_KEY,
        operationName: 'Microsoft.Resources.ResourceDeleteSuccess',
      }),
    ]);
  });

  it('a Delete event whose operation is not the server delete stays a change (the ARM read decides)', () => {
    const event = fixture('eventgrid/flexible-server-delete-success.json');
    event.data.operationName = 'Microsoft.Resources/tags/delete';
    expect(parseDelivery(event)).toEqual([expect.objectContaining({ kind: 'changed', key: CLONE_KEY })]);
  });

  it('a Delete event on a child id is a change even when it names the server delete operation or none', () => {
    const event = fixture('eventgrid/firewall-rule-delete-success.json');
    event.data.operationName = 'Microsoft.DBforPostgreSQL/flexibleServers/delete';
    expect(parseDelivery(event)).toEqual([expect.objectContaining({ kind: 'changed', key: CLONE_KEY })]);
    delete event.data.operationName;
    expect(parseDelivery(event)).toEqual([expect.objectContaining({ kind: 'changed', key: CLONE_KEY })]);
  });

  it('an action on the server is a change, by a service principal', () => {
    expect(parseDelivery(fixture('eventgrid/flexible-server-restart-action-success.json'))).toEqual([
      expect.objectContaining({
        kind: 'changed',
        key: CLONE_KEY,
        operationName: 'Microsoft.DBforPostgreSQL/flexibleServers/restart/action',
        actor: servicePrincipal,
      }),
    ]);
  });

  it.each(['Failure', 'Cancel'])('a Write%s is ignored: the operation did not succeed', (outcome) => {
    const event = fixture('eventgrid/flexible-server-write-failure.json');
    event.eventType = `Microsoft.Resources.ResourceWrite${outcome}`;
    expect(parseDelivery(event)).toEqual([
      {
        source: 'event-grid',
        kind: 'ignored',
        reason: `operation did not succeed (Microsoft.Resources.ResourceWrite${outcome})`,
        eventId: 'b0d6e7f8-5092-43b4-cedf-4a5b6c7d8e95',
      },
    ]);
  });

  it('events of other types are ignored with their type named', () => {
    const event = {
      ...fixture('eventgrid/flexible-server-write-success.json'),
      eventType: 'Microsoft.Storage.BlobCreated',
    };
    expect(parseDelivery(event)).toEqual([
      {
        source: 'event-grid',
        kind: 'ignored',
        reason: 'event type Microsoft.Storage.BlobCreated is not an ARM resource event',
        eventId: 'd6f2a3b4-1c5e-4f70-8a9b-0c1d2e3f4a51',
      },
    ]);
  });

  it('every casing of the id gives the same key', () => {
    const events = parseDelivery(fixture('eventgrid/casing-variants.json'));
    expect(events).toHaveLength(4);
    expect(new Set(events.map((e) => (e.kind === 'ignored' ? e.reason : e.key)))).toEqual(new Set([CLONE_KEY]));
    expect(events.map((e) => e.kind)).toEqual(['changed', 'changed', 'changed', 'changed']);
  });

  it('a batch gives one result per event, in order', () => {
    expect(parseDelivery(fixture('eventgrid/batch-mixed.json')).map((e) => e.kind)).toEqual([
      'changed',
      'ignored',
      'changed',
    ]);
  });
});

describe('CloudEvents 1.0 events on flexible servers', () => {
  it.each([
    ['flexible-server-write-success', 'eventgrid/flexible-server-write-success.json'],
    ['flexible-server-delete-success', 'eventgrid/flexible-server-delete-success.json'],
    ['firewall-rule-delete-success', 'eventgrid/firewall-rule-delete-success.json'],
    ['flexible-server-write-success.data_base64', 'eventgrid/flexible-server-write-success.json'],
  ])('%s gives what the Event Grid schema gives, from source cloud-events', (name, gridPath) => {
    const cloud = parseDeliveryText(fixtureText(`cloudevents/${name}.cloudevent.json`));
    const grid = parseDeliveryText(fixtureText(gridPath));
    expect(cloud).toEqual(grid.map((e) => ({ ...e, source: 'cloud-events' })));
  });

  it('a batch of CloudEvents gives one result per event', () => {
    expect(parseDelivery(fixture('cloudevents/batch.json')).map((e) => [e.source, e.kind])).toEqual([
      ['cloud-events', 'changed'],
      ['cloud-events', 'ignored'],
      ['cloud-events', 'changed'],
    ]);
  });
});

describe('Activity Log alerts (common alert schema) on flexible servers', () => {
  it('a Succeeded write is a change, the user from the claims string', () => {
    expect(parseDelivery(fixture('activity-log-alert/flexible-server-write-succeeded.json'))).toEqual([
      {
        source: 'activity-log',
        kind: 'changed',
        ...server,
        operationName: 'Microsoft.DBforPostgreSQL/flexibleServers/write',
        eventTime: '2026-11-20T09:14:03.441Z',
        correlationId: 'c0ffee00-1234-4abc-8def-0123456789ab',
        eventId: '5a0e1f2a-0001-4bc5-9c90-857c55a8f57b',
        actor: alice,
        status: 'Succeeded',
      },
    ]);
  });

  it('a Started write is ignored: not completed', () => {
    expect(parseDelivery(fixture('activity-log-alert/flexible-server-write-started.json'))).toEqual([
      {
        source: 'activity-log',
        kind: 'ignored',
        reason: 'not completed (status Started)',
        eventId: '5a0e1f2a-0002-4bc5-9c90-857c55a8f57b',
      },
    ]);
  });

  it('a Failed write is ignored: did not succeed', () => {
    expect(parseDelivery(fixture('activity-log-alert/flexible-server-write-failed.json'))).toEqual([
      {
        source: 'activity-log',
        kind: 'ignored',
        reason: 'operation did not succeed (status Failed)',
        eventId: '5a0e1f2a-0005-4bc5-9c90-857c55a8f57b',
      },
    ]);
  });

  it('a delete of the server is its deletion, by the service principal of the Microsoft claims sample', () => {
    expect(parseDelivery(fixture('activity-log-alert/flexible-server-delete-succeeded.json'))).toEqual([
      expect.objectContaining({
        kind: 'deleted',
        ...server,
        actor: {
          type: 'service-principal',
          objectId: '9778283b-b94c-4ac6-8a41-d5b493d03aa3',
          appId: 'e9a02282-074f-45cf-93b0-50568e0e7e50',
        },
      }),
    ]);
  });

  it('a delete of a firewall rule is a change of its server', () => {
    expect(parseDelivery(fixture('activity-log-alert/firewall-rule-delete-succeeded.json'))).toEqual([
      expect.objectContaining({ kind: 'changed', ...server, childResourceId: `${CLONE_ID}/firewallRules/office` }),
    ]);
  });

  it('the server delete operation with a child as the scope is a change of the server', () => {
    const alert = fixture('activity-log-alert/firewall-rule-delete-succeeded.json');
    alert.data.alertContext.operationName = 'Microsoft.DBforPostgreSQL/flexibleServers/delete';
    expect(parseDelivery(alert)).toEqual([expect.objectContaining({ kind: 'changed', key: CLONE_KEY })]);
  });

  it('the lower-case alert target is used when the authorization scope is absent', () => {
    const alert = fixture('activity-log-alert/flexible-server-write-succeeded.json');
    delete alert.data.alertContext.authorization;
    const [event] = parseDelivery(alert);
    expect(event).toMatchObject({
      kind: 'changed',
      key: CLONE_KEY,
      resourceGroup: 'rg-payments',
      serverName: 'pg-payments-restore-0412',
    });
  });

  it('a tags write on the server is a change (the expiry may have moved)', () => {
    const alert = fixture('activity-log-alert/flexible-server-write-succeeded.json');
    alert.data.alertContext.operationName = 'Microsoft.Resources/tags/write';
    expect(parseDelivery(alert)).toEqual([
      expect.objectContaining({ kind: 'changed', key: CLONE_KEY, operationName: 'Microsoft.Resources/tags/write' }),
    ]);
  });

  it('a tags delete at the server scope is a change, not the deletion of the server', () => {
    const alert = fixture('activity-log-alert/flexible-server-write-succeeded.json');
    alert.data.alertContext.operationName = 'Microsoft.Resources/tags/delete';
    expect(parseDelivery(alert)).toEqual([expect.objectContaining({ kind: 'changed', key: CLONE_KEY })]);
  });

  it('an event of another category is ignored', () => {
    const alert = fixture('activity-log-alert/flexible-server-write-succeeded.json');
    alert.data.alertContext.eventSource = 'Policy';
    expect(parseDelivery(alert)).toEqual([
      {
        source: 'activity-log',
        kind: 'ignored',
        reason: 'not an Administrative category event (eventSource Policy)',
        eventId: '5a0e1f2a-0001-4bc5-9c90-857c55a8f57b',
      },
    ]);
  });

  it('without claims, the caller e-mail names the user', () => {
    const alert = fixture('activity-log-alert/flexible-server-write-succeeded.json');
    alert.data.alertContext.claims = '';
    expect(parseDelivery(alert)[0]).toMatchObject({ actor: { type: 'user', upn: 'alice@contoso.com' } });
  });
});
