import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { Faults } from './faults.js';
import type { Reply, RequestContext } from './http.js';
import { armError, HttpError, normalisePath, parseJsonBody, readBody } from './http.js';
import type { RequestLog } from './requestLog.js';
import type { Route } from './route.js';
import { identityOf } from './caller.js';
import type { Throttle } from './throttle.js';

export interface RouterOptions {
  readonly routes: readonly Route[];
  readonly admin: (ctx: RequestContext) => Reply | Promise<Reply>;
  readonly faults: Faults;
  readonly requests: RequestLog;
  readonly baseUrl: () => string;
  /** ARM's token buckets; left out, nothing is throttled and no remaining-requests header is sent. */
  readonly throttle?: Throttle;
  /** Run before every ARM request: operations whose time has come end first, so a request sees them done. */
  readonly beforeArm?: () => void;
}

function contextOf(req: IncomingMessage, rawBody: string, baseUrl: string): RequestContext {
  // Concatenate: new URL('//subscriptions/…', base) would read a doubled leading slash as a host name.
  const url = new URL(`${baseUrl}${req.url ?? '/'}`);
  const header = (name: string): string | undefined => {
    const value = req.headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  };
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    path: normalisePath(url.pathname),
    query: url.searchParams,
    rawUrl: req.url ?? '/',
    headers: req.headers,
    rawBody,
    body: undefined,
    baseUrl,
    clientIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
    correlationId: header('x-ms-correlation-request-id') ?? randomUUID(),
    clientRequestId: header('x-ms-client-request-id') ?? randomUUID(),
    header,
  };
}

function send(res: ServerResponse, reply: Reply, extraHeaders: Record<string, string>): void {
  const headers: Record<string, string> = { ...extraHeaders, ...reply.headers };
  let payload: string | undefined;
  if (reply.body !== undefined && reply.status !== 204) {
    payload = JSON.stringify(reply.body);
    headers['Content-Type'] = 'application/json; charset=utf-8';
  }
  headers['Content-Length'] = String(payload ? Buffer.byteLength(payload) : 0);
  res.writeHead(reply.status, headers);
  res.end(payload);
}

const toReply = (error: unknown, ctx: RequestContext): Reply => {
  if (error instanceof HttpError) return armError(error.status, error.code, error.message, error.headers);
  return armError(
    500,
    'InternalServerError',
    `The emulator failed on ${ctx.method} ${ctx.path}: ${(error as Error).message}`,
  );
};

/** Checks every route kind needs before its handler: ARM wants a bearer token and a known api-version. */
function preconditions(route: Route, ctx: RequestContext): void {
  if (route.kind === 'arm' && !/^Bearer\s+\S+/i.test(ctx.header('authorization') ?? '')) {
    throw new HttpError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.");
  }
  if (!route.apiVersions) return;
  const version = ctx.query.get('api-version');
  if (!version)
    throw new HttpError(
      400,
      'MissingApiVersionParameter',
      'The api-version query parameter (?api-version=) is required for all requests.',
    );
  if (!route.apiVersions.includes(version)) {
    throw new HttpError(
      400,
      'InvalidApiVersionParameter',
      `The api-version '${version}' is invalid for ${route.operation}. The supported versions are '${route.apiVersions.join(',')}'.`,
    );
  }
}

/** ARM's budget for a request to a subscription's resources, by the principal its token names. */
function throttled(throttle: Throttle | undefined, ctx: RequestContext): ReturnType<Throttle['take']> | undefined {
  const subscriptionId = /^\/subscriptions\/([^/]+)/i.exec(ctx.path)?.[1];
  if (!throttle || !subscriptionId) return undefined;
  const identity = identityOf(ctx);
  return throttle.take({ principal: identity.objectId, subscriptionId, method: ctx.method });
}

/** Dispatches requests to routes, applies injected faults, and logs and counts every non-admin request. */
export function createRouter(options: RouterOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const dispatch = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const raw = await readBody(req);
    const base = contextOf(req, raw, options.baseUrl());
    const responseHeaders: Record<string, string> = {
      'x-ms-request-id': randomUUID(),
      'x-ms-correlation-request-id': base.correlationId,
    };
    if (base.path === '/_emulator' || base.path.startsWith('/_emulator/')) {
      let reply: Reply;
      try {
        reply = await options.admin({ ...base, body: parseJsonBody(raw) });
      } catch (error) {
        reply = toReply(error, base);
      }
      send(res, reply, {});
      return;
    }
    const candidates = options.routes.filter((r) => r.pattern.test(base.path));
    const route = candidates.find((r) => r.method === base.method);
    let reply: Reply;
    let faultNote: string | undefined;
    if (!route) {
      reply =
        candidates.length > 0
          ? armError(405, 'MethodNotAllowed', `The requested method ${base.method} is not allowed on ${base.path}.`)
          : armError(404, 'InvalidResourceType', `The emulator has no route for ${base.method} ${base.path}.`);
    } else {
      const params = route.pattern.exec(base.path)!.slice(1);
      const fault = options.faults.decide({ operation: route.operation, method: base.method, path: base.path });
      if (fault.applied.length > 0) faultNote = fault.applied.join(',');
      if (fault.latencyMs > 0) await delay(fault.latencyMs);
      const budget = route.kind === 'arm' ? throttled(options.throttle, base) : undefined;
      if (budget) Object.assign(responseHeaders, budget.headers);
      if (fault.reply) {
        reply = fault.reply;
      } else if (budget?.reply) {
        reply = budget.reply;
      } else {
        try {
          if (route.kind === 'arm') options.beforeArm?.();
          preconditions(route, base);
          reply = await route.handle({ ...base, body: parseJsonBody(raw) }, params, fault);
        } catch (error) {
          reply = toReply(error, base);
        }
      }
    }
    send(res, reply, route?.kind === 'arm' ? responseHeaders : {});
    options.requests.record({
      at: new Date().toISOString(),
      method: base.method,
      operation: route?.operation ?? 'Unknown',
      path: base.path,
      status: reply.status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      ...(faultNote ? { fault: faultNote } : {}),
    });
  };
  return (req, res) => {
    dispatch(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, armError(500, 'InternalServerError', (error as Error).message), {});
    });
  };
}
