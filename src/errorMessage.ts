/**
 * The message of an error of unknown type: an Error's message, anything else as text. One helper for every catch.
 * @example errorMessage(new Error('boom')) // 'boom'
 * @example errorMessage('plain') // 'plain'
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
