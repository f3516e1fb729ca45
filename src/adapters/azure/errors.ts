import { errorMessage } from '../../errorMessage.js';
/** HTTP status of an Azure SDK error (RestError), if it has one. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * ARM's error answer to a request sent through a pipeline (which does not throw on a status) as the SDKs throw it: an
 * Error with `statusCode`, ARM's `code` and ARM's message.
 * @example throw armErrorOf(409, '{"error":{"code":"ScopeLocked","message":"..."}}') // .code 'ScopeLocked'
 */
export function armErrorOf(
  status: number,
  body: string | undefined | null,
): Error & { statusCode: number; code?: string } {
  let code: string | undefined;
  let text: string;
  try {
    const parsed = JSON.parse(body ?? '') as { error?: { code?: string; message?: string } };
    code = parsed.error?.code;
    text = parsed.error?.message ?? '';
  } catch {
    text = (body ?? '').slice(0, 200);
  }
  return Object.assign(new Error(text || `HTTP ${status}`), { statusCode: status, ...(code ? { code } : {}) });
}

/**
 * An Azure call that failed, named by what the warden was doing. The SDK error stays as `cause`; the message says
 * what a person can do about the common cases (login, permission, throttling).
 */
export class AzureCallError extends Error {
  override name = 'AzureCallError';
  readonly statusCode?: number;
  readonly code?: string;

  /** `action`: the RBAC action the call needs, named in the 403 hint when ARM's message does not name it. */
  constructor(operation: string, cause: unknown, options: { action?: string } = {}) {
    const status = statusOf(cause);
    const code = (cause as { code?: unknown } | undefined)?.code;
    const detail = errorMessage(cause);
    super(
      `Could not ${operation}: ${status ? `${status} ` : ''}${typeof code === 'string' ? `${code}: ` : ''}${detail}${hint(status, detail, options.action)}`,
      { cause },
    );
    this.statusCode = status;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

function hint(status: number | undefined, detail: string, action?: string): string {
  if (/CredentialUnavailable|ChainedTokenCredential|az login|authenticate/i.test(detail))
    return ' (no Azure login found: run `az login`, set AZURE_CLIENT_ID for a managed identity, or use WARDEN_CREDENTIAL=emulator against the local emulator)';
  if (status === 401) return ' (the credential was rejected: sign in again)';
  if (status === 403) {
    // ARM names the action in AuthorizationFailed messages ("...perform action 'X' over scope..."); else the caller's.
    const needed = /action '([^']+)'/i.exec(detail)?.[1] ?? action;
    const what = needed ? `permission for ${needed}` : 'this permission';
    return ` (the signed-in identity lacks ${what}: ask for a role that grants it; the warden's own role is in src/adapters/azure/permissions.ts)`;
  }
  if (status === 429) return ' (throttled by ARM after the SDK retries: run again later)';
  return '';
}
