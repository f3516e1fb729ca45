import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { POSTGRES_API_VERSIONS } from '../../src/local/emulator/arm/apiVersions.js';
import { startEmulator, type Emulator, type EmulatorSnapshot } from '../../src/local/emulator/index.js';
import { sample, type Editable } from '../support/samples.js';
import { armRequest, keyPaths, type Answer, type Json } from './helpers.js';

/**
 * Each fact of issue 14 (what real Azure answers for Microsoft.DBforPostgreSQL/flexibleServers), checked with
 * Microsoft's published examples in test/fixtures/azure-samples: the emulator is seeded with the examples' own server
 * (ServersGet's body), sent the examples' own requests (their `parameters`), and its answers are compared with the
 * examples' responses: status, header names and polling-URL shapes, body keys. Where a fact goes beyond what an
 * example shows (202 bodies, poll bodies, durations), the example gives the request and the shape it has in common.
 */
const EXAMPLES = 'postgresql-2025-08-01';
const ex = (name: string): Editable => sample(`${EXAMPLES}/${name}.json`);
const MINUTE = 60_000;
/** The examples' own times: the server was created 2025-06-01T18:30:22Z; restore points are minutes after. */
const NOW = new Date('2025-06-02T00:00:00Z');

let emulator: Emulator;

/** The ARM path of an example's request, from its `parameters`. */
function pathOf(parameters: Editable, suffix = ''): string {
  const server = `/subscriptions/${parameters.subscriptionId}/resourceGroups/${parameters.resourceGroupName}/providers/Microsoft.DBforPostgreSQL/flexibleServers/${parameters.serverName}`;
  return `${server}${parameters.firewallRuleName ? `/firewallRules/${parameters.firewallRuleName}` : ''}${suffix}`;
}

/** One ARM request with a bearer token; `path` may be a full polling URL the emulator handed out. */
const arm = (method: string, path: string, body?: unknown, apiVersion = '2025-08-01'): Promise<Answer> =>
  armRequest(emulator, method, path, body, apiVersion);

/** Sends an example's request (method and path given, body from its `parameters.parameters`). */
const send = (
  method: string,
  example: Editable,
  suffix = '',
  body: unknown = method === 'GET' || method === 'DELETE' ? undefined : example.parameters.parameters,
) => arm(method, pathOf(example.parameters, suffix), body, example.parameters['api-version']);
const header = (a: Answer, name: string): string => String(a.headers[name.toLowerCase()] ?? '');

/** A polling URL's shape: host, ids and api-version left out (the examples' ids are placeholders, their api-version an older one). */
function urlShape(url: string): string {
  const u = new URL(url);
  return u.pathname.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '{id}');
}

/** The example's 202 and the emulator's agree: status, header names, URL shapes of Azure-AsyncOperation and Location. */
function expectSame202(example: Editable, answer: Answer, what: string): void {
  const expected = example.responses['202'];
  expect(answer.status, what).toBe(202);
  for (const name of Object.keys(expected.headers)) {
    expect(header(answer, name), `${what}: ${name}`).not.toBe('');
    expect(urlShape(header(answer, name)), `${what}: ${name}`).toBe(
      urlShape(expected.headers[name]).replace('ffffffff-ffff-ffff-ffff-ffffffffffff', '{id}'),
    );
    expect(
      new URL(header(answer, name)).searchParams.get('api-version'),
      `${what}: ${name} repeats the request's api-version`,
    ).toBe(example.parameters['api-version']);
  }
}

const topKeys = (value: Json): string[] => Object.keys(value).sort();
const sampleServer = (): Editable => ex('ServersGet').responses['200'].body;

/** The examples' server as a seed, a restore source beside it with tags, and the rule the firewall examples delete. */
function exampleEstate(): EmulatorSnapshot {
  const server = sampleServer();
  const sourceId = ex('ServersCreatePointInTimeRestore').parameters.parameters.properties
    .sourceServerResourceId as string;
  const source = {
    ...sampleServer(),
    id: sourceId,
    name: sourceId.split('/').pop(),
    tags: { Environment: 'Production', Owner: 'orders-team@contoso.com' },
  };
  return {
    servers: [server, source],
    firewallRules: {
      [server.id]: [
        { name: 'examplefirewallrule', properties: { startIpAddress: '0.0.0.0', endIpAddress: '255.255.255.255' } },
      ],
    },
  };
}

