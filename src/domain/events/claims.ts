import { z } from 'zod';
import type { Actor } from '../model.js';
import { describeValue, expected } from './validate.js';
import { EventFormatError } from './types.js';

const UPN = ['upn', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn'];
/** Claims that hold an e-mail address for guests and personal accounts, which have no upn. */
const EMAIL = [
  'email',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  'unique_name',
  'preferred_username',
];
const OBJECT_ID = ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid'];
const APP_ID = ['appid', 'azp'];
const EMAIL_ADDRESS = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** Event claims: an object (Event Grid, Activity Log REST) or a JSON string (Activity Log alerts). */
export const claimsSchema = z.union([z.record(z.string(), z.unknown()), z.string()], {
  error: expected('an object or a JSON string'),
});

/**
 * The fields an Activity Log record carries in every form it reaches the warden (a REST or SDK entry, an Activity Log
 * alert's alertContext): who acted, with which authorization, on which event, and the operation's properties.
 */
export const activityRecordFields = {
  eventDataId: z.string().optional(),
  correlationId: z.string().optional(),
  caller: z.string().optional(),
  claims: claimsSchema.optional(),
  authorization: z.object({ scope: z.string().optional(), action: z.string().optional() }).optional(),
  properties: z.record(z.string(), z.unknown()).nullish(),
};

/**
 * Turns claims given as a JSON string into an object; throws EventFormatError naming `where` when the
 * string is not a JSON object. An empty string means no claims.
 */
export function claimsObject(
  claims: Record<string, unknown> | string | undefined,
  where: string,
): Record<string, unknown> | undefined {
  if (claims === undefined || typeof claims === 'object') return claims;
  if (claims.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(claims);
  } catch (error) {
    throw new EventFormatError(`${where}: not valid JSON (${(error as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new EventFormatError(`${where}: expected a JSON object, got ${describeValue(parsed)}`);
  }
  return parsed as Record<string, unknown>;
}

function first(
  claims: Record<string, unknown>,
  names: readonly string[],
  accept: (value: string) => boolean = () => true,
): string | undefined {
  for (const name of names) {
    const value = claims[name];
    if (typeof value !== 'string') continue;
    const trimmed = value.trim().replace(/^live\.com#/i, '');
    if (trimmed !== '' && accept(trimmed)) return trimmed;
  }
  return undefined;
}

/**
 * Who acted, from token claims. A user has a upn (or an e-mail claim); a token with `idtyp` app, or with an
 * app id and no upn, is a service principal, which has no mailbox. Claims that do not parse give `unknown`.
 * @example actorFromClaims({ 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': 'alice@contoso.com', name: 'Alice', appid: 'c44b…' })
 *   // { type: 'user', upn: 'alice@contoso.com', name: 'Alice', appId: 'c44b…' }
 */
export function actorFromClaims(claims: Record<string, unknown> | string | undefined): Actor {
  let object: Record<string, unknown> | undefined;
  try {
    object = claimsObject(claims, 'claims');
  } catch {
    return { type: 'unknown' };
  }
  if (!object) return { type: 'unknown' };
  const idtyp = typeof object.idtyp === 'string' ? object.idtyp.toLowerCase() : undefined;
  const upn = first(object, UPN) ?? first(object, EMAIL, (value) => EMAIL_ADDRESS.test(value));
  const name = first(object, ['name']);
  const objectId = first(object, OBJECT_ID);
  const appId = first(object, APP_ID);
  const ids = { ...(objectId ? { objectId } : {}), ...(appId ? { appId } : {}) };
  if (idtyp === 'app' || (idtyp !== 'user' && !upn && appId)) return { type: 'service-principal', ...ids };
  if (upn || idtyp === 'user') return { type: 'user', ...(upn ? { upn } : {}), ...(name ? { name } : {}), ...ids };
  return { type: 'unknown', ...(name ? { name } : {}), ...ids };
}

/** The Activity Log `caller` when claims say nothing: an e-mail address is a user, a GUID an object id. */
export function actorFromCaller(caller: string | undefined): Actor {
  const value = caller?.trim();
  if (!value) return { type: 'unknown' };
  if (EMAIL_ADDRESS.test(value)) return { type: 'user', upn: value };
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value))
    return { type: 'unknown', objectId: value };
  return { type: 'unknown', name: value };
}
