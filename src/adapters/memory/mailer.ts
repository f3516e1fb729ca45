import type { Clock } from '../../ports/clock.js';
import type { MailerError, MailerPort, MailMessage, MailResult } from '../../ports/mailer.js';

/** One email the memory mailer accepted or failed, with when (from the injected clock). */
export interface MemoryMail extends MailMessage {
  readonly id: string;
  readonly at: string;
  readonly status: MailResult['status'];
}

/** What to do to a send: end it Failed (the service's answer) or throw (no answer at all). */
export type MemoryMailFault = { readonly fail: string } | { readonly throw: MailerError };

/**
 * The memory twin of the ACS mailer for unit tests: records every send with the clock's time; faults are queued per
 * recipient (or for anyone with `*`).
 * @example
 *   const mailer = new MemoryMailer(clock);
 *   mailer.failNext('bob@contoso.com', 'EmailDropped');
 *   await sendOwnerNotices({ ...deps, mailer });
 *   mailer.succeeded().map((m) => m.to);
 */
export class MemoryMailer implements MailerPort {
  readonly sent: MemoryMail[] = [];
  private readonly faults = new Map<string, MemoryMailFault[]>();
  private next = 0;

  constructor(private readonly clock: Clock) {}

  send(message: MailMessage): Promise<MailResult> {
    const fault = this.takeFault(message.to);
    if (fault && 'throw' in fault) return Promise.reject(fault.throw);
    const id = `memory-${++this.next}`;
    const status = fault ? 'Failed' : 'Succeeded';
    this.sent.push({ ...message, id, at: this.clock.now().toISOString(), status });
    return Promise.resolve(fault ? { id, status, error: fault.fail } : { id, status });
  }

  /** The next send to `to` (`*`: to anyone) ends Failed with `error`. */
  failNext(to: string, error = 'EmailDropped (injected)'): void {
    this.queue(to, { fail: error });
  }

  /** The next send to `to` (`*`: to anyone) throws `error`. */
  throwNext(to: string, error: MailerError): void {
    this.queue(to, { throw: error });
  }

  succeeded(): MemoryMail[] {
    return this.sent.filter((m) => m.status === 'Succeeded');
  }

  to(address: string): MemoryMail[] {
    return this.sent.filter((m) => m.to.toLowerCase() === address.toLowerCase());
  }

  private queue(to: string, fault: MemoryMailFault): void {
    const key = to.toLowerCase();
    this.faults.set(key, [...(this.faults.get(key) ?? []), fault]);
  }

  private takeFault(to: string): MemoryMailFault | undefined {
    for (const key of [to.toLowerCase(), '*']) {
      const queued = this.faults.get(key);
      if (queued?.length) return queued.shift();
    }
    return undefined;
  }
}
