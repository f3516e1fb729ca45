import { EmailClient, type EmailMessage } from '@azure/communication-email';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emailClientOptions, startEmulator, type Emulator } from '../../src/local/emulator/index.js';
import { call, now } from './helpers.js';

let emulator: Emulator;
const mailboxDir = mkdtempSync(join(tmpdir(), 'emulator-mailbox-'));
const message: EmailMessage = {
  senderAddress: 'DoNotReply@warden.example.com',
  content: {
    subject: 'Your clone pg-orders-pitr expires on 2026-11-28',
    plainText: 'Extend it by moving the ExpiresOn tag.',
    html: '<p>Extend it</p>',
  },
  recipients: {
    to: [{ address: 'alice@contoso.com', displayName: 'Alice' }],
    cc: [{ address: 'dba-team@contoso.com' }],
  },
};

beforeAll(async () => {
  emulator = await startEmulator({ now, mailboxDir });
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

describe('ACS Email through @azure/communication-email', () => {
  it('sends with the connection string (HMAC): 202 + Operation-Location, then Succeeded; the mailbox has the message', async () => {
    const statuses: number[] = [];
    const client = new EmailClient(emulator.acsConnectionString, emailClientOptions(emulator));
    const poller = await client.beginSend(message, { onResponse: (raw) => statuses.push(raw.status) });
    const result = await poller.pollUntilDone();
    expect(result.status).toBe('Succeeded');
    expect(statuses[0]).toBe(202);
    const [sent] = emulator.mailbox.to('alice@contoso.com');
    expect(sent).toMatchObject({
      id: result.id,
      subject: message.content.subject,
      senderAddress: message.senderAddress,
      auth: 'hmac',
      sentAt: now().toISOString(),
    });
    expect(sent!.cc).toEqual([{ address: 'dba-team@contoso.com' }]);
    expect(emulator.requests.count({ operation: 'Email_Send', status: 202 })).toBe(1);
    expect(emulator.requests.count({ operation: 'Email_GetSendResult', status: 200 })).toBeGreaterThan(0);
  });

  it('rejects a wrong access key with 401 and keeps the mailbox empty', async () => {
    const wrong = emulator.acsConnectionString.replace(
      /accesskey=.*/,
      `accesskey=${Buffer.from('not the key').toString('base64')}`,
    );
    const client = new EmailClient(wrong, emailClientOptions(emulator));
    await expect(client.beginSend(message)).rejects.toMatchObject({ statusCode: 401 });
    expect(emulator.mailbox.list()).toEqual([]);
    expect(emulator.requests.count({ operation: 'Email_Send', status: 401 })).toBe(1);
  });

  it('accepts a bearer token (managed identity) on the endpoint', async () => {
    const client = new EmailClient(emulator.acsEndpoint, emulator.credential, emailClientOptions(emulator));
    const result = await (await client.beginSend(message)).pollUntilDone();
    expect(result.status).toBe('Succeeded');
    expect(emulator.mailbox.list()[0]?.auth).toBe('bearer');
  });

  it('rejects a message without recipients with 400', async () => {
    const client = new EmailClient(emulator.acsConnectionString, emailClientOptions(emulator));
    await expect(client.beginSend({ ...message, recipients: { to: [] } })).rejects.toMatchObject({ statusCode: 400 });
  });

  it('reports Failed when a failed send is injected', async () => {
    emulator.faults.add({
      operation: 'Email_Send',
      failLro: true,
      errorMessage: 'Email was dropped after several attempts to deliver.',
    });
    const client = new EmailClient(emulator.acsConnectionString, emailClientOptions(emulator));
    // beginSend polls once itself, so the failure surfaces there or in pollUntilDone.
    await expect(client.beginSend(message).then((poller) => poller.pollUntilDone())).rejects.toThrow(
      'The long-running operation has failed. EmailDropped. Email was dropped after several attempts to deliver.',
    );
  });

  it('exposes the mailbox over HTTP and as JSON files', async () => {
    const client = new EmailClient(emulator.acsConnectionString, emailClientOptions(emulator));
    await (await client.beginSend(message)).pollUntilDone();
    const listing = await call(emulator, 'GET', '/_emulator/mailbox?to=dba-team@contoso.com');
    expect(listing.status).toBe(200);
    expect((listing.body.value as { subject: string }[]).map((m) => m.subject)).toEqual([message.content.subject]);
    const files = readdirSync(mailboxDir).filter((f) => f.endsWith('.json'));
    const onDisk = files.map(
      (f) => JSON.parse(readFileSync(join(mailboxDir, f), 'utf8')) as { subject: string; to: { address: string }[] },
    );
    expect(onDisk.some((m) => m.subject === message.content.subject && m.to[0]?.address === 'alice@contoso.com')).toBe(
      true,
    );
  });
});
