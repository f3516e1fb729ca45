import type { TokenCredential } from '@azure/core-auth';
import { unsignedJwt, unsignedTokenCredential } from '../../unsignedJwt.js';

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

/** An unsigned JWT (alg none) carrying the identity's claims; the emulator reads them, nothing verifies them. */
export function fakeJwt(
  identity: EmulatorIdentity = DEFAULT_IDENTITY,
  audience = 'https://management.azure.com/',
): string {
  return unsignedJwt(claimsOf(identity, audience));
}

/** The claims Microsoft Entra ID puts in an access token of this identity for this audience (v1 tokens). */
function claimsOf(identity: EmulatorIdentity, audience: string): Record<string, unknown> {
  const issuedAt = Math.floor(Date.now() / 1000);
  return {
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
}

/**
 * A TokenCredential that hands out a fake JWT for any scope, so SDK clients talk to the emulator as `identity`.
 * @example new PostgreSQLManagementFlexibleServerClient(emulatorCredential({ ...DEFAULT_IDENTITY, upn: 'dba@contoso.com' }), subId, armClientOptions(emulator))
 */
export function emulatorCredential(identity: EmulatorIdentity = DEFAULT_IDENTITY): TokenCredential {
  return unsignedTokenCredential((audience) => claimsOf(identity, audience));
}

export { decodeJwtClaims } from '../../unsignedJwt.js';
