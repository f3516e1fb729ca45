import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { acsMailerFor, createAcsMailer } from '../../src/adapters/azure/email/mailer.js';
import { MemoryMailer } from '../../src/adapters/memory/mailer.js';
import { loadConfig } from '../../src/config.js';
import { emailClientOptions, startEmulator, type Emulator } from '../../src/local/emulator/index.js';
import { fixedClock } from '../../src/ports/clock.js';
import { MailerError, type MailerPort } from '../../src/ports/mailer.js';

const message = {
  to: 'alice@contoso.com',
  subject: 'Your clones',
  plainText: 'plain',
  html: '<p>html</p>',
  headers: { 'X-PITR-Warden-Run': 'run-1' },
};

/** What every MailerPort does: a Succeeded send has an id of its own. */
function mailerContract(name: string, make: () => MailerPort) {
  describe(`MailerPort contract: ${name}`, () => {
    it('answers Succeeded with a distinct id per send', async () => {
      const mailer = make();
      const a = await mailer.send(message);
      const b = await mailer.send({ ...message, to: 'bob@contoso.com' });
      expect(a.status).toBe('Succeeded');
      expect(b.status).toBe('Succeeded');
      expect(a.id).not.toBe(b.id);
      expect(a.error).toBeUndefined();
    });
  });
}

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator?.close();
});

const acs = (overrides: Partial<Parameters<typeof createAcsMailer>[0]> = {}) =>
  createAcsMailer({
    sender: 'DoNotReply@warden.example.com',
    connectionString: emulator.acsConnectionString,
    clientOptions: emailClientOptions(emulator),
    pollIntervalInMs: 10,
    ...overrides,
  });

mailerContract('ACS on the emulator', () => acs());
mailerContract('memory', () => new MemoryMailer(fixedClock('2026-11-21T09:00:00Z')));

describe('ACS mailer on the emulator (real EmailClient)', () => {
  beforeEach(() => emulator.reset());

  it('sends with a connection string (HMAC): subject, both parts, headers and sender reach the mailbox', async () => {
    const result = await acs().send(message);
    expect(result.status).toBe('Succeeded');
    const [mail] = emulator.mailbox.list();
    expect(mail).toMatchObject({
      id: result.id,
      senderAddress: 'DoNotReply@warden.example.com',
      to: [{ address: 'alice@contoso.com' }],
      subject: 'Your clones',
      plainText: 'plain',
      html: '<p>html</p>',
      headers: { 'X-PITR-Warden-Run': 'run-1' },
      auth: 'hmac',
    });
  });

  it('sends with an endpoint and a TokenCredential (managed identity in Azure)', async () => {
    const result = await acs({
      connectionString: undefined,
      endpoint: emulator.acsEndpoint,
      credential: emulator.credential,
    }).send(message);
    expect(result.status).toBe('Succeeded');
    expect(emulator.mailbox.list().map((m) => m.auth)).toEqual(['bearer']);
  });

  it('builds from the app settings, trusting the emulator CA from ARM_CA_CERT_PATH', async () => {
    const config = loadConfig({
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      GOVERNED_SUBSCRIPTION_IDS: emulator.subscriptionIds.join(','),
      FALLBACK_MAILBOX: 'dba-team@contoso.com',
      ACS_CONNECTION_STRING: emulator.acsConnectionString,
      ARM_CA_CERT_PATH: emulator.caCertPath,
      MAIL_SENDER: 'warden@contoso.com',
    });
    const { tlsOptions } = await import('../../src/adapters/azure/credential.js');
    const result = await acsMailerFor(config, emulator.credential, tlsOptions(config)).send(message);
    expect(result.status).toBe('Succeeded');
    expect(emulator.mailbox.list()[0]?.senderAddress).toBe('warden@contoso.com');
  });

  it('answers Failed with the service reason when the send operation ends Failed', async () => {
    emulator.faults.add({
      operation: 'Email_Send',
      failLro: true,
      errorCode: 'EmailDropped',
      errorMessage: 'recipient mailbox full (injected)',
      times: 1,
    });
    const result = await acs().send(message);
    expect(result).toMatchObject({
      status: 'Failed',
      error: expect.stringContaining('recipient mailbox full (injected)') as unknown,
    });
    expect(result.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('throws a MailerError naming the recipient and the fix for a wrong access key (401), without the key', async () => {
    const wrongKey = Buffer.from('wrong').toString('base64');
    const error = await acs({
      connectionString: emulator.acsConnectionString.replace(/accesskey=.*/i, `accesskey=${wrongKey}`),
    })
      .send(message)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(MailerError);
    const e = error as MailerError;
    expect(e).toMatchObject({ to: 'alice@contoso.com', statusCode: 401, isAuthentication: true });
    expect(e.message).toContain('Could not send email to alice@contoso.com through ACS at');
    expect(e.message).toContain('check the access key in ACS_CONNECTION_STRING');
    expect(e.message).not.toContain(wrongKey);
    expect(e.cause).toBeDefined();
    expect(emulator.mailbox.list()).toHaveLength(0);
  });

  it('throws a MailerError after the SDK retries when ACS keeps answering 503', async () => {
    emulator.faults.add({ operation: 'Email_Send', status: 503, retryAfterSeconds: 0 });
    const error = await acs()
      .send(message)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toMatchObject({ name: 'MailerError', statusCode: 503, isAuthentication: false });
  });

  it('says how to configure ACS when neither a connection string nor an endpoint is set', async () => {
    await expect(acs({ connectionString: undefined }).send(message)).rejects.toThrow(
      /ACS is not configured \(set ACS_CONNECTION_STRING locally, or ACS_ENDPOINT/,
    );
  });
});

describe('memory mailer', () => {
  it('records sends at the clock time and plays queued faults per recipient', async () => {
    const clock = fixedClock('2026-11-21T09:00:00Z');
    const mailer = new MemoryMailer(clock);
    mailer.failNext('bob@contoso.com', 'dropped');
    mailer.throwNext('*', new MailerError('no route', 'carol@contoso.com', 503));
    expect(await mailer.send({ ...message, to: 'bob@contoso.com' })).toMatchObject({
      status: 'Failed',
      error: 'dropped',
    });
    await expect(mailer.send({ ...message, to: 'carol@contoso.com' })).rejects.toThrow('no route');
    clock.advance(1000);
    expect(await mailer.send(message)).toMatchObject({ status: 'Succeeded' });
    expect(mailer.sent.map((m) => [m.to, m.status, m.at])).toEqual([
      ['bob@contoso.com', 'Failed', '2026-11-21T09:00:00.000Z'],
      ['alice@contoso.com', 'Succeeded', '2026-11-21T09:00:01.000Z'],
    ]);
    expect(mailer.succeeded().map((m) => m.to)).toEqual(['alice@contoso.com']);
  });
});
