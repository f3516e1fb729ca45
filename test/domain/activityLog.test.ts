import { describe, expect, it } from 'vitest';
import { resourceEventFromActivityEntry, restoreEvidenceFrom } from '../../src/domain/activityLog.js';
import { EventFormatError } from '../../src/domain/events.js';
import { CLONE_ID, CLONE_KEY, fixture, sample, SUBSCRIPTION, type Editable } from '../fixtures/events/load.js';

const SOURCE_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-payments/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-payments`;
const restEntry = (): Editable => sample('activity-log/GetActivityLogsFiltered.json').responses['200'].body.value[0];

/** What `@azure/arm-monitor` hands back: the same entry with Date timestamps. */
const asSdkEntry = (entry: Editable): Editable => ({
  ...entry,
  eventTimestamp: new Date(entry.eventTimestamp),
  submissionTimestamp: new Date(entry.submissionTimestamp),
});

describe('resourceEventFromActivityEntry', () => {
  it('the REST list sample (a support ticket) is ignored: not a flexible server', () => {
    expect(resourceEventFromActivityEntry(restEntry())).toEqual({
      source: 'activity-log',
      kind: 'ignored',
      reason:
        'not a PostgreSQL flexible server, MySQL flexible server or SQL database: /subscriptions/089bd33f-d4ec-47fe-8ba5-0753aa5c5b33/resourceGroups/MSSupportGroup/providers/microsoft.support/supporttickets/115012112305841',
      eventId: '44ade6b4-3813-45e6-ae27-7420a95fa2f8',
    });
  });

  it('the Administrative schema sample (a network security group) is ignored', () => {
    expect(
      resourceEventFromActivityEntry(sample('activity-log/activity-log-schema_Administrative_sample.json')),
    ).toMatchObject({
      kind: 'ignored',
      reason:
        'not a PostgreSQL flexible server, MySQL flexible server or SQL database: /subscriptions/<subscription ID>/resourcegroups/myResourceGroup/providers/Microsoft.Network/networkSecurityGroups/myNSG',
    });
  });

  it('a Succeeded write in upper case (as the Activity Log writes ids) is a change of the same key', () => {
    expect(resourceEventFromActivityEntry(fixture('activity-log-entries/pitr-write-succeeded.json'))).toEqual({
      source: 'activity-log',
      kind: 'changed',
      key: CLONE_KEY,
      engine: 'postgresql-flexible',
      resourceId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/RG-PAYMENTS/providers/Microsoft.DBforPostgreSQL/flexibleServers/PG-PAYMENTS-RESTORE-0412`,
      subscriptionId: SUBSCRIPTION,
      resourceGroup: 'RG-PAYMENTS',
      serverName: 'PG-PAYMENTS-RESTORE-0412',
      operationName: 'MICROSOFT.DBFORPOSTGRESQL/FLEXIBLESERVERS/WRITE',
      eventTime: '2026-11-20T09:14:03.441Z',
      correlationId: 'c0ffee00-1234-4abc-8def-0123456789ab',
      eventId: '7c1d2e3f-0002-4a5b-8c9d-0e1f2a3b4c5d',
      actor: {
        type: 'user',
        upn: 'alice@contoso.com',
        name: 'Alice Example',
        objectId: 'a1b2c3d4-0000-4000-8000-00000000a11c',
        appId: 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c',
      },
      status: 'Succeeded',
    });
  });

  it('a Started write is ignored: not completed', () => {
    expect(resourceEventFromActivityEntry(fixture('activity-log-entries/pitr-write-started.json'))).toEqual({
      source: 'activity-log',
      kind: 'ignored',
      reason: 'not completed (status Started)',
      eventId: '7c1d2e3f-0001-4a5b-8c9d-0e1f2a3b4c5d',
    });
  });

  it('a delete of the server is its deletion; the SDK shape (Date timestamps) gives the same event', () => {
    const entry = fixture('activity-log-entries/server-delete-by-service-principal.json');
    const event = resourceEventFromActivityEntry(entry);
    expect(event).toMatchObject({
      kind: 'deleted',
      key: CLONE_KEY,
      eventTime: '2026-11-27T16:02:11.008Z',
      actor: { type: 'service-principal' },
    });
    expect(resourceEventFromActivityEntry(asSdkEntry(entry))).toEqual(event);
  });

  it('without resourceId or scope, the entry id (minus /events/…/ticks/…) names the server, not a child "events"', () => {
    const entry = fixture('activity-log-entries/server-delete-by-service-principal.json');
    delete entry.resourceId;
    delete entry.authorization;
    expect(resourceEventFromActivityEntry(entry)).toMatchObject({ kind: 'deleted', key: CLONE_KEY });
    expect(resourceEventFromActivityEntry(entry)).not.toHaveProperty('childResourceId');
  });

  it('an entry of another category is ignored', () => {
    const entry = {
      ...fixture('activity-log-entries/pitr-write-succeeded.json'),
      category: { value: 'Policy', localizedValue: 'Policy' },
    };
    expect(resourceEventFromActivityEntry(entry)).toMatchObject({
      kind: 'ignored',
      reason: 'not an Administrative category entry (category Policy)',
    });
  });

  it.each([
    [(e: Editable) => delete e.operationName, 'entry.operationName: missing'],
    [
      (e: Editable) => (e.operationName = 5),
      'entry.operationName: expected a string or an object with a string value, got a number',
    ],
    [(e: Editable) => (e.eventTimestamp = 'soon'), 'entry.eventTimestamp: not a date-time ("soon")'],
    [(e: Editable) => (e.claims = 3), 'entry.claims: expected an object or a JSON string, got a number'],
    [
      (e: Editable) => (delete e.resourceId, delete e.authorization, delete e.id),
      'entry.resourceId: missing (the entry names no resource)',
    ],
  ])('a malformed entry is named (%#)', (spoil, message) => {
    const entry = fixture('activity-log-entries/pitr-write-succeeded.json');
    spoil(entry);
    expect(() => resourceEventFromActivityEntry(entry)).toThrow(new EventFormatError(message));
  });

  it.each([null, 'x', []])('%j is not an entry', (value) => {
    expect(() => resourceEventFromActivityEntry(value)).toThrow(EventFormatError);
  });
});

