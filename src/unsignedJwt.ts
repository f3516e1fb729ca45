import type { AccessToken, TokenCredential } from '@azure/core-auth';

/**
 * Unsigned JWTs (alg none) for the local emulator, which reads a caller's claims and verifies nothing, and the one
 * decoder of a token's claims. Shared by the app's emulator credential, the emulator and the CLI (who signed in).
 * Never a credential for Azure.
 */

const segment = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT with these claims and no signature. @example unsignedJwt({ oid: '…', idtyp: 'app' }) // 'eyJhbGciOiJub25lIi….eyJvaWQiOi….' */
export function unsignedJwt(claims: Readonly<Record<string, unknown>>): string {
  return `${segment({ alg: 'none', typ: 'JWT' })}.${segment(claims)}.`;
}

/** The payload of a JWT, or undefined when the token is not one. */
export function decodeJwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload)
      ? (payload as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A TokenCredential handing out an unsigned JWT an hour long for any scope; `claimsFor` gets the audience the scope
 * names (`https://management.azure.com/.default` → `https://management.azure.com/`).
 */
export function unsignedTokenCredential(
  claimsFor: (audience: string) => Readonly<Record<string, unknown>>,
): TokenCredential {
  return {
    getToken(scopes: string | string[]): Promise<AccessToken> {
      const scope = Array.isArray(scopes) ? (scopes[0] ?? '') : scopes;
      const audience = scope.replace(/\/?\.default$/, '/');
      return Promise.resolve({ token: unsignedJwt(claimsFor(audience)), expiresOnTimestamp: Date.now() + 3_600_000 });
    },
  };
}
