import { parseActivityLogAlert } from './activityLogAlert.js';
import { parseCloudEvent, parseEventGridEvent } from './eventGrid.js';
import { EventFormatError, MAX_DELIVERY_BYTES, MAX_EVENTS_PER_DELIVERY, type ParsedEvent } from './types.js';
import { describeValue } from './validate.js';

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function tooLarge(bytes: number): EventFormatError {
  return new EventFormatError(`delivery: ${bytes} bytes is over the limit of ${MAX_DELIVERY_BYTES} bytes (1 MiB)`);
}

function oneEvent(value: unknown, where: string): ParsedEvent {
  if (!isObject(value)) throw new EventFormatError(`${where}: expected an event object, got ${describeValue(value)}`);
  if ('specversion' in value) return parseCloudEvent(value, where);
  if ('eventType' in value) return parseEventGridEvent(value, where);
  throw new EventFormatError(
    `${where}: not an Event Grid event (no eventType) nor a CloudEvents event (no specversion)`,
  );
}

/** Parsed JSON whose size was already checked. */
function parseValue(input: unknown): ParsedEvent[] {
  if (Array.isArray(input)) {
    if (input.length === 0) throw new EventFormatError('delivery: empty array, expected at least one event');
    if (input.length > MAX_EVENTS_PER_DELIVERY) {
      throw new EventFormatError(
        `delivery: ${input.length} events is over the limit of ${MAX_EVENTS_PER_DELIVERY} per delivery`,
      );
    }
    return input.map((event, index) => oneEvent(event, `event[${index}]`));
  }
  if (!isObject(input))
    throw new EventFormatError(`delivery: expected an event object or an array of events, got ${describeValue(input)}`);
  if ('specversion' in input || 'eventType' in input) return [oneEvent(input, 'event')];
  if ('schemaId' in input || (isObject(input.data) && 'essentials' in input.data)) return parseActivityLogAlert(input);
  throw new EventFormatError(
    'delivery: not an event: expected an Event Grid event (eventType), a CloudEvents 1.0 event (specversion) or a common-alert-schema alert (schemaId)',
  );
}

/**
 * Normalises one delivery that is already parsed JSON: an Event Grid event or an array of them, a CloudEvents 1.0
 * event or array, or a common-alert-schema Activity Log alert. All or nothing: one bad event fails the delivery.
 * @throws EventFormatError naming the field and the problem, e.g. `event[2].data.resourceUri: missing`.
 * @example parseDelivery([eventGridWrite]) // [{ source: 'event-grid', kind: 'changed', key: '/subscriptions/…/flexibleservers/pg', … }]
 */
export function parseDelivery(input: unknown): ParsedEvent[] {
  if (Array.isArray(input) && input.length > MAX_EVENTS_PER_DELIVERY) return parseValue(input);
  if (isObject(input) || Array.isArray(input)) {
    let text: string;
    try {
      text = JSON.stringify(input);
    } catch (error) {
      throw new EventFormatError(`delivery: not JSON data (${(error as Error).message.split('\n')[0]})`);
    }
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_DELIVERY_BYTES) throw tooLarge(bytes);
  }
  return parseValue(input);
}

/**
 * Normalises a delivery given as text: raw JSON, or base64-encoded JSON as Storage Queue messages often are.
 * @throws EventFormatError for text over 1 MiB, text that is not JSON, or JSON that is not an event.
 */
export function parseDeliveryText(text: string): ParsedEvent[] {
  if (typeof text !== 'string') throw new EventFormatError(`delivery: expected text, got ${describeValue(text)}`);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_DELIVERY_BYTES) throw tooLarge(bytes);
  const body = text.replace(/^\uFEFF/, '').trim();
  if (body === '') throw new EventFormatError('delivery: empty, expected JSON');
  let syntaxError: Error;
  try {
    return parseValue(JSON.parse(body));
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    syntaxError = error;
  }
  const compact = body.replace(/\s+/g, '');
  if (!/^[{[]/.test(body) && BASE64.test(compact)) {
    const decoded = Buffer.from(compact, 'base64')
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trim();
    if (/^[{[]/.test(decoded)) {
      try {
        return parseValue(JSON.parse(decoded));
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error;
        throw new EventFormatError(`delivery: base64 text that decodes to invalid JSON (${error.message})`);
      }
    }
  }
  throw new EventFormatError(`delivery: not JSON (${syntaxError.message})`);
}

/**
 * Normalises what the Functions host hands a queue trigger: an object or array (the host parsed the JSON), a
 * string (raw JSON or base64), or bytes (a Buffer of either).
 */
export function parseQueueMessage(message: unknown): ParsedEvent[] {
  if (typeof message === 'string') return parseDeliveryText(message);
  if (message instanceof Uint8Array || message instanceof ArrayBuffer) {
    const bytes = message instanceof Uint8Array ? message : new Uint8Array(message);
    if (bytes.byteLength > MAX_DELIVERY_BYTES) throw tooLarge(bytes.byteLength);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new EventFormatError('delivery: bytes that are not UTF-8 text');
    }
    return parseDeliveryText(text);
  }
  return parseDelivery(message);
}
