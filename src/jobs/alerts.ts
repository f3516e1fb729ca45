import { EventFormatError, parseActivityLogAlert } from '../domain/events.js';

export type AlertAcceptance = { ok: true; events: number; ignored: number } | { ok: false; error: string };

/**
 * Validates an Activity Log alert and queues it whole for the event pipeline through `send` (the wiring's
 * `alertQueueSender`); nothing is queued when it is invalid.
 */
export async function acceptActivityLogAlert(
  body: string,
  send: (body: string) => Promise<void>,
): Promise<AlertAcceptance> {
  let parsed;
  try {
    parsed = parseActivityLogAlert(JSON.parse(body) as unknown);
  } catch (error) {
    if (error instanceof SyntaxError) return { ok: false, error: `The body is not JSON: ${error.message}` };
    if (error instanceof EventFormatError) return { ok: false, error: error.message };
    throw error;
  }
  const events = parsed.filter((e) => e.kind !== 'ignored').length;
  if (events > 0) {
    await send(body);
  }
  return { ok: true, events, ignored: parsed.length - events };
}