describe('restoreEvidenceFrom', () => {
  const alice = {
    type: 'user',
    upn: 'alice@contoso.com',
    name: 'Alice Example',
    objectId: 'a1b2c3d4-0000-4000-8000-00000000a11c',
    appId: 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c',
  };

  it('a write whose request body is a point-in-time restore gives the lineage', () => {
    expect(restoreEvidenceFrom(fixture('activity-log-entries/pitr-write-started.json'))).toEqual({
      key: '7c1d2e3f-0001-4a5b-8c9d-0e1f2a3b4c5d',
      serverId: CLONE_ID,
      createMode: 'PointInTimeRestore',
      sourceServerId: SOURCE_ID,
      pointInTimeUtc: '2026-11-20T08:00:00.000Z',
      actor: alice,
      at: '2026-11-20T09:02:00.100Z',
      correlationId: 'c0ffee00-1234-4abc-8def-0123456789ab',
      operationName: 'Microsoft.DBforPostgreSQL/flexibleServers/write',
      status: 'Started',
    });
  });

  it('upper-case ids and operation names still give the lineage, with canonical ids', () => {
    expect(restoreEvidenceFrom(fixture('activity-log-entries/pitr-write-succeeded.json'))).toMatchObject({
      serverId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/RG-PAYMENTS/providers/Microsoft.DBforPostgreSQL/flexibleServers/PG-PAYMENTS-RESTORE-0412`,
      createMode: 'PointInTimeRestore',
      sourceServerId: SOURCE_ID,
      status: 'Succeeded',
    });
  });

  it('the key "requestBody", an object body and any casing of the property names work too (SDK shape)', () => {
    const entry = asSdkEntry(fixture('activity-log-entries/pitr-write-started.json'));
    const body = JSON.parse(entry.properties.requestbody);
    entry.properties = {
      requestBody: {
        Properties: {
          CREATEMODE: 'pointintimerestore',
          SourceServerResourceId: body.properties.sourceServerResourceId,
          pointInTimeUtc: '2026-11-20T08:00:00Z',
        },
      },
    };
    expect(restoreEvidenceFrom(entry)).toMatchObject({
      createMode: 'PointInTimeRestore',
      sourceServerId: SOURCE_ID,
      pointInTimeUtc: '2026-11-20T08:00:00.000Z',
    });
  });

  it.each(['GeoRestore', 'ReviveDropped', 'Replica'])('createMode %s is restore evidence', (createMode) => {
    const entry = fixture('activity-log-entries/pitr-write-started.json');
    entry.properties.requestbody = JSON.stringify({ location: 'westeurope', properties: { createMode } });
    expect(restoreEvidenceFrom(entry)).toMatchObject({ createMode });
    expect(restoreEvidenceFrom(entry)).not.toHaveProperty('sourceServerId');
  });

  it.each([
    ['an empty request body', ''],
    ['a body that is not JSON', '{"properties":'],
    ['createMode Default', JSON.stringify({ properties: { createMode: 'Default', administratorLogin: 'pgadmin' } })],
    ['createMode Update', JSON.stringify({ properties: { createMode: 'Update' } })],
    ['no createMode', JSON.stringify({ tags: { owner: 'alice' } })],
  ])('%s gives no evidence', (_, requestbody) => {
    const entry = fixture('activity-log-entries/pitr-write-started.json');
    entry.properties.requestbody = requestbody;
    expect(restoreEvidenceFrom(entry)).toBeUndefined();
  });

  it('the Microsoft samples and writes that are not flexible server writes give no evidence', () => {
    expect(restoreEvidenceFrom(restEntry())).toBeUndefined();
    expect(restoreEvidenceFrom(sample('activity-log/activity-log-schema_Administrative_sample.json'))).toBeUndefined();
    expect(restoreEvidenceFrom(fixture('activity-log-entries/plain-write-empty-body.json'))).toBeUndefined();
    expect(
      restoreEvidenceFrom(fixture('activity-log-entries/server-delete-by-service-principal.json')),
    ).toBeUndefined();
    const childWrite = fixture('activity-log-entries/pitr-write-started.json');
    childWrite.resourceId = `${CLONE_ID}/firewallRules/office`;
    childWrite.operationName = { value: 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules/write' };
    expect(restoreEvidenceFrom(childWrite)).toBeUndefined();
  });

  it('a malformed entry is an EventFormatError, like resourceEventFromActivityEntry', () => {
    expect(() => restoreEvidenceFrom({ operationName: 'x' })).toThrow(
      new EventFormatError('entry.status: missing; entry.eventTimestamp: missing'),
    );
  });
});
