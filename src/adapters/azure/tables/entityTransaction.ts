import { RestError } from '@azure/core-rest-pipeline';
import type { PipelineResponse } from '@azure/core-rest-pipeline';

/** One operation of an Entity Group Transaction, as it is written into the batch body. */
export interface SubRequest {
  readonly method: string;
  readonly url: string;
  /** `Name: value` lines, in the SDK's order and casing. */
  readonly headers: readonly string[];
  readonly body?: string;
}

/** What the service answered for one operation of a transaction that succeeded. */
export interface SubResponse {
  readonly status: number;
  readonly etag?: string;
}

const CRLF = '\r\n';

/**
 * The multipart/mixed body of an Entity Group Transaction, byte for byte as the SDK's submitTransaction assembles it
 * (its transactionRequestAssemblePolicy and getTransactionHttpRequestBody): one changeset, each operation an
 * `application/http` part. The SDK's blank lines included (an empty line more before each body).
 * @example transactionBody([{ method: 'DELETE', url, headers: ['If-Match: *'] }], batchId, changesetId)
 */
export function transactionBody(operations: readonly SubRequest[], batchId: string, changesetId: string): string {
  const changeset = `changeset_${changesetId}`;
  const parts = [`--batch_${batchId}${CRLF}content-type: multipart/mixed; boundary=${changeset}${CRLF}${CRLF}`];
  const prefix = `--${changeset}${CRLF}content-type: application/http${CRLF}content-transfer-encoding: binary${CRLF}${CRLF}`;
  for (const operation of operations) {
    const head = `${prefix}${operation.method} ${operation.url} HTTP/1.1${CRLF}${operation.headers.join(CRLF)}${CRLF}${CRLF}`;
    parts.push(operation.body ? `${head}${CRLF}${operation.body}` : head);
  }
  return `${parts.join(CRLF)}${CRLF}--${changeset}--${CRLF}--batch_${batchId}--${CRLF}`;
}

/**
 * The operations' answers, in request order, read as the SDK's parseTransactionResponse reads them: a status that is
 * not 2xx, or an operation that answers with a body (the service answers only the failing one, its OData error
 * prefixed by its index, `1:The update condition ...`), throws the RestError the SDK throws: the operation's status,
 * its OData code and message (or "Transaction Failed" when the body is not OData JSON).
 */
export function subResponsesOf(response: PipelineResponse): SubResponse[] {
  const text = response.bodyAsText || '';
  if (response.status < 200 || response.status >= 300) throw transactionError(text, response.status, response);
  // Between the first and the last changeset boundary: one part per operation.
  const parts = text.split('--changesetresponse_');
  return parts.slice(1, parts.length - 1).map((part): SubResponse => {
    const statusMatch = /HTTP\/1.1 ([0-9]*)/.exec(part);
    if (!statusMatch) throw new Error(`Couldn't extract status from sub-response:\n ${part}`);
    const status = Number.parseInt(statusMatch[1]!);
    if (!Number.isInteger(status)) throw new Error(`Expected sub-response status to be an integer ${status}`);
    // The SDK's test for an error: JSON on one line (`.` stops at line ends, \r included).
    const body = /\{(.*)\}/.exec(part);
    if (body) throw transactionError(body[0], status, response);
    const etag = /ETag: (.*)/.exec(part)?.[1];
    return etag === undefined ? { status } : { status, etag };
  });
}

function transactionError(text: string, statusCode: number, response: PipelineResponse): RestError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = {};
  }
  const error = (parsed as { 'odata.error'?: { code?: string; message?: { value?: string } } } | null)?.['odata.error'];
  return new RestError(error ? (error.message?.value ?? 'Transaction Failed') : 'Transaction Failed', {
    code: error?.code,
    statusCode,
    request: response.request,
    response,
  });
}
