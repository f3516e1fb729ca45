import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { config, perSettings } from '../src/config.js';
import type { DashboardReader } from '../src/jobs/dashboard.js';
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
      {
        route,
        name: request.params.name ?? '',
        query: Object.fromEntries(request.query),
        headers: Object.fromEntries(request.headers.entries()),
      },
      { ...deps, log: (line) => context.warn(line) },
    );
    return { status: response.status, headers: response.headers, body: response.body };
  };

export const dashboard = serve('page');
export const dashboardAsset = serve('asset');
export const dashboardData = serve('data');
export const dashboardExport = serve('export');

/**
 * Built once per process (per settings). The page and its files need only the bundle's text and the access settings; the Azure SDKs
 * and the tables load on the first data request, which the page request starts at once so both overlap.
 */
const dashboardDeps = perSettings((): Promise<DashboardHttpDeps> =>
  (async () => {
    const assets = await import('../src/adapters/dashboardAssets.js');
    const { dashboard: access } = config();
    let reader: Promise<DashboardReader> | undefined;
    const openReader = () =>
      (reader ??= (async () => {
        const [wiring, { dashboardReader }] = await Promise.all([
          import('../src/wiring.js'),
          import('../src/jobs/dashboard.js'),
        ]);
        const opened = dashboardReader(wiring.dashboardDeps(await wiring.wire()));
        // Start the first read of the tables now: the page's script asks for it a moment later.
        void opened.snapshot().catch(() => undefined);
        return opened;
      })().catch((error: unknown) => {
        reader = undefined;
        throw error;
      }));
    return {
      access: { mode: access.auth, ...(access.allowedGroupId ? { allowedGroupId: access.allowedGroupId } : {}) },
      page: assets.DASHBOARD_PAGE,
      assets: assets.DASHBOARD_ASSETS,
      reader: openReader,
      warm: () => void openReader().catch(() => undefined),
    };
  })().catch((error: unknown) => {
    dashboardDeps.forget();
    throw error;
  }),
);

const get = { methods: ['GET' as const], authLevel: 'anonymous' as const };
app.http('dashboard', { ...get, route: 'dashboard', handler: dashboard });
app.http('dashboardAsset', { ...get, route: 'dashboard/assets/{name}', handler: dashboardAsset });
app.http('dashboardData', { ...get, route: 'dashboard/data/{name}', handler: dashboardData });
app.http('dashboardExport', { ...get, route: 'dashboard/export/{name}', handler: dashboardExport });
