import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { AzureNamedKeyCredential, RestError, TableClient, type TableEntity } from '@azure/data-tables';
import { expect, vi } from 'vitest';
import { createDefaultHttpClient, createHttpHeaders } from '@azure/core-rest-pipeline';
import type { HttpClient, PipelineRequest, PipelineResponse } from '@azure/core-rest-pipeline';
import { statusOf } from '../../src/adapters/azure/errors.js';
import { EntityWriter } from '../../src/adapters/azure/tables/entityWriter.js';
import { codeOf } from '../../src/adapters/azure/tables/tableErrors.js';
import { DEV_ACCOUNT, DEV_KEY } from '../../src/local/azurite.js';

/** A storage account's Table endpoint as Azure names it; scripted clients answer for it, nothing reaches it. */
export const AZURE = 'https://wardenstore.table.core.windows.net';

/** A request as it left the pipeline. */
export interface Sent {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

export function sentOf(request: PipelineRequest): Sent {
  return { method: request.method, url: request.url, headers: request.headers.toJSON(), body: request.body };
}

/** Passes every request on to `inner` and keeps what was sent. */
export function recording(inner: HttpClient): HttpClient & { sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
    sendRequest: (request) => {
      sent.push(sentOf(request));
      return inner.sendRequest(request);
    },
  };
}

/** One scripted answer of the service. */
export interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** Answers every request with the next scripted answer, and keeps what was sent: nothing leaves the process. */
export function scriptedService(answers: Answer[]): HttpClient & { sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
    sendRequest: (request): Promise<PipelineResponse> => {
      sent.push(sentOf(request));
      const answer = answers[(sent.length - 1) % answers.length]!;
      return Promise.resolve({
        request,
        status: answer.status,
        headers: createHttpHeaders(answer.headers),
        ...(answer.body === undefined ? {} : { bodyAsText: answer.body }),
      });
    },
  };
}

/** An Entra token credential that hands out one fixed token and keeps the scopes it was asked for. */
export function entraToken(scopes: string[]): TokenCredential {
  return {
    getToken: (scope): Promise<AccessToken> => {
      scopes.push(...(Array.isArray(scope) ? scope : [scope]));
      return Promise.resolve({ token: 'entra-token', expiresOnTimestamp: Date.now() + 3_600_000 });
    },
  };
}

/** The two ways the warden signs Table requests: Azurite's shared key and an Entra token. */
export const CREDENTIALS: [string, (scopes: string[]) => TokenCredential | AzureNamedKeyCredential][] = [
  ['shared key', () => new AzureNamedKeyCredential(DEV_ACCOUNT, DEV_KEY)],
  ['Entra token', entraToken],
];

/**
 * The SDK's TableClient and one for the lean path, on the same table and credential, each answered by a scripted
 * service of its own and on one fixed clock, so even shared-key signatures (over x-ms-date) compare. The caller puts
 * the real timers back (`vi.useRealTimers()`).
 */
export function scriptedPair(
  table: string,
  answers: Answer[],
  credential: TokenCredential | AzureNamedKeyCredential,
): { sdk: TableClient; lean: TableClient; ours: HttpClient & { sent: Sent[] }; theirs: HttpClient & { sent: Sent[] } } {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-11-01T08:00:00Z'));
  const ours = scriptedService(answers);
  const theirs = scriptedService(answers);
  const client = (httpClient: HttpClient) =>
    new TableClient(AZURE, table, credential as TokenCredential, { httpClient });
  return { sdk: client(theirs), lean: client(ours), ours, theirs };
}

let pairs = 0;

/**
 * A table the SDK writes and one EntityWriter writes (`<prefix>Sdk<n>` and `<prefix>Our<n>`: names of one length, so
 * even the requests' Content-Length compares), both through one recording HTTP client and holding the same `seed`
 * rows; the recording starts empty.
 */
export async function writerPair(
  connectionString: string,
  prefix: string,
  seed: TableEntity<Record<string, unknown>>[] = [],
): Promise<{ sdk: TableClient; lean: TableClient; writer: EntityWriter; http: HttpClient & { sent: Sent[] } }> {
  const http = recording(createDefaultHttpClient());
  const client = (name: string) =>
    TableClient.fromConnectionString(connectionString, name, { allowInsecureConnection: true, httpClient: http });
  const n = ++pairs;
  const sdk = client(`${prefix}Sdk${n}`);
  const lean = client(`${prefix}Our${n}`);
  await Promise.all([sdk.createTable(), lean.createTable()]);
  for (const row of seed) await Promise.all([sdk.createEntity(row), lean.createEntity(row)]);
  http.sent.length = 0;
  return { sdk, lean, writer: new EntityWriter(lean, http), http };
}

/**
 * The error the lean path threw is the SDK's for the same answer: both RestErrors of this status and code (undefined
 * when the answer names none), with the same name and the service's same words (its request id and time aside). `responseStatus`: the answer's HTTP status
 * (202 for a transaction, whatever its failing operation's status).
 */
export function expectSameError(
  ours: unknown,
  theirs: unknown,
  status: number,
  code: string | undefined,
  responseStatus = status,
): void {
  expect(ours).toBeInstanceOf(RestError);
  expect(theirs).toBeInstanceOf(RestError);
  expect([statusOf(ours), codeOf(ours)]).toEqual([status, code]);
  expect([statusOf(ours), codeOf(ours), (ours as RestError).code, (ours as RestError).name]).toEqual([
    statusOf(theirs),
    codeOf(theirs),
    (theirs as RestError).code,
    (theirs as RestError).name,
  ]);
  // The message holds the service's JSON (its newlines escaped) or, for a transaction, its text.
  const words = (error: unknown) => (error as Error).message.replace(/RequestId:[^\\\n]*(?:\\n|\n)Time:[^"\n]*/, '');
  expect(words(ours)).toBe(words(theirs));
  expect((ours as RestError).response?.status).toBe(responseStatus);
}

/** Table Storage's JSON error body; a transaction's message starts with the failing operation's index. */
export function odataErrorBody(code: string, text: string, index?: number): string {
  return JSON.stringify({
    'odata.error': {
      code,
      message: {
        lang: 'en-US',
        value: `${index === undefined ? '' : `${index}:`}${text}\nRequestId:0f5c2b4e-0002-0035-1b2a-000000000000\nTime:2026-11-01T08:00:00.0000000Z`,
      },
    },
  });
}
