import type { IncomingMessage } from 'node:http';

/** What a handler answers; the router writes it, logs it and counts it. */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** One request as handlers see it: path normalised, query parsed, body read. */
export interface RequestContext {
  readonly method: string;
  /** The path with repeated slashes collapsed and no trailing slash; names percent-decoded. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** The URL exactly as the client sent it (path and query), for signatures. */
  readonly rawUrl: string;
  readonly headers: IncomingMessage['headers'];
  readonly rawBody: string;
  readonly body: unknown;
  /** The public base URL of the emulator, e.g. https://127.0.0.1:4443 */
  readonly baseUrl: string;
  readonly clientIp: string;
  /** `x-ms-correlation-request-id` of the request, or a new one; echoed and written to the Activity Log. */
  readonly correlationId: string;
  /** `x-ms-client-request-id` of the request, or a new one. */
  readonly clientRequestId: string;
  header(name: string): string | undefined;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The ARM error body: `{ "error": { "code", "message" } }`. */
export function armError(status: number, code: string, message: string, headers: Record<string, string> = {}): Reply {
  return { status, headers, body: { error: { code, message } } };
}

export const ok = (body: unknown, headers?: Record<string, string>): Reply => ({
  status: 200,
  body,
  ...(headers ? { headers } : {}),
});

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Parses a JSON body; a malformed one is the 400 ARM answers. */
export function parseJsonBody(raw: string): unknown {
  if (raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch (cause) {
    throw new HttpError(
      400,
      'InvalidRequestContent',
      `The request content was invalid and could not be deserialized: ${(cause as Error).message}`,
    );
  }
}

/** Decodes first (SDKs send `{scope}` as %2F-encoded text), then collapses slashes and drops a trailing one. */
export function normalisePath(pathname: string): string {
  let decoded = pathname;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    // keep the raw path: a malformed escape simply matches no route
  }
  return decoded.replace(/\/{2,}/g, '/').replace(/\/+$/, '');
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
