import { randomUUID } from 'node:crypto';
import type { EmulatorClock, TimeMark } from '../clock.js';
import { AZURE_DURATIONS_MS } from '../durations.js';
import type { FaultDecision } from '../faults.js';
import type { Reply, RequestContext } from '../http.js';
import { HttpError, isRecord, ok } from '../http.js';
import type { Route } from '../route.js';
import { hmacProblem } from './hmac.js';
import type { MailAddress, Mailbox } from './mailbox.js';

export const EMAIL_API_VERSIONS = ['2025-09-01', '2024-07-01-preview', '2023-03-31'] as const;

interface SendOperation {
  readonly id: string;
  readonly started: TimeMark;
  status: 'Running' | 'Succeeded' | 'Failed';
  error?: { code: string; message: string };
}

export interface EmailServices {
  readonly accessKey: string;
  readonly mailbox: Mailbox;
  readonly clock: EmulatorClock;
}

/** ACS answers 401 with this body for a bad or missing signature. */
const denied = (why: string) => new HttpError(401, 'Denied', `Denied by the resource provider: ${why}.`);

function authenticate(ctx: RequestContext, accessKey: string): 'hmac' | 'bearer' {
  const auth = ctx.header('authorization') ?? '';
  if (/^Bearer\s+\S+/i.test(auth)) return 'bearer';
  const problem = hmacProblem(ctx, accessKey);
  if (problem) throw denied(problem);
  return 'hmac';
}

const addresses = (value: unknown, field: string): MailAddress[] => {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new HttpError(400, 'BadRequest', `recipients.${field} must be an array.`);
  return value.map((v: unknown) => {
    if (!isRecord(v) || typeof v.address !== 'string' || !v.address.includes('@'))
      throw new HttpError(400, 'BadRequest', `recipients.${field} has an invalid address.`);
    return { address: v.address, ...(typeof v.displayName === 'string' ? { displayName: v.displayName } : {}) };
  });
};

/**
 * `POST /emails:send` (202 + Operation-Location) and `GET /emails/operations/{id}` (Running, then Succeeded),
 * as the ACS Email data plane answers @azure/communication-email.
 */
export function emailRoutes(services: EmailServices): Route[] {
  const operations = new Map<string, SendOperation>();
  const statusBody = (op: SendOperation) => ({
    id: op.id,
    status: op.status,
    ...(op.status === 'Failed' && op.error ? { error: op.error } : {}),
  });

  const send = (ctx: RequestContext, fault: FaultDecision): Reply => {
    const auth = authenticate(ctx, services.accessKey);
    const body = ctx.body;
    if (!isRecord(body)) throw new HttpError(400, 'BadRequest', 'The email message is missing.');
    const content = isRecord(body.content) ? body.content : {};
    const recipients = isRecord(body.recipients) ? body.recipients : {};
    if (typeof body.senderAddress !== 'string' || !body.senderAddress.includes('@'))
      throw new HttpError(400, 'BadRequest', 'senderAddress is required.');
    if (typeof content.subject !== 'string') throw new HttpError(400, 'BadRequest', 'content.subject is required.');
    if (typeof content.plainText !== 'string' && typeof content.html !== 'string')
      throw new HttpError(400, 'BadRequest', 'content.plainText or content.html is required.');
    const to = addresses(recipients.to, 'to');
    const cc = addresses(recipients.cc, 'cc');
    const bcc = addresses(recipients.bcc, 'bcc');
    if (to.length + cc.length + bcc.length === 0)
      throw new HttpError(400, 'BadRequest', 'At least one recipient is required.');
    const id = ctx.header('operation-id') ?? randomUUID();
    if (operations.has(id))
      throw new HttpError(409, 'Conflict', `An email with operation id '${id}' was already sent.`);
    const attachments = Array.isArray(body.attachments) ? body.attachments.filter(isRecord) : [];
    services.mailbox.add({
      id,
      sentAt: services.clock.now().toISOString(),
      senderAddress: body.senderAddress,
      to,
      cc,
      bcc,
      replyTo: addresses(body.replyTo, 'replyTo'),
      subject: content.subject,
      ...(typeof content.plainText === 'string' ? { plainText: content.plainText } : {}),
      ...(typeof content.html === 'string' ? { html: content.html } : {}),
      headers: isRecord(body.headers) ? (body.headers as Record<string, string>) : {},
      attachments: attachments.map((a) => ({
        name: String(a.name),
        contentType: String(a.contentType),
        sizeInBytes: Buffer.from(typeof a.contentInBase64 === 'string' ? a.contentInBase64 : '', 'base64').length,
      })),
      auth,
    });
    const op: SendOperation = {
      id,
      started: services.clock.mark(),
      status: 'Running',
      ...(fault.failLro ? { error: { code: 'EmailDropped', message: fault.failLro.message } } : {}),
    };
    operations.set(id, op);
    const apiVersion = ctx.query.get('api-version') ?? EMAIL_API_VERSIONS[0];
    return {
      status: 202,
      // retry-after as the service sends it; the SDK only honours it on poll responses, not on this one.
      headers: {
        'Operation-Location': `${ctx.baseUrl}/emails/operations/${id}?api-version=${apiVersion}`,
        'operation-id': id,
        'retry-after': '1',
      },
      body: statusBody(op),
    };
  };

  const status = (ctx: RequestContext, id: string): Reply => {
    authenticate(ctx, services.accessKey);
    const op = operations.get(id);
    if (!op) throw new HttpError(404, 'NotFound', `The email operation '${id}' was not found.`);
    if (op.status === 'Running') services.clock.polled(op.started, AZURE_DURATIONS_MS.emailSend);
    if (op.status === 'Running' && services.clock.elapsedMs(op.started) >= AZURE_DURATIONS_MS.emailSend)
      op.status = op.error ? 'Failed' : 'Succeeded';
    const remainingMs = services.clock.realMsUntil(op.started, AZURE_DURATIONS_MS.emailSend);
    return ok(
      statusBody(op),
      op.status === 'Running' && remainingMs >= 1000
        ? { 'retry-after': String(Math.ceil(remainingMs / 1000)) }
        : undefined,
    );
  };

  return [
    {
      kind: 'acs',
      apiVersions: EMAIL_API_VERSIONS,
      operation: 'Email_Send',
      method: 'POST',
      pattern: /^\/emails:send$/i,
      handle: (ctx, _params, fault) => send(ctx, fault),
    },
    {
      kind: 'acs',
      apiVersions: EMAIL_API_VERSIONS,
      operation: 'Email_GetSendResult',
      method: 'GET',
      pattern: /^\/emails\/operations\/([^/]+)$/i,
      handle: (ctx, [id]) => status(ctx, id!),
    },
  ];
}
