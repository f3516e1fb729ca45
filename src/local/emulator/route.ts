import type { FaultDecision } from './faults.js';
import type { Reply, RequestContext } from './http.js';

export type RouteKind = 'arm' | 'acs' | 'public' | 'admin';

/** One REST operation: method, path pattern (matched case-insensitively on the normalised path) and handler. */
export interface Route {
  /** REST operation id, for the request log and fault matching. */
  readonly operation: string;
  readonly method: string;
  readonly pattern: RegExp;
  readonly kind: RouteKind;
  /** api-version values accepted; left out for routes that take any (operation status URLs) or none. */
  readonly apiVersions?: readonly string[];
  handle(ctx: RequestContext, params: string[], fault: FaultDecision): Reply | Promise<Reply>;
}
