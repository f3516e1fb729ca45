import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventFormatError, parseDelivery, parseDeliveryText, parseQueueMessage } from '../../src/domain/events.js';
import { serverKey } from '../../src/domain/ids.js';
import { CLONE_ID, CLONE_KEY, fixture, fixtureText } from '../fixtures/events/load.js';

const writeText = fixtureText('eventgrid/flexible-server-write-success.json');
const expected = parseDeliveryText(writeText);

describe('queue messages', () => {
  it('the host-parsed object, the raw JSON string, base64 and Buffers all give the same events', () => {
    const base64 = Buffer.from(writeText).toString('base64');
    expect(expected).toEqual([expect.objectContaining({ kind: 'changed', key: CLONE_KEY })]);
    expect(parseQueueMessage(JSON.parse(writeText))).toEqual(expected);
    expect(parseQueueMessage(writeText)).toEqual(expected);
    expect(parseQueueMessage(base64)).toEqual(expected);
    expect(parseQueueMessage(Buffer.from(writeText))).toEqual(expected);
    expect(parseQueueMessage(Buffer.from(base64))).toEqual(expected);
    expect(parseQueueMessage(new Uint8Array(Buffer.from(writeText)).buffer)).toEqual(expected);
  });

  it('base64 with line breaks (as some encoders wrap it) and a byte-order mark are accepted', () => {
    const wrapped = Buffer.from(`\uFEFF${writeText}`).toString('base64').replace(/.{76}/g, '$&\r\n');
    expect(parseQueueMessage(wrapped)).toEqual(expected);
  });

  it('a CloudEvents batch in base64 parses', () => {
    const base64 = Buffer.from(fixtureText('cloudevents/batch.json')).toString('base64');
    expect(parseQueueMessage(base64).map((e) => e.kind)).toEqual(['changed', 'ignored', 'changed']);
  });

  it('base64 of something that is not JSON is refused as not JSON', () => {
    expect(() => parseQueueMessage(Buffer.from('hello world').toString('base64'))).toThrow(/^delivery: not JSON \(/);
  });

  it('base64 of truncated JSON names the base64 decoding', () => {
    const base64 = Buffer.from(writeText.slice(0, 200)).toString('base64');
    expect(() => parseQueueMessage(base64)).toThrow(/^delivery: base64 text that decodes to invalid JSON \(.+\)$/);
  });

  it('bytes that are not UTF-8 are refused', () => {
    expect(() => parseQueueMessage(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).toThrow(
      new EventFormatError('delivery: bytes that are not UTF-8 text'),
    );
  });

  it('null and numbers from the host are refused', () => {
    expect(() => parseQueueMessage(null)).toThrow(
      new EventFormatError('delivery: expected an event object or an array of events, got null'),
    );
    expect(() => parseQueueMessage(12)).toThrow(
      new EventFormatError('delivery: expected an event object or an array of events, got a number'),
    );
  });
});

describe('properties', () => {
  const randomCase = (text: string) =>
    fc
      .array(fc.boolean(), { minLength: text.length, maxLength: text.length })
      .map((upper) => [...text].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join(''));

  it('any casing of the server id, with or without a leading slash, gives the same key, server and kind', () => {
    const event = fixture('eventgrid/flexible-server-write-success.json');
    fc.assert(
      fc.property(randomCase(CLONE_ID), fc.boolean(), (id, dropSlash) => {
        const uri = dropSlash ? id.slice(1) : id;
        const [parsed] = parseDelivery({ ...event, subject: uri, data: { ...event.data, resourceUri: uri } });
        expect(parsed).toMatchObject({ kind: 'changed', key: CLONE_KEY });
        expect(serverKey(uri)).toBe(CLONE_KEY);
      }),
    );
  });

  it('any child of a server, deleted in any casing, is a change of that server', () => {
    const event = fixture('eventgrid/flexible-server-delete-success.json');
    const segment = fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/);
    fc.assert(
      fc.property(
        randomCase(CLONE_ID),
        segment,
        segment,
        fc.option(fc.constantFrom('child', 'Microsoft.DBforPostgreSQL/flexibleServers/delete')),
        (id, type, name, operation) => {
          const uri = `${id}/${type}/${name}`;
          const operationName =
            operation === 'child'
              ? `Microsoft.DBforPostgreSQL/flexibleServers/${type}/delete`
              : (operation ?? undefined);
          const [parsed] = parseDelivery({ ...event, data: { ...event.data, resourceUri: uri, operationName } });
          expect(parsed).toMatchObject({ kind: 'changed', key: CLONE_KEY, childResourceId: uri });
        },
      ),
    );
  });

  it('any base64 form (standard or URL-safe, padded or not) of a delivery parses to the same result', () => {
    const deliveries = [
      writeText,
      fixtureText('eventgrid/batch-mixed.json'),
      fixtureText('activity-log-alert/flexible-server-write-succeeded.json'),
      fixtureText('cloudevents/batch.json'),
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...deliveries),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom('', ' ', '\n'),
        (text, urlSafe, unpadded, around) => {
          let base64 = Buffer.from(text).toString(urlSafe ? 'base64url' : 'base64');
          if (unpadded) base64 = base64.replace(/=+$/, '');
          expect(parseQueueMessage(`${around}${base64}${around}`)).toEqual(parseDeliveryText(text));
        },
      ),
      { numRuns: 50 },
    );
  });

  it('any JSON value gives events or an EventFormatError, never another error', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          const events = parseDelivery(value);
          expect(Array.isArray(events)).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(EventFormatError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('any field of a valid event replaced by a JSON value gives events or an EventFormatError naming that field', () => {
    const event = fixture('eventgrid/flexible-server-write-success.json');
    const fields = [
      'id',
      'eventType',
      'subject',
      'eventTime',
      'data',
      'data.resourceUri',
      'data.operationName',
      'data.claims',
      'data.correlationId',
      'data.status',
    ];
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.jsonValue(), (field, value) => {
        const copy = structuredClone(event);
        const [outer, inner] = field.split('.') as [string, string?];
        if (inner) copy[outer][inner] = value;
        else copy[outer] = value;
        try {
          parseDelivery(copy);
        } catch (error) {
          expect(error).toBeInstanceOf(EventFormatError);
          expect((error as Error).message).toContain(`event.${field}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('any random text is refused with an EventFormatError', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        let error: unknown;
        try {
          parseDeliveryText(text);
        } catch (caught) {
          error = caught;
        }
        return error instanceof EventFormatError;
      }),
      { numRuns: 300 },
    );
  });
});