beforeAll(async () => {
  emulator = await startEmulator({ snapshot: exampleEstate(), now: () => new Date(NOW), timeScale: 1 });
});
beforeEach(() => emulator.reset());
afterAll(async () => emulator?.close());

/** The restore example's target has the examples' server name (taken: names are unique): that server is deleted first. */
async function freeTargetName(): Promise<void> {
  await send('DELETE', ex('ServersDelete'));
  emulator.clock.advance(MINUTE);
}

/** Restores the examples' source to the example's target, and moves the clock past the restore. */
async function restoredClone(pointInTimeUTC?: string): Promise<{ accepted: Answer; clone: Json }> {
  await freeTargetName();
  const example = ex('ServersCreatePointInTimeRestore');
  const body = structuredClone(example.parameters.parameters);
  if (pointInTimeUTC) body.properties.pointInTimeUTC = pointInTimeUTC;
  const accepted = await send('PUT', example, '', body);
  emulator.clock.advance(7 * MINUTE);
  const got = await send('GET', example, '', undefined);
  if (got.status !== 200)
    throw new Error(
      `restore ${accepted.status} ${JSON.stringify(accepted.body)}; GET ${got.status} ${JSON.stringify(got.body)}`,
    );
  return { accepted, clone: got.body };
}

describe('issue 14 facts, checked against Microsoft examples', () => {
  it('systemData has createdAt only (as ServersGet shows), on a seeded server and on one the emulator created', async () => {
    const expected = Object.keys(sampleServer().systemData);
    expect(expected).toEqual(['createdAt']);
    expect(Object.keys((await send('GET', ex('ServersGet'))).body.systemData)).toEqual(expected);
    const { clone } = await restoredClone();
    expect(Object.keys(clone.systemData)).toEqual(expected);
  });

  it('a server that never had tags has no tags key (ServersGet has none); one whose tags were emptied shows "tags": {}', async () => {
    const get = await send('GET', ex('ServersGet'));
    expect(get.status).toBe(200);
    expect(topKeys(get.body)).toEqual(topKeys(sampleServer()));
    expect(get.body).not.toHaveProperty('tags');
    const tags = `${pathOf(ex('ServersGet').parameters)}/providers/Microsoft.Resources/tags/default`;
    await arm('PATCH', tags, { operation: 'Merge', properties: { tags: { a: '1' } } }, '2021-04-01');
    await arm('DELETE', tags, undefined, '2021-04-01');
    const emptied = (await send('GET', ex('ServersGet'))).body;
    expect(topKeys(emptied)).toEqual([...topKeys(sampleServer()), 'tags'].sort());
    expect(emptied.tags).toEqual({});
  });

  it("a restored server copies the source's tags, has no lineage fields and no backup.earliestRestoreDate until its first backup; location is the display name", async () => {
    const request = ex('ServersCreatePointInTimeRestore').parameters.parameters;
    const { accepted, clone } = await restoredClone();
    expectSame202(ex('ServersCreatePointInTimeRestore'), accepted, 'restore');
    // The request named createMode, sourceServerResourceId and pointInTimeUTC: none comes back.
    for (const field of Object.keys(request.properties)) expect(clone.properties, field).not.toHaveProperty(field);
    expect(clone.tags).toEqual({ Environment: 'Production', Owner: 'orders-team@contoso.com' });
    // The clone has every key of ServersGet but the first backup's date (and the tags it copied).
    const missing = [...keyPaths(sampleServer())].filter((k) => !keyPaths(clone).has(k));
    expect(missing).toEqual(['properties.backup.earliestRestoreDate']);
    expect(clone.location).toBe('East US'); // the example's request says "eastus"
    emulator.clock.advance(10 * MINUTE);
    expect((await send('GET', ex('ServersCreatePointInTimeRestore'))).body.properties.backup).toHaveProperty(
      'earliestRestoreDate',
    );
  });

  it('a stopped server omits backup.earliestRestoreDate (ServersGet of a Ready server shows it)', async () => {
    expect(sampleServer().properties.backup).toHaveProperty('earliestRestoreDate');
    expectSame202(ex('ServersStop'), await send('POST', ex('ServersStop'), '/stop'), 'stop');
    emulator.clock.advance(3 * MINUTE);
    const stopped = (await send('GET', ex('ServersGet'))).body;
    expect(stopped.properties.state).toBe('Stopped');
    expect(Object.keys(stopped.properties.backup).sort()).toEqual(
      Object.keys(sampleServer().properties.backup)
        .filter((k) => k !== 'earliestRestoreDate')
        .sort(),
    );
  });

  it('a restore point in the future is accepted and the restore runs (the example request, its point moved after now)', async () => {
    const { accepted, clone } = await restoredClone(new Date(NOW.getTime() + 2 * 60 * MINUTE).toISOString());
    expectSame202(ex('ServersCreatePointInTimeRestore'), accepted, 'future restore');
    expect((await arm('GET', header(accepted, 'Azure-AsyncOperation'))).body.status).toBe('Succeeded');
    expect(clone.properties.state).toBe('Ready');
  });

  it.each([
    ['ServersCreatePointInTimeRestore', 'RestoreSnapshotManagementOperation', 'PUT', ''],
    ['ServersUpdate', 'UpsertServerManagementOperation', 'PATCH', ''],
    ['ServersStop', 'StopServerManagementOperation', 'POST', '/stop'],
    ['FirewallRulesCreateOrUpdate', 'UpsertServerFirewallRulesManagementOperation', 'PUT', ''],
    ['FirewallRulesDelete', 'DropServerFirewallRulesManagementOperation', 'DELETE', ''],
    ['ServersDelete', 'DropServerManagementOperation', 'DELETE', ''],
  ])(
    '202 answers: %s has the example headers and the body {operation: "%s", startTime}',
    async (name, operation, method, suffix) => {
      if (name === 'ServersCreatePointInTimeRestore') await freeTargetName();
      const example = ex(name);
      const answer = await send(method, example, suffix);
      expectSame202(example, answer, name);
      expect(answer.body).toEqual({ operation, startTime: emulator.clock.now().toISOString() });
      expect(Number(header(answer, 'Retry-After'))).toBeGreaterThanOrEqual(0);
    },
  );

  it("202 answers: ServersStart of a stopped server is StartServerManagementOperation; DELETE answers 202, not the example's 204, while the server exists", async () => {
    await send('POST', ex('ServersStop'), '/stop');
    emulator.clock.advance(3 * MINUTE);
    const start = await send('POST', ex('ServersStart'), '/start');
    expectSame202(ex('ServersStart'), start, 'start');
    expect(topKeys(start.body)).toEqual(['operation', 'startTime']);
    expect(start.body.operation).toBe('StartServerManagementOperation');
    emulator.clock.advance(3 * MINUTE);
    const remove = await send('DELETE', ex('ServersDelete'));
    expect(Object.keys(ex('ServersDelete').responses).sort()).toEqual(['202', '204']);
    expect(remove.status).toBe(202);
    emulator.clock.advance(MINUTE);
    expect((await send('DELETE', ex('ServersDelete'))).status).toBe(204);
  });

  it('polls answer {name, status, startTime}, a failed one adds error {code, message}; the Location answers 200 with a small body (stop) or none (delete)', async () => {
    const stop = await send('POST', ex('ServersStop'), '/stop');
    const running = await arm('GET', header(stop, 'Azure-AsyncOperation'));
    expect(topKeys(running.body)).toEqual(['name', 'startTime', 'status']);
    expect(running.body.status).toBe('InProgress');
    expect(header(running, 'Retry-After')).not.toBe('');
    expect((await arm('GET', header(stop, 'Location'))).status).toBe(202);
    emulator.clock.advance(3 * MINUTE);
    expect((await arm('GET', header(stop, 'Azure-AsyncOperation'))).body.status).toBe('Succeeded');
    const result = await arm('GET', header(stop, 'Location'));
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ properties: {}, name: ex('ServersStop').parameters.serverName, type: 'PostgreSQL' });

    const patch = await send('PATCH', ex('ServersUpdate'));
    emulator.clock.advance(MINUTE);
    const failed = await arm('GET', header(patch, 'Azure-AsyncOperation'));
    expect(topKeys(failed.body)).toEqual(['error', 'name', 'startTime', 'status']);
    expect(topKeys(failed.body.error)).toEqual(['code', 'message']);

    await send('POST', ex('ServersStart'), '/start');
    emulator.clock.advance(3 * MINUTE);
    const remove = await send('DELETE', ex('ServersDelete'));
    emulator.clock.advance(MINUTE);
    const gone = await arm('GET', header(remove, 'Location'));
    expect(gone.status).toBe(200);
    expect(gone.body).toBeUndefined();
  });

  it('PATCH of a stopped server (the ServersUpdate request) answers 202 and its operation fails with UpsertServerManagementOperationUnsupportedForStoppedServer; the Tags API still works', async () => {
    await send('POST', ex('ServersStop'), '/stop');
    emulator.clock.advance(3 * MINUTE);
    const patch = await send('PATCH', ex('ServersUpdate'));
    expectSame202(ex('ServersUpdate'), patch, 'PATCH of a stopped server');
    emulator.clock.advance(MINUTE);
    const failed = await arm('GET', header(patch, 'Azure-AsyncOperation'));
    expect(failed.body).toMatchObject({
      status: 'Failed',
      error: { code: 'UpsertServerManagementOperationUnsupportedForStoppedServer' },
    });
    const server = (await send('GET', ex('ServersGet'))).body;
    expect(server.sku).toEqual(sampleServer().sku); // the example's new SKU was not applied
    const tags = await arm(
      'PATCH',
      `${pathOf(ex('ServersGet').parameters)}/providers/Microsoft.Resources/tags/default`,
      { operation: 'Merge', properties: { tags: { Quarantined: 'yes' } } },
      '2021-04-01',
    );
    expect(tags.status).toBe(200);
  });

  it('every published api-version is accepted: the ServersGet request answers the example body keys with each', async () => {
    const expected = [...keyPaths(sampleServer())];
    for (const version of POSTGRES_API_VERSIONS) {
      const get = await arm('GET', pathOf(ex('ServersGet').parameters), undefined, version);
      expect(get.status, version).toBe(200);
      expect(
        expected.filter((k) => !keyPaths(get.body).has(k)),
        version,
      ).toEqual([]);
    }
    for (const version of ['2021-06-01', '2022-12-01', '2024-08-01', '2025-08-01', '2026-01-01-preview'])
      expect(POSTGRES_API_VERSIONS).toContain(version);
  });

  it('durations on the scaled clock: the example restore is Provisioning for about 6.5 minutes, a stop about 3, a delete about 1', async () => {
    await freeTargetName();
    const restore = await send('PUT', ex('ServersCreatePointInTimeRestore'));
    const target = () => send('GET', ex('ServersCreatePointInTimeRestore'));
    expect((await target()).body.properties.state).toBe('Provisioning');
    emulator.clock.advance(6 * MINUTE);
    expect((await arm('GET', header(restore, 'Azure-AsyncOperation'))).body.status).toBe('InProgress');
    emulator.clock.advance(MINUTE);
    expect((await arm('GET', header(restore, 'Azure-AsyncOperation'))).body.status).toBe('Succeeded');
    expect((await target()).body.properties.state).toBe('Ready');

    const stop = await send('POST', ex('ServersStop'), '/stop');
    emulator.clock.advance(2.5 * MINUTE);
    expect((await send('GET', ex('ServersGet'))).body.properties.state).toBe('Stopping');
    emulator.clock.advance(MINUTE);
    expect((await arm('GET', header(stop, 'Azure-AsyncOperation'))).body.status).toBe('Succeeded');

    const remove = await send('DELETE', ex('ServersDelete'));
    emulator.clock.advance(0.5 * MINUTE);
    expect((await arm('GET', header(remove, 'Azure-AsyncOperation'))).body.status).toBe('InProgress');
    emulator.clock.advance(MINUTE);
    expect((await arm('GET', header(remove, 'Azure-AsyncOperation'))).body.status).toBe('Succeeded');
  });

  it("checkNameAvailability answers exactly {nameAvailable, reason, message}: the example's name and type are not echoed", async () => {
    const example = ex('NameAvailabilityCheckWithLocation');
    const p = example.parameters;
    const path = `/subscriptions/${p.subscriptionId}/providers/Microsoft.DBforPostgreSQL/locations/${p.locationName}/checkNameAvailability`;
    const taken = await arm('POST', path, p.parameters, p['api-version']);
    expect(taken.status).toBe(200);
    expect(topKeys(taken.body)).toEqual(['message', 'nameAvailable', 'reason']);
    expect(taken.body).toMatchObject({ nameAvailable: false, reason: 'AlreadyExists' });
    const free = await arm('POST', path, { ...p.parameters, name: 'exampleserver-free' }, p['api-version']);
    expect(topKeys(free.body)).toEqual(['message', 'nameAvailable', 'reason']);
    expect(free.body.nameAvailable).toBe(example.responses['200'].body.nameAvailable);
    // What the example and real Azure share: nameAvailable and message; name and type are the example's only.
    const shared = Object.keys(example.responses['200'].body).filter((k) => !['name', 'type'].includes(k));
    expect(shared.filter((k) => !(k in free.body))).toEqual([]);
  });
});
