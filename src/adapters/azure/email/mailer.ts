import type { EmailClient, EmailClientOptions, EmailMessage } from '@azure/communication-email';
import type { TokenCredential } from '@azure/core-auth';
import { randomUUID } from 'node:crypto';
import type { Config } from '../../../config.js';
import { MailerError, type MailerPort, type MailMessage, type MailResult } from '../../../ports/mailer.js';
import { statusOf } from '../errors.js';
import { errorMessage } from '../../../errorMessage.js';

/**
 * How to reach Azure Communication Services Email: a connection string (local runs, the emulator) or an endpoint
 * with a TokenCredential (managed identity in Azure).
 * @example createAcsMailer({ sender: 'DoNotReply@warden.example.com', connectionString: emulator.acsConnectionString, clientOptions: emailClientOptions(emulator) })
 */
export interface AcsMailerOptions {
  readonly sender: string;
  readonly connectionString?: string;
  readonly endpoint?: string;
  readonly credential?: TokenCredential;
  /** e.g. `tlsOptions` with the local emulator's CA. */
  readonly clientOptions?: EmailClientOptions;
  /** Delay between status polls (default 1000 ms; ACS usually answers within seconds). */
  readonly pollIntervalInMs?: number;
}

/** The ACS mailer of the app's settings; the EmailClient is built on the first send, so jobs that never mail pay nothing. */
export function acsMailerFor(
  config: Config,
  credential: TokenCredential,
  clientOptions: EmailClientOptions = {},
): MailerPort {
  return createAcsMailer({
    sender: config.mail.sender,
    connectionString: config.mail.connectionString,
    endpoint: config.mail.endpoint,
    credential,
    clientOptions,
    // The local emulator settles a send at once; ACS usually takes seconds.
    ...(config.arm.credential === 'emulator' ? { pollIntervalInMs: 50 } : {}),
  });
}

/** A MailerPort on `@azure/communication-email`: beginSend, then poll until Succeeded or Failed. */
export function createAcsMailer(options: AcsMailerOptions): MailerPort {
  let client: EmailClient | undefined;
  const where = options.connectionString
    ? endpointOf(options.connectionString)
    : (options.endpoint ?? '(not configured)');
  const clientFor = async (to: string): Promise<EmailClient> => {
    if (client) return client;
    if (!options.connectionString && !(options.endpoint && options.credential)) {
      throw new MailerError(
        `Could not send email to ${to}: ACS is not configured (set ACS_CONNECTION_STRING locally, or ACS_ENDPOINT with a managed identity in Azure)`,
        to,
      );
    }
    // Loaded on the first send: functions that never mail do not load the SDK.
    const { EmailClient: Client } = await import('@azure/communication-email');
    client = options.connectionString
      ? new Client(options.connectionString, options.clientOptions ?? {})
      : new Client(options.endpoint!, options.credential!, options.clientOptions ?? {});
    return client;
  };

  return {
    async send(message: MailMessage): Promise<MailResult> {
      const id = randomUUID();
      const email: EmailMessage = {
        senderAddress: options.sender,
        recipients: { to: [{ address: message.to }] },
        content: { subject: message.subject, plainText: message.plainText, html: message.html },
        ...(message.headers ? { headers: { ...message.headers } } : {}),
      };
      const client = await clientFor(message.to);
      try {
        const poller = await client.beginSend(email, {
          operationId: id,
          updateIntervalInMs: options.pollIntervalInMs ?? 1000,
        });
        const result = await poller.pollUntilDone();
        if (result.status === 'Succeeded') return { id: result.id || id, status: 'Succeeded' };
        return {
          id: result.id || id,
          status: 'Failed',
          error: result.error?.message ?? `ACS ended the send ${result.status}`,
        };
      } catch (error) {
        const failed = operationFailure(error);
        if (failed !== undefined) return { id, status: 'Failed', error: failed };
        throw sendError(message.to, where, error);
      }
    },
  };
}

/**
 * core-lro throws (from beginSend's first poll or from pollUntilDone) when the operation ends Failed: that is the
 * service's answer about this email, not a transport failure. Returns its reason, e.g. `EmailDropped. Mailbox full`.
 */
function operationFailure(error: unknown): string | undefined {
  if (statusOf(error) !== undefined || !(error instanceof Error)) return undefined;
  if (error.message === 'Operation was canceled') return 'ACS canceled the send';
  const match = /^The long-running operation has failed\.?\s*(.*)$/s.exec(error.message);
  return match ? match[1] || 'ACS ended the send Failed' : undefined;
}

function sendError(to: string, where: string, cause: unknown): MailerError {
  const status = statusOf(cause);
  const detail = errorMessage(cause);
  const hint =
    status === 401
      ? ' (ACS refused the credential: check the access key in ACS_CONNECTION_STRING, or the managed identity)'
      : status === 403
        ? ' (the identity lacks permission to send: assign it the email sender role of infra/rbac.bicep on the ACS resource)'
        : status === 429
          ? ' (ACS throttled the send after the SDK retries: lower MAIL_LIMIT_PER_MINUTE / MAIL_LIMIT_PER_HOUR)'
          : '';
  return new MailerError(
    `Could not send email to ${to} through ACS at ${where}: ${status ? `${status} ` : ''}${detail}${hint}`,
    to,
    status,
    { cause },
  );
}

/** The endpoint of an ACS connection string (never the key, which must not reach logs). */
function endpointOf(connectionString: string): string {
  return /endpoint=([^;]+)/i.exec(connectionString)?.[1] ?? '(connection string without endpoint)';
}
