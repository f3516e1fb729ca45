import { describe, expect, it } from 'vitest';
import {
  EventFormatError,
  MAX_DELIVERY_BYTES,
  parseDelivery,
  parseDeliveryText,
  parseQueueMessage,
} from '../../src/domain/events.js';
import { fixture, fixtureText } from '../fixtures/events/load.js';

/** Each malformed file and the whole message it must produce. */
const corpus: Array<[file: string, message: string | RegExp]> = [
  ['truncated.json', /^delivery: not JSON \(.+\)$/],
  ['not-json.txt', /^delivery: not JSON \(Unexpected token '<'.*\)$/],
  ['empty.json', 'delivery: empty, expected JSON'],
  ['empty-array.json', 'delivery: empty array, expected at least one event'],
  ['null.json', 'delivery: expected an event object or an array of events, got null'],
  ['number.json', 'delivery: expected an event object or an array of events, got a number'],
  ['string.json', 'delivery: expected an event object or an array of events, got a string ("hello")'],
  [
    'not-an-event.json',
    'delivery: not an event: expected an Event Grid event (eventType), a CloudEvents 1.0 event (specversion) or a common-alert-schema alert (schemaId)',
  ],
  ['data-string.json', 'event.data: expected an object, got a string'],
  ['resource-uri-number.json', 'event[2].data.resourceUri: expected a string, got a number'],
  ['missing-resource-uri.json', 'event[2].data.resourceUri: missing'],
  ['empty-resource-uri.json', 'event.data.resourceUri: empty'],
  ['missing-event-id.json', 'event.id: missing'],
  ['bad-event-time.json', 'event.eventTime: not a date-time ("yesterday")'],
  ['claims-number.json', 'event.data.claims: expected an object or a JSON string, got a number'],
  ['array-with-number.json', 'event[1]: expected an event object, got a number'],
  ['cloudevent-wrong-specversion.json', 'event.specversion: expected "1.0", got a string ("0.3")'],
  ['cloudevent-missing-time.json', 'event.time: missing'],
  ['alert-claims-not-json.json', /^alert\.data\.alertContext\.claims: not valid JSON \(.+\)$/],
  [
    'alert-wrong-schema.json',
    'alert.schemaId: expected "azureMonitorCommonAlertSchema", got "Microsoft.Insights/activityLogs"',
  ],
  ['alert-missing-operation.json', 'alert.data.alertContext.operationName: missing'],
  ['alert-no-resource.json', 'alert.data.essentials.alertTargetIDs: missing (the alert names no resource)'],
  ['alert-target-ids-string.json', 'alert.data.essentials.alertTargetIDs: expected an array, got a string'],
];

function errorOf(action: () => unknown): EventFormatError {
  try {
    action();
  } catch (error) {
    if (error instanceof EventFormatError) return error;
    throw error;
  }
  throw new Error('expected an EventFormatError, got a result');
}

describe('malformed deliveries get one clear error each', () => {
  it.each(corpus)('%s', (file, message) => {
    const error = errorOf(() => parseDeliveryText(fixtureText(`malformed/${file}`)));
    if (typeof message === 'string') expect(error.message).toBe(message);
    else expect(error.message).toMatch(message);
  });

  it('the data string message quotes nothing long', () => {
    expect(errorOf(() => parseDeliveryText(fixtureText('malformed/data-string.json'))).message.length).toBeLessThan(80);
  });

  it('several problems in one event are all named', () => {
    expect(errorOf(() => parseDelivery({ specversion: '1.0', type: 5 })).message).toBe(
      'event.id: missing; event.source: missing; event.type: expected a string, got a number',
    );
  });

  it('an error anywhere fails the whole delivery: nothing is returned for the good events', () => {
    expect(() => parseDelivery(fixture('malformed/missing-resource-uri.json'))).toThrow(EventFormatError);
  });

  it.each([undefined, true, 0, Number.NaN, () => 1])('a delivery of %s is refused', (value) => {
    expect(errorOf(() => parseDelivery(value)).message).toMatch(
      /^delivery: expected an event object or an array of events, got (nothing|a boolean|a number|a function)$/,
    );
  });

  it('the wrong types of every Event Grid envelope field are named', () => {
    const event = fixture('eventgrid/flexible-server-write-success.json');
    expect(errorOf(() => parseDelivery({ ...event, eventType: ['x'], eventTime: 1 })).message).toBe(
      'event.eventType: expected a string, got an array; event.eventTime: expected a string, got a number',
    );
  });

  it('a CloudEvent whose data_base64 is not JSON is named', () => {
    const event = fixture('cloudevents/flexible-server-write-success.data_base64.cloudevent.json');
    event.data_base64 = Buffer.from('{"resourceUri":').toString('base64');
    expect(errorOf(() => parseDelivery(event)).message).toMatch(/^event\.data_base64: not base64-encoded JSON \(.+\)$/);
  });

  it('alert claims that are JSON but not an object are named', () => {
    const alert = fixture('activity-log-alert/flexible-server-write-succeeded.json');
    alert.data.alertContext.claims = '[1,2]';
    expect(errorOf(() => parseDelivery(alert)).message).toBe(
      'alert.data.alertContext.claims: expected a JSON object, got an array',
    );
  });
});

describe('limits', () => {
  const event = fixture('eventgrid/flexible-server-write-success.json');

  it('text over 1 MiB is refused before parsing', () => {
    const huge = JSON.stringify({ ...event, padding: 'x'.repeat(MAX_DELIVERY_BYTES) });
    expect(errorOf(() => parseDeliveryText(huge)).message).toBe(
      `delivery: ${Buffer.byteLength(huge)} bytes is over the limit of 1048576 bytes (1 MiB)`,
    );
  });

  it('an object over 1 MiB is refused', () => {
    const huge = { ...event, data: { ...event.data, padding: 'é'.repeat(MAX_DELIVERY_BYTES / 2) } };
    expect(errorOf(() => parseDelivery(huge)).message).toMatch(
      /^delivery: \d+ bytes is over the limit of 1048576 bytes \(1 MiB\)$/,
    );
  });

  it('a Buffer over 1 MiB is refused', () => {
    expect(errorOf(() => parseQueueMessage(Buffer.alloc(MAX_DELIVERY_BYTES + 1, 0x20))).message).toBe(
      'delivery: 1048577 bytes is over the limit of 1048576 bytes (1 MiB)',
    );
  });

  it('a delivery of exactly 1 MiB is accepted', () => {
    const text = JSON.stringify([event]);
    const padded = text + ' '.repeat(MAX_DELIVERY_BYTES - Buffer.byteLength(text));
    expect(parseDeliveryText(padded)).toHaveLength(1);
  });

  it('an array over 5,000 events is refused', () => {
    const many = Array.from({ length: 5001 }, () => ({}));
    expect(errorOf(() => parseDelivery(many)).message).toBe(
      'delivery: 5001 events is over the limit of 5000 per delivery',
    );
  });

  it('an array of 5,000 small events is accepted', () => {
    const small = {
      id: '1',
      eventType: 'Microsoft.Storage.BlobCreated',
      subject: '/x',
      eventTime: '2026-01-01T00:00:00Z',
      data: {},
    };
    const events = parseDelivery(Array.from({ length: 5000 }, () => small));
    expect(events).toHaveLength(5000);
    expect(events.every((e) => e.kind === 'ignored')).toBe(true);
  });

  it('a circular object is refused as not JSON', () => {
    const circular: Record<string, unknown> = { ...event };
    circular.self = circular;
    expect(errorOf(() => parseDelivery(circular)).message).toMatch(/^delivery: not JSON data \(.+\)$/);
  });
});
