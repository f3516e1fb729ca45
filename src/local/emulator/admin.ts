import type { Mailbox } from './acs/mailbox.js';
import type { EmulatorClock } from './clock.js';
import type { DataPlanes } from './dataPlane/index.js';
import type { EventSink } from './eventGrid.js';
import type { FaultRule, Faults } from './faults.js';
import type { Reply, RequestContext } from './http.js';
import { armError, HttpError, isRecord, ok } from './http.js';
import type { RequestLog } from './requestLog.js';
import type { EmulatorSnapshot } from './types.js';

export interface AdminServices {
  readonly requests: RequestLog;
  readonly faults: Faults;
  readonly mailbox: Mailbox;
  readonly events: EventSink;
  readonly clock: EmulatorClock;
  readonly reset: () => void;
  readonly snapshot: () => EmulatorSnapshot;
  readonly dataPlanes: DataPlanes;
}

const ENDPOINTS = [
  'GET    /_emulator/requests?operation=&status=&limit=   request log and counters; DELETE clears',
  'GET    /_emulator/faults                               active faults and the seed; POST a fault rule (or an array); DELETE [/id]',
  'GET    /_emulator/mailbox?to=                          sent emails; DELETE clears',
  'GET    /_emulator/events                               Event Grid events emitted',
  'GET    /_emulator/clock                                the emulator time and timeScale; POST {"now": iso}, {"advanceMs": n} and/or {"timeScale": x}; DELETE unpins',
  'GET    /_emulator/dataplanes?server=              connection details (host, port, user, password, CA) of data planes',
  'GET    /_emulator/snapshot                             current state in the snapshot format',
  'POST   /_emulator/reset                                reload the seed snapshot, clear logs, faults, mailbox, clock',
];

function isFaultRule(value: unknown): value is FaultRule {
  return isRecord(value) && ['status', 'latencyMs', 'failLro'].some((k) => k in value);
}

/** Admin HTTP endpoints for other processes (benchmarks, the CLI): not logged, not subject to faults. */
export function adminHandler(services: AdminServices): (ctx: RequestContext) => Reply {
  return (ctx) => {
    const [, , resource, id] = ctx.path.split('/');
    const route = `${ctx.method} ${resource ?? ''}`;
    switch (route) {
      case 'GET ':
        return ok({ endpoints: ENDPOINTS });
      case 'GET requests': {
        const status = ctx.query.get('status');
        const filter = {
          ...(ctx.query.get('operation') ? { operation: ctx.query.get('operation')! } : {}),
          ...(status ? { status: Number(status) } : {}),
        };
        const limit = Number(ctx.query.get('limit') ?? '1000');
        return ok({
          total: services.requests.total,
          counters: services.requests.counters(),
          entries: services.requests.entries(filter).slice(-limit),
        });
      }
      case 'DELETE requests':
        services.requests.clear();
        return { status: 204 };
      case 'GET faults':
        return ok({ seed: services.faults.seed, value: services.faults.list() });
      case 'POST faults': {
        const rules = Array.isArray(ctx.body) ? ctx.body : [ctx.body];
        if (!rules.every(isFaultRule))
          throw new HttpError(400, 'BadRequest', 'A fault needs at least one of status, latencyMs, failLro.');
        return { status: 201, body: { ids: rules.map((r) => services.faults.add(r)) } };
      }
      case 'DELETE faults':
        if (id) return services.faults.remove(id) ? { status: 204 } : armError(404, 'NotFound', `No fault '${id}'.`);
        services.faults.clear();
        return { status: 204 };
      case 'GET mailbox': {
        const to = ctx.query.get('to');
        return ok({ value: to ? services.mailbox.to(to) : services.mailbox.list() });
      }
      case 'DELETE mailbox':
        services.mailbox.clear();
        return { status: 204 };
      case 'GET events':
        return ok({
          schema: services.events.schema,
          delivered: services.events.delivered,
          value: services.events.emitted(),
        });
      case 'GET clock':
        return ok({
          now: services.clock.now().toISOString(),
          timeScale: services.clock.timeScale,
          virtual: services.clock.virtual,
        });
      case 'POST clock': {
        const body = isRecord(ctx.body) ? ctx.body : {};
        const scale = body.timeScale;
        if (scale !== undefined && (typeof scale !== 'number' || !Number.isFinite(scale) || scale < 0)) {
          throw new HttpError(
            400,
            'BadRequest',
            `timeScale must be a number >= 0 (real ms per Azure ms); got ${JSON.stringify(scale)}.`,
          );
        }
        if (typeof body.now === 'string' && !Number.isNaN(Date.parse(body.now))) services.clock.pin(new Date(body.now));
        else if (typeof body.advanceMs === 'number') services.clock.advance(body.advanceMs);
        else if (scale === undefined)
          throw new HttpError(
            400,
            'BadRequest',
            'Send {"now": "<ISO time>"}, {"advanceMs": <number>} or {"timeScale": <number>}.',
          );
        if (typeof scale === 'number') services.clock.timeScale = scale;
        return ok({ now: services.clock.now().toISOString(), timeScale: services.clock.timeScale });
      }
      case 'DELETE clock':
        services.clock.reset();
        return ok({ now: services.clock.now().toISOString() });
      case 'GET dataplanes': {
        const server = ctx.query.get('server');
        if (!server) return ok({ value: services.dataPlanes.list().map((s) => services.dataPlanes.connection(s)) });
        const connection = services.dataPlanes.connection(server);
        return connection ? ok(connection) : armError(404, 'NotFound', `Server '${server}' has no data plane.`);
      }
      case 'GET snapshot':
        return ok(services.snapshot());
      case 'POST reset':
        services.reset();
        return { status: 204 };
      default:
        return armError(404, 'NotFound', `No admin endpoint ${ctx.method} ${ctx.path}. GET /_emulator lists them.`);
    }
  };
}
