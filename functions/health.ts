import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';

/** Liveness for probes and dashboards: answers without touching Azure. */
export function health(_request: HttpRequest, _context: InvocationContext): HttpResponseInit {
  return { status: 200, jsonBody: { status: 'ok', app: 'pitr-warden' } };
}

app.http('health', { methods: ['GET'], authLevel: 'anonymous', route: 'health', handler: health });
