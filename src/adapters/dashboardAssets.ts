import { createHash } from 'node:crypto';
import chartJs from '../../node_modules/chart.js/dist/chart.umd.min.js?raw';
import css from '../../web/dashboard/dashboard.css?raw';
import js from '../../web/dashboard/dashboard.js?raw';
import html from '../../web/dashboard/index.html?raw';

/** A static file of the dashboard: its text is inside the app bundle, so nothing is fetched from a CDN. */
export interface DashboardAsset {
  readonly contentType: string;
  readonly body: string;
  readonly etag: string;
}

const asset = (contentType: string, body: string): DashboardAsset => ({
  contentType,
  body,
  etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
});

/** The page, and the files it loads from `dashboard/assets/<name>` (chart.js pinned in package.json). */
export const DASHBOARD_PAGE = asset('text/html; charset=utf-8', html);
export const DASHBOARD_ASSETS: Readonly<Record<string, DashboardAsset>> = {
  'dashboard.css': asset('text/css; charset=utf-8', css),
  'dashboard.js': asset('text/javascript; charset=utf-8', js),
  'chart.umd.min.js': asset('text/javascript; charset=utf-8', chartJs),
};
