/** HTTP status of an Azure SDK error (RestError), if it has one. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * An Azure call that failed, named by what the warden was doing. The SDK error stays as `cause`; the message says
 * what a person can do about the common cases (login, permission, throttling).
 */
export class AzureCallError extends Error {
  override name = 'AzureCallError';
  readonly statusCode?: number;
  readonly code?: string;

  constructor(operation: string, cause: unknown) {
    const status = statusOf(cause);
    const code = (cause as { code?: unknown } | undefined)?.code;
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`Could not ${operation}: ${status ? `${status} ` : ''}${typeof code === 'string' ? `${code}: ` : ''}${detail}${hint(status, detail)}`, { cause });
    this.statusCode = status;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

function hint(status: number | undefined, detail: string): string {
  if (/CredentialUnavailable|ChainedTokenCredential|az login|authenticate/i.test(detail))
    return ' (no Azure login found: run `az login`, set AZURE_CLIENT_ID for a managed identity, or use WARDEN_CREDENTIAL=emulator against the local emulator)';
  if (status === 401) return ' (the credential was rejected: sign in again)';
  if (status === 403) return ' (the identity lacks this permission: see src/adapters/azure/permissions.ts for the role the warden needs)';
  if (status === 429) return ' (throttled by ARM after the SDK retries: run again later)';
  return '';
}
