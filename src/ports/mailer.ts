/** One email to one recipient: the sender is fixed when the mailer is built. */
export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly plainText: string;
  readonly html: string;
  /** Custom headers (e.g. `X-PITR-Warden-Run`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** How a send ended: `Succeeded` once the service accepted it for delivery, `Failed` with the service's reason. */
export interface MailResult {
  /** The send operation id (ACS operation id), also when it failed. */
  readonly id: string;
  readonly status: 'Succeeded' | 'Failed';
  readonly error?: string;
}

/**
 * Sends email (Azure Communication Services Email in Azure and on the emulator, memory in unit tests).
 * `send` resolves `Failed` when the service ended the send as failed; it throws (a `MailerError`) when it could
 * not ask at all: bad key or permission (statusCode 401/403: the whole run stops), network, throttling after retries.
 * @example
 *   const result = await mailer.send({ to: 'alice@contoso.com', subject, plainText, html });
 *   if (result.status === 'Succeeded') recordSent(...);
 */
export interface MailerPort {
  send(message: MailMessage): Promise<MailResult>;
}

/** A send that could not be made; names the recipient, keeps the SDK error as `cause`. */
export class MailerError extends Error {
  override name = 'MailerError';
  constructor(
    message: string,
    readonly to: string,
    readonly statusCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The credential or key was refused: no later send can succeed, so the run stops. */
  get isAuthentication(): boolean {
    return this.statusCode === 401 || this.statusCode === 403;
  }
}
