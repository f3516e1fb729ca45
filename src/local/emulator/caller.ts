import { createHash } from 'node:crypto';
import { DEFAULT_IDENTITY, decodeJwtClaims, EMULATOR_TENANT_ID, type EmulatorIdentity } from './credential.js';
import type { RequestContext } from './http.js';
import { isRecord } from './http.js';

/** The caller of one ARM request, in the shapes the Activity Log and Event Grid carry. */
export interface Caller {
  readonly identity: EmulatorIdentity;
  /** Activity Log `caller`: the UPN of a user, the object id of a service principal. */
  readonly caller: string;
  /** The token claims with the long claim names ARM writes into the Activity Log and events. */
  readonly claims: Record<string, string>;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** A stable GUID-shaped id derived from a name, so the same caller keeps the same object id. */
function guidFrom(text: string): string {
  const h = createHash('sha1').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function identityFromFields(fields: Record<string, unknown>): EmulatorIdentity {
  const upn = str(fields.upn) ?? str(fields.unique_name) ?? str(fields.preferred_username);
  const appId = str(fields.appId) ?? str(fields.appid) ?? str(fields.azp);
  const objectId = str(fields.objectId) ?? str(fields.oid) ?? guidFrom(upn ?? appId ?? 'caller');
  const declared = str(fields.type) ?? (str(fields.idtyp) === 'app' ? 'service-principal' : undefined);
  const type = declared === 'service-principal' || (!upn && declared !== 'user') ? 'service-principal' : 'user';
  return {
    type,
    ...(upn && type === 'user' ? { upn } : {}),
    ...(str(fields.name) ? { name: str(fields.name) } : {}),
    objectId,
    appId: appId ?? (type === 'user' ? DEFAULT_IDENTITY.appId : objectId),
    tenantId: str(fields.tenantId) ?? str(fields.tid) ?? EMULATOR_TENANT_ID,
  };
}

/** `x-emulator-caller`: a JSON object of identity fields, a UPN, or a GUID (a service principal). */
function identityFromHeader(value: string): EmulatorIdentity {
  const trimmed = value.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as unknown;
      if (isRecord(parsed)) return identityFromFields(parsed);
    } catch {
      // not JSON: fall through to the plain forms
    }
  }
  if (trimmed.includes('@')) return identityFromFields({ type: 'user', upn: trimmed, name: trimmed.split('@')[0] });
  if (GUID.test(trimmed)) return identityFromFields({ type: 'service-principal', appid: trimmed, oid: trimmed });
  return identityFromFields({ type: 'service-principal', name: trimmed, appid: guidFrom(trimmed) });
}

/**
 * The identities of the Authorization headers seen lately: a client sends one token until it expires (an hour), so
 * the emulator decodes it once rather than on every request. Bounded: emptied when it holds TOKENS_KEPT.
 */
const TOKEN_IDENTITIES = new Map<string, EmulatorIdentity>();
const TOKENS_KEPT = 256;

export function identityOf(ctx: RequestContext): EmulatorIdentity {
  const header = ctx.header('x-emulator-caller');
  if (header) return identityFromHeader(header);
  const auth = ctx.header('authorization');
  if (!auth) return DEFAULT_IDENTITY;
  const known = TOKEN_IDENTITIES.get(auth);
  if (known) return known;
  const token = auth.match(/^Bearer\s+(.+)$/i)?.[1];
  const claims = token ? decodeJwtClaims(token) : undefined;
  const identity = claims ? identityFromFields(claims) : DEFAULT_IDENTITY;
  if (TOKEN_IDENTITIES.size >= TOKENS_KEPT) TOKEN_IDENTITIES.clear();
  TOKEN_IDENTITIES.set(auth, identity);
  return identity;
}

export function callerOf(ctx: RequestContext, at: Date): Caller {
  const identity = identityOf(ctx);
  const seconds = String(Math.floor(at.getTime() / 1000));
  const claims: Record<string, string> = {
    aud: 'https://management.core.windows.net/',
    iss: `https://sts.windows.net/${identity.tenantId}/`,
    iat: seconds,
    nbf: seconds,
    exp: String(Math.floor(at.getTime() / 1000) + 3600),
    appid: identity.appId,
    appidacr: identity.type === 'user' ? '0' : '2',
    'http://schemas.microsoft.com/identity/claims/identityprovider': `https://sts.windows.net/${identity.tenantId}/`,
    'http://schemas.microsoft.com/identity/claims/objectidentifier': identity.objectId,
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier': identity.objectId,
    'http://schemas.microsoft.com/identity/claims/tenantid': identity.tenantId,
    ver: '1.0',
  };
  if (identity.type === 'user') {
    claims['http://schemas.microsoft.com/claims/authnmethodsreferences'] = 'pwd,mfa';
    claims['http://schemas.microsoft.com/identity/claims/scope'] = 'user_impersonation';
    if (identity.upn) {
      claims['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn'] = identity.upn;
      claims['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name'] = identity.upn;
    }
    if (identity.name) claims.name = identity.name;
  }
  return { identity, caller: identity.type === 'user' && identity.upn ? identity.upn : identity.objectId, claims };
}
