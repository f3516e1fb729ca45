import type { RequestContext } from '../http.js';
import { HttpError, isRecord, ok } from '../http.js';
import type { Route } from '../route.js';
import type { ArmServices } from './common.js';
import { assertSubscription } from './common.js';
import { POSTGRES_PROVIDER, type FlexibleProvider } from './providers.js';

const NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/**
 * `POST .../providers/Microsoft.DBforPostgreSQL/checkNameAvailability` and its location-scoped twin
 * (`.../locations/{location}/checkNameAvailability`, what `nameAvailability.checkWithLocation` of
 * @azure/arm-postgresql-flexible 9.x calls; `checkNameAvailability.execute` of @azure/arm-mysql-flexible 3.x calls it
 * under Microsoft.DBforMySQL). Flexible server names are unique across Azure (they are DNS names of the engine's zone),
 * so a name is taken when a server of that engine and name exists anywhere in the emulator, in any subscription or
 * resource group (also while a restore creates it).
 * Answers 200 with exactly `{ nameAvailable, reason, message }`, as real Azure answers (issue 14's recorded traffic);
 * Microsoft's published examples (NameAvailabilityCheckWithLocation.json) also show `name` and `type` and leave `reason`
 * out, which the service does not do. `message` texts and the values of an available name (`reason: null`,
 * `message: ''`) are the emulator's own.
 */
export function nameAvailabilityRoutes(services: ArmServices, provider: FlexibleProvider = POSTGRES_PROVIDER): Route[] {
  const arm = { kind: 'arm' as const, apiVersions: provider.apiVersions, method: 'POST' };
  const PROVIDER = `/subscriptions/([^/]+)/providers/${provider.pathNamespace}`;
  return [
    {
      ...arm,
      operation: 'NameAvailability_CheckGlobally',
      pattern: new RegExp(`^${PROVIDER}/checknameavailability$`, 'i'),
      handle: (ctx, [sub]) => check(services, provider, ctx, sub!),
    },
    {
      ...arm,
      operation: 'NameAvailability_CheckWithLocation',
      pattern: new RegExp(`^${PROVIDER}/locations/([^/]+)/checknameavailability$`, 'i'),
      handle: (ctx, [sub]) => check(services, provider, ctx, sub!),
    },
  ];
}

function check(services: ArmServices, provider: FlexibleProvider, ctx: RequestContext, subscriptionId: string) {
  const serverType = provider.serverType;
  assertSubscription(subscriptionId);
  const body = ctx.body;
  if (!isRecord(body) || typeof body.name !== 'string' || body.name === '') {
    throw new HttpError(
      400,
      'InvalidRequestContent',
      `The request needs a JSON body with "name" (and "type": "${serverType}").`,
    );
  }
  const type = typeof body.type === 'string' && body.type !== '' ? body.type : serverType;
  if (type.toLowerCase() !== serverType.toLowerCase()) {
    throw new HttpError(
      400,
      'InvalidResourceType',
      `The emulator checks names of ${serverType} only; got type '${type}'.`,
    );
  }
  const name = body.name;
  if (!NAME.test(name)) {
    return ok({
      nameAvailable: false,
      reason: 'Invalid',
      message: `The server name '${name}' must be 3 to 63 lower-case letters, digits or hyphens, not starting or ending with a hyphen.`,
    });
  }
  if (services.store.serversNamed(name, provider.engine).length > 0) {
    return ok({ nameAvailable: false, reason: 'AlreadyExists', message: 'Specified server name is already used.' });
  }
  return ok({ nameAvailable: true, reason: null, message: '' });
}
