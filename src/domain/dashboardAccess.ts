/**
 * Who may open the dashboard. In Azure, App Service authentication (Easy Auth, Microsoft Entra ID) signs people in and
 * hands the app the `X-MS-CLIENT-PRINCIPAL` header (it strips that header from what clients send); the app checks it
 * again here, and the Entra group when one is configured. Pure: headers in, a decision out.
 */

export interface DashboardAccessSettings {
  /** `entra`: only requests that App Service authentication signed in; `none`: the local stack (no sign-in). */
  readonly mode: 'entra' | 'none';
  /** Object id of the Entra group whose members may look; undefined: every signed-in user of the app registration. */
  readonly allowedGroupId?: string;
}

export type AccessDecision =
  | { readonly ok: true; readonly user: string }
  | { readonly ok: false; readonly status: 401 | 403; readonly message: string };

const GROUP_CLAIMS = new Set(['groups', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups']);
const NAME_CLAIMS = [
  'preferred_username',
  'name',
  'upn',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
];

interface ClientPrincipal {
  readonly auth_typ?: string;
  readonly claims?: ReadonlyArray<{ readonly typ?: string; readonly val?: string }>;
}

/**
 * The decision for one request, from its `x-ms-client-principal` header (base64 JSON of the signed-in user's claims).
 * @example dashboardAccess(request.headers.get('x-ms-client-principal') ?? undefined, { mode: 'entra', allowedGroupId })
 */
export function dashboardAccess(
  principalHeader: string | undefined,
  settings: DashboardAccessSettings,
): AccessDecision {
  if (settings.mode === 'none') return { ok: true, user: 'local' };
  if (!principalHeader) {
    return {
      ok: false,
      status: 401,
      message:
        'Sign in required: the dashboard is served only behind App Service authentication with Microsoft Entra ID (see README "Dashboard").',
    };
  }
  let principal: ClientPrincipal;
  try {
    principal = JSON.parse(Buffer.from(principalHeader, 'base64').toString('utf8')) as ClientPrincipal;
  } catch {
    return {
      ok: false,
      status: 401,
      message: 'The sign-in header X-MS-CLIENT-PRINCIPAL is not base64 JSON; sign in again.',
    };
  }
  const listed: readonly unknown[] = Array.isArray(principal?.claims) ? principal.claims : [];
  const claims = listed.filter((c): c is { typ?: string; val?: string } => typeof c === 'object' && c !== null);
  const user =
    NAME_CLAIMS.map((n) => claims.find((c) => c.typ === n)?.val).find(
      (v): v is string => typeof v === 'string' && v !== '',
    ) ?? 'signed-in user';
  if (!settings.allowedGroupId) return { ok: true, user };
  const wanted = settings.allowedGroupId.trim().toLowerCase();
  if (claims.some((c) => c.typ !== undefined && GROUP_CLAIMS.has(c.typ) && c.val?.trim().toLowerCase() === wanted))
    return { ok: true, user };
  const overage = claims.some((c) => c.typ === '_claim_names' || c.typ === 'hasgroups');
  return {
    ok: false,
    status: 403,
    message: overage
      ? `${user} belongs to more groups than a token carries, so membership of the dashboard group cannot be checked: set the app registration's groupMembershipClaims to ApplicationGroup and assign the group to it.`
      : `${user} is not a member of the Entra group allowed to open the dashboard (DASHBOARD_ALLOWED_GROUP_ID).`,
  };
}
