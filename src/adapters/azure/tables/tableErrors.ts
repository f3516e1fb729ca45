import { statusOf } from '../errors.js';
import { errorMessage } from '../../../errorMessage.js';

/** The Table Storage error code (`EntityAlreadyExists`, `AuthorizationFailure`, ...): from the error or its OData body. */
export function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && code !== '') return code;
  const message = error instanceof Error ? error.message : '';
  return /"code"\s*:\s*"([^"]+)"/.exec(message)?.[1];
}

/**
 * An error that says what failed and keeps the SDK error as `cause`.
 * @example tableError('Inventory', 'upsert', key, e) // "Inventory upsert failed for /subscriptions/...: 403 AuthorizationFailure"
 */
export function tableError(table: string, operation: string, key: string, cause: unknown): Error {
  const status = statusOf(cause);
  const code = codeOf(cause);
  const why = [status, code].filter((part) => part !== undefined).join(' ') || errorMessage(cause);
  const hint =
    code === 'TableNotFound' ? ' (the table does not exist yet: deploy the infrastructure, or start the app once)' : '';
  return new Error(`${table} ${operation} failed for ${key}: ${why}${hint}`, { cause });
}
