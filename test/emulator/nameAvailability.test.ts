import type { RestError } from '@azure/core-rest-pipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/local/emulator/index.js';
import { clients, now, seedServer, SUB1, SUB2 } from './helpers.js';

/** Flexible server names are DNS names: unique across Azure. The emulator holds the whole "Azure" of a test. */
describe('checkNameAvailability through @azure/arm-postgresql-flexible 9.x (nameAvailability.checkGlobally / checkWithLocation)', () => {
  let emulator: Emulator;
  let pg: ReturnType<typeof clients>['postgres'];
  beforeAll(async () => {
    // pg-taken lives in the other subscription: asked from SUB1 it is taken all the same.
    emulator = await startEmulator({
      snapshot: { servers: [seedServer(SUB1, 'rg-prod', 'pg-prod'), seedServer(SUB2, 'rg-other', 'pg-taken')] },
      now,
    });
    pg = clients(emulator).postgres;
  });
  afterAll(() => emulator.close());
  const type = 'Microsoft.DBforPostgreSQL/flexibleServers';

  it('answers AlreadyExists for a name used in any subscription, as Azure does', async () => {
    const located = await pg.nameAvailability.checkWithLocation('eastus', { name: 'pg-taken', type });
    expect(located).toEqual({
      nameAvailable: false,
      reason: 'AlreadyExists',
      message: 'Specified server name is already used.',
    });
    expect(await pg.nameAvailability.checkGlobally({ name: 'pg-taken', type })).toMatchObject({
      nameAvailable: false,
      reason: 'AlreadyExists',
    });
    expect(emulator.requests.count({ operation: 'NameAvailability_CheckWithLocation' })).toBe(1);
    expect(emulator.requests.count({ operation: 'NameAvailability_CheckGlobally' })).toBe(1);
  });

  it('answers nameAvailable true for a free name and Invalid for a name Azure would refuse', async () => {
    expect(await pg.nameAvailability.checkWithLocation('eastus', { name: 'pg-free-0412', type })).toMatchObject({
      nameAvailable: true,
    });
    expect(await pg.nameAvailability.checkWithLocation('eastus', { name: 'Bad_Name', type })).toMatchObject({
      nameAvailable: false,
      reason: 'Invalid',
    });
  });

  it('refuses to create a server whose name exists in another subscription (409), creating nothing', async () => {
    const error = (await pg.servers
      .beginCreateOrUpdateAndWait('rg-restore', 'pg-taken', {
        location: 'eastus',
        createMode: 'PointInTimeRestore',
        sourceServerResourceId: seedServer(SUB1, 'rg-prod', 'pg-prod').id,
        pointInTimeUTC: new Date('2026-11-20T09:30:00Z'),
      })
      .catch((e: unknown) => e)) as RestError;
    expect(error.statusCode).toBe(409);
    expect(error.code).toBe('ServerNameAlreadyExists');
    expect(
      emulator
        .snapshot()
        .servers.map((s) => s.id.toLowerCase())
        .filter((id) => id.endsWith('/pg-taken')),
    ).toHaveLength(1);
  });
});
