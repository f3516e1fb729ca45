import { FLEXIBLE_SERVER_TYPE } from '../../../domain/ids.js';
import type { RequestContext } from '../http.js';
import { HttpError, isRecord, ok } from '../http.js';
import type { Route } from '../route.js';
import type { ArmServices } from './common.js';
import { assertSubscription, POSTGRES_API_VERSIONS } from './common.js';

const NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const PROVIDER = '/subscriptions/([^/]+)/providers/microsoft\\.dbforpostgresql';

/**
 * `POST .../providers/Microsoft.DBforPostgreSQL/checkNameAvailability` and its location-scoped twin
 * (`.../locations/{location}/checkNameAvailability`, what `nameAvailability.checkWithLocation` of
 * @azure/arm-postgresql-flexible 9.x calls). Flexible server names are unique across Azure (they are DNS names), so a
 * name is taken when a server of that name exists anywhere in the emulator, in any subscription or resource group.
 * Answers 200 `{ name, type, nameAvailable, reason, message }` as Azure does; `message` texts are the emulator's own.
 */
export function nameAvailabilityRoutes(services: ArmServices): Route[] {
  const arm = { kind: 'arm' as const, apiVersions: POSTGRES_API_VERSIONS, method: 'POST' };
  return [
    { ...arm, operation: 'NameAvailability_CheckGlobally', pattern: new RegExp(`^${PROVIDER}/checknameavailability$`, 'i'), handle: (ctx, [sub]) => check(services, ctx, sub!) },
    {
      ...arm,
      operation: 'NameAvailability_CheckWithLocation',
      pattern: new RegExp(`^${PROVIDER}/locations/([^/]+)/checknameavailability$`, 'i'),
      handle: (ctx, [sub]) => check(services, ctx, sub!),
    },
  ];
}

function check(services: ArmServices, ctx: RequestContext, subscriptionId: string) {
  assertSubscription(subscriptionId);
  const body = ctx.body;
  if (!isRecord(body) || typeof body.name !== 'string' || body.name === '') {
    throw new HttpError(400, 'InvalidRequestContent', 'The request needs a JSON body with "name" (and "type": "Microsoft.DBforPostgreSQL/flexibleServers").');
  }
  const type = typeof body.type === 'string' && body.type !== '' ? body.type : FLEXIBLE_SERVER_TYPE;
  if (type.toLowerCase() !== FLEXIBLE_SERVER_TYPE.toLowerCase()) {
    throw new HttpError(400, 'InvalidResourceType', `The emulator checks names of ${FLEXIBLE_SERVER_TYPE} only; got type '${type}'.`);
  }
  const name = body.name;
  const answer = { name, type: FLEXIBLE_SERVER_TYPE };
  if (!NAME.test(name)) {
    return ok({ ...answer, nameAvailable: false, reason: 'Invalid', message: `The server name '${name}' must be 3 to 63 lower-case letters, digits or hyphens, not starting or ending with a hyphen.` });
  }
  if (services.store.serversNamed(name).length > 0) {
    return ok({ ...answer, nameAvailable: false, reason: 'AlreadyExists', message: 'Specified server name is already used.' });
  }
  return ok({ ...answer, nameAvailable: true });
}
