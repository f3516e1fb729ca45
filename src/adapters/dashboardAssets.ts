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
  /** Hashes (`'sha256-…'`) of the inline styles the file carries: the content security policy allows exactly those. */
  readonly styleHashes?: readonly string[];
}

const asset = (contentType: string, body: string, styleHashes?: readonly string[]): DashboardAsset => ({
  contentType,
  body,
  etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  ...(styleHashes ? { styleHashes } : {}),
});

const STYLESHEET_LINK = '<link rel="stylesheet" href="dashboard/assets/dashboard.css">';
if (!html.includes(STYLESHEET_LINK))
  throw new Error(`web/dashboard/index.html must link its stylesheet as ${STYLESHEET_LINK}`);

/**
 * The page, with its stylesheet inline: the first paint waits for nothing but the page (a separate stylesheet request
 * queued behind the first table read on a cold instance). The policy allows that one style by its hash.
 */
export const DASHBOARD_PAGE = asset(
  'text/html; charset=utf-8',
  html.replace(STYLESHEET_LINK, `<style>${css}</style>`),
  [`'sha256-${createHash('sha256').update(css).digest('base64')}'`],
);
/** The files the page loads from `dashboard/assets/<name>` (chart.js pinned in package.json). */
export const DASHBOARD_ASSETS: Readonly<Record<string, DashboardAsset>> = {
  'dashboard.css': asset('text/css; charset=utf-8', css),
  'dashboard.js': asset('text/javascript; charset=utf-8', js),
  'chart.umd.min.js': asset('text/javascript; charset=utf-8', chartJs),
};
