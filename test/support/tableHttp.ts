import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { AzureNamedKeyCredential, TableClient } from '@azure/data-tables';
import { vi } from 'vitest';
import { createHttpHeaders } from '@azure/core-rest-pipeline';
import type { HttpClient, PipelineRequest, PipelineResponse } from '@azure/core-rest-pipeline';
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
