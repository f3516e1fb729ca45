import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MailAddress {
  readonly address: string;
  readonly displayName?: string;
}

/** One email the emulator accepted, as a test or a person reads it. */
export interface MailboxMessage {
  /** The send operation id. */
  readonly id: string;
  readonly sentAt: string;
  readonly senderAddress: string;
  readonly to: readonly MailAddress[];
  readonly cc: readonly MailAddress[];
  readonly bcc: readonly MailAddress[];
  readonly replyTo: readonly MailAddress[];
  readonly subject: string;
  readonly plainText?: string;
  readonly html?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly attachments: readonly { name: string; contentType: string; sizeInBytes: number }[];
  /** How it was authenticated: the access key (HMAC) or a bearer token (managed identity). */
  readonly auth: 'hmac' | 'bearer';
}

/**
 * Sent emails, in memory and, when `dir` is given, one JSON file each (`<sentAt>-<id>.json`).
 * @example emulator.mailbox.to('owner@contoso.com')[0]?.subject
 */
export class Mailbox {
  private messages: MailboxMessage[] = [];

  constructor(private readonly dir?: string) {
    if (dir) mkdirSync(dir, { recursive: true });
  }

  add(message: MailboxMessage): void {
    this.messages.push(message);
    if (this.dir)
      writeFileSync(
        join(this.dir, `${message.sentAt.replace(/[:.]/g, '-')}-${message.id}.json`),
        `${JSON.stringify(message, null, 2)}\n`,
      );
  }

  list(): readonly MailboxMessage[] {
    return this.messages;
  }

  /** Messages with `address` among to, cc or bcc (case-insensitive). */
  to(address: string): MailboxMessage[] {
    const wanted = address.toLowerCase();
    return this.messages.filter((m) => [...m.to, ...m.cc, ...m.bcc].some((r) => r.address.toLowerCase() === wanted));
  }

  clear(): void {
    this.messages = [];
  }
}
