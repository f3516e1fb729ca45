import type { AccessToken, TokenCredential } from '@azure/core-auth';

/** Who calls the emulator: a user (with a UPN) or a service principal (app id and object id only). */
export interface EmulatorIdentity {
  readonly type: 'user' | 'service-principal';
  readonly upn?: string;
  readonly name?: string;
  readonly objectId: string;
  readonly appId: string;
  readonly tenantId: string;
}

export const EMULATOR_TENANT_ID = '7e5f6a1c-0000-4000-8000-00000000c0de';
/** The Azure CLI's public client id: what real user tokens from `az login` carry as appid. */
const AZURE_CLI_APP_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';

export const DEFAULT_IDENTITY: EmulatorIdentity = {
  type: 'user',
  upn: 'operator@contoso.com',
  name: 'Contoso Operator',
  objectId: '5b1e2c3d-0000-4000-8000-0000000000a1',
  appId: AZURE_CLI_APP_ID,
  tenantId: EMULATOR_TENANT_ID,
};

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsigned JWT (alg none) carrying the identity's claims; the emulator reads them, nothing verifies them. */
export function fakeJwt(identity: EmulatorIdentity = DEFAULT_IDENTITY, audience = 'https://management.azure.com/'): string {
  const issuedAt = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    aud: audience,
    iss: `https://sts.windows.net/${identity.tenantId}/`,
    iat: issuedAt,
    nbf: issuedAt,
    exp: issuedAt + 3600,
    tid: identity.tenantId,
    oid: identity.objectId,
    appid: identity.appId,
    idtyp: identity.type === 'user' ? 'user' : 'app',
    ...(identity.upn ? { upn: identity.upn } : {}),
    ...(identity.name ? { name: identity.name } : {}),
    ver: '1.0',
  };
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
}

/**
 * A TokenCredential that hands out a fake JWT for any scope, so SDK clients talk to the emulator as `identity`.
 * @example new PostgreSQLManagementFlexibleServerClient(emulatorCredential({ ...DEFAULT_IDENTITY, upn: 'dba@contoso.com' }), subId, armClientOptions(emulator))
 */
export function emulatorCredential(identity: EmulatorIdentity = DEFAULT_IDENTITY): TokenCredential {
  return {
    getToken(scopes: string | string[]): Promise<AccessToken> {
      const scope = Array.isArray(scopes) ? (scopes[0] ?? '') : scopes;
      const audience = scope.replace(/\/?\.default$/, '/');
      return Promise.resolve({ token: fakeJwt(identity, audience), expiresOnTimestamp: Date.now() + 3600_000 });
    },
  };
}

/** The payload of a JWT, or undefined when the token is not one. */
export function decodeJwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
