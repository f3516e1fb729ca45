import { parseActivityFilter } from '../activityLog.js';
import { ok } from '../http.js';
import type { Route } from '../route.js';
import type { ActivityLogEntry } from '../types.js';
import type { ArmServices } from './common.js';
import { ACTIVITY_LOG_API_VERSIONS, assertSubscription, pageOf } from './common.js';

/** `$select` keeps the named top-level properties only. */
function project(entry: ActivityLogEntry, select: string | null): Record<string, unknown> {
  if (!select) return entry;
  const names = select
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return Object.fromEntries(names.filter((n) => n in entry).map((n) => [n, entry[n]]));
}

export function activityLogRoutes(services: ArmServices): Route[] {
  return [
    {
      kind: 'arm',
      apiVersions: ACTIVITY_LOG_API_VERSIONS,
      operation: 'ActivityLogs_List',
      method: 'GET',
      pattern: /^\/subscriptions\/([^/]+)\/providers\/microsoft\.insights\/eventtypes\/management\/values$/i,
      handle: (ctx, [sub]) => {
        const filter = parseActivityFilter(ctx.query.get('$filter'), services.clock.now());
        const entries = services.activityLog.query(assertSubscription(sub!), filter);
        const page = pageOf(entries, ctx, services.pageSize);
        return ok({ ...page, value: page.value.map((e) => project(e, ctx.query.get('$select'))) });
      },
    },
  ];
}
