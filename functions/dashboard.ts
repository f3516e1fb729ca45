import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { DashboardHttpDeps, DashboardRequest } from '../src/jobs/dashboardHttp.js';

/**
 * The dashboard: a page, its files, one JSON endpoint per view and CSV exports. Read-only, from the tables only (no
 * ARM call). In Azure, App Service authentication (Microsoft Entra ID, infra/app/function-app.bicep) signs people in;
 * the app checks the signed-in principal (and the Entra group) again on every request.
 */
const serve = (route: DashboardRequest['route']) =>
  async function (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    const [{ dashboardResponse }, deps] = await Promise.all([import('../src/jobs/dashboardHttp.js'), dashboardDeps()]);
    const response = await dashboardResponse(
      { route, name: request.params.name ?? '', query: Object.fromEntries(request.query), headers: Object.fromEntries(request.headers.entries()) },
      { ...deps, log: (line) => context.warn(line) },
    );
    return { status: response.status, headers: response.headers, body: response.body };
  };

export const dashboard = serve('page');
export const dashboardAsset = serve('asset');
export const dashboardData = serve('data');
export const dashboardExport = serve('export');

let deps: Promise<DashboardHttpDeps> | undefined;
/** Built once per process; the page and its files need no storage, the views open the tables on first use. */
function dashboardDeps(): Promise<DashboardHttpDeps> {
  deps ??= (async () => {
    const [wiring, assets, { dashboardReader }] = await Promise.all([import('../src/wiring.js'), import('../src/adapters/dashboardAssets.js'), import('../src/jobs/dashboard.js')]);
    const { dashboard: access } = (await import('../src/config.js')).config();
    let reader: ReturnType<typeof dashboardReader> | undefined;
    return {
      access: { mode: access.auth, ...(access.allowedGroupId ? { allowedGroupId: access.allowedGroupId } : {}) },
      page: assets.DASHBOARD_PAGE,
      assets: assets.DASHBOARD_ASSETS,
      reader: async () => (reader ??= dashboardReader(wiring.dashboardDeps(await wiring.wire()))),
    };
  })().catch((error: unknown) => {
    deps = undefined;
    throw error;
  });
  return deps;
}

const get = { methods: ['GET' as const], authLevel: 'anonymous' as const };
app.http('dashboard', { ...get, route: 'dashboard', handler: dashboard });
app.http('dashboardAsset', { ...get, route: 'dashboard/assets/{name}', handler: dashboardAsset });
app.http('dashboardData', { ...get, route: 'dashboard/data/{name}', handler: dashboardData });
app.http('dashboardExport', { ...get, route: 'dashboard/export/{name}', handler: dashboardExport });
