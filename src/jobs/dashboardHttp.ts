import type { DashboardAsset } from '../adapters/dashboardAssets.js';
import { dashboardAccess, type DashboardAccessSettings } from '../domain/dashboardAccess.js';
import type { DashboardReader } from './dashboard.js';
import { DashboardQueryError } from './dashboardQueryError.js';
import { errorMessage } from '../errorMessage.js';

/** One dashboard request, whatever runs it (the Functions host, the local host, a test). */
export interface DashboardRequest {
  readonly route: 'page' | 'asset' | 'data' | 'export';
  /** Asset file, view name or export file; empty for the page. */
  readonly name: string;
  readonly query: Readonly<Record<string, string>>;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
}

export interface DashboardResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface DashboardHttpDeps {
  readonly reader: () => Promise<DashboardReader>;
  readonly access: DashboardAccessSettings;
  readonly page: DashboardAsset;
  readonly assets: Readonly<Record<string, DashboardAsset>>;
  readonly log?: (line: string) => void;
  /** Called when the page is served and allowed: starts reading the tables before the page's script asks. */
  readonly warm?: () => void;
}

/**
 * Nothing but the bundle's own files runs on the page: no inline script, no inline style but the page's own stylesheet
 * (allowed by its hash), no other origin. Even a value that slipped past escaping could not run.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Answers one dashboard request: checks who asks, then serves the page, a file, a view's JSON or a CSV. Read-only. */
export async function dashboardResponse(
  request: DashboardRequest,
  deps: DashboardHttpDeps,
): Promise<DashboardResponse> {
  const access = dashboardAccess(request.headers['x-ms-client-principal'], deps.access);
  if (!access.ok) return text(access.status, access.message);
  try {
    switch (request.route) {
      case 'page':
        deps.warm?.();
        return file(deps.page, request);
      case 'asset': {
        const found = Object.hasOwn(deps.assets, request.name) ? deps.assets[request.name] : undefined;
        return found ? file(found, request) : text(404, `No dashboard file ${request.name}`);
      }
      case 'data': {
        const reader = await deps.reader();
        const body = await reader.view(request.name, request.query);
        return {
          status: 200,
          headers: {
            ...SECURITY_HEADERS,
            'content-type': 'application/json; charset=utf-8',
            'cache-control': 'no-store',
          },
          body: JSON.stringify(body),
        };
      }
      case 'export':
        return await exportCsv(request, await deps.reader());
    }
  } catch (error) {
    if (error instanceof DashboardQueryError) return text(error.status, error.message);
    deps.log?.(`dashboard ${request.route} ${request.name} failed: ${errorMessage(error)}`);
    return text(503, `The dashboard could not read its data: ${errorMessage(error)}`);
  }
}

async function exportCsv(request: DashboardRequest, reader: DashboardReader): Promise<DashboardResponse> {
  const day = new Date().toISOString().slice(0, 10);
  if (request.name === 'inventory.csv')
    return csv(await reader.inventoryCsv(request.query), `pitr-warden-inventory-${day}.csv`);
  if (request.name === 'evidence.csv') {
    const { name, csv: body } = await reader.evidenceCsv(request.query.server ?? '');
    return csv(body, `pitr-warden-evidence-${name.replace(/[^A-Za-z0-9-]/g, '_')}-${day}.csv`);
  }
  return text(404, `No export ${request.name}; exports: inventory.csv, evidence.csv?server=<name or id>`);
}

function csv(body: string, filename: string): DashboardResponse {
  return {
    status: 200,
    headers: {
      ...SECURITY_HEADERS,
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${filename}"`,
      'cache-control': 'no-store',
    },
    body,
  };
}

function file(asset: DashboardAsset, request: DashboardRequest): DashboardResponse {
  const csp = asset.styleHashes?.length
    ? CONTENT_SECURITY_POLICY.replace("style-src 'self'", `style-src 'self' ${asset.styleHashes.join(' ')}`)
    : CONTENT_SECURITY_POLICY;
  const headers = {
    ...SECURITY_HEADERS,
    'content-security-policy': csp,
    'content-type': asset.contentType,
    etag: asset.etag,
    'cache-control': 'no-cache',
  };
  if (request.headers['if-none-match'] === asset.etag) return { status: 304, headers, body: '' };
  return { status: 200, headers, body: asset.body };
}

function text(status: number, message: string): DashboardResponse {
  return {
    status,
    headers: { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
    body: message,
  };
}
