import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { POSTGRES_API_VERSIONS } from '../../src/local/emulator/arm/apiVersions.js';
import { startEmulator, type Emulator } from '../../src/local/emulator/index.js';
import { armRequest, baseSnapshot, now, SUB1, serverIdOf, type Answer, type Json } from './helpers.js';

/**
 * What real Azure answers, as traffic recorded against Azure by other projects' test suites shows it (issue 14), over
 * plain HTTPS so that status codes, headers and body keys are seen exactly as a client sees them. The emulator runs
 * with timeScale 1 on a pinned clock: operations take their Azure duration and only moving the clock moves them.
 */
let emulator: Emulator;

/** One ARM request with a bearer token; `path` may be a full polling URL the emulator handed out. */
const arm = (method: string, path: string, body?: unknown, apiVersion = '2025-08-01'): Promise<Answer> =>
  armRequest(emulator, method, path, body, apiVersion);

const PROD = serverIdOf(SUB1, 'rg-prod', 'pg-prod');
const OTHER = serverIdOf(SUB1, 'rg-other', 'pg-other');
const header = (a: Answer, name: string): string => String(a.headers[name.toLowerCase()] ?? '');
const MINUTE = 60_000;

/** Polls the Azure-AsyncOperation URL of a 202 once. */
const poll = (accepted: Answer) => arm('GET', header(accepted, 'Azure-AsyncOperation'));
const result = (accepted: Answer) => arm('GET', header(accepted, 'Location'));

const restoreBody = (pointInTimeUTC: string, extra: Record<string, unknown> = {}) => ({
  location: 'eastus',
  properties: { createMode: 'PointInTimeRestore', sourceServerResourceId: PROD, pointInTimeUTC },
  ...extra,
});

beforeAll(async () => {
  emulator = await startEmulator({ snapshot: baseSnapshot(), now, timeScale: 1 });
});
beforeEach(() => emulator.reset());
afterAll(async () => emulator?.close());

describe('202 answers name their operation and carry the polling headers', () => {
  it.each([
    [
      'PUT PointInTimeRestore',
      'RestoreSnapshotManagementOperation',
      () => arm('PUT', serverIdOf(SUB1, 'rg-prod', 'pg-prod-pitr'), restoreBody('2026-11-20T00:00:00Z')),
    ],
    [
      'PUT Default',
      'UpsertServerManagementOperation',
      () =>
        arm('PUT', serverIdOf(SUB1, 'rg-new', 'pg-new'), {
          location: 'westeurope',
          sku: { name: 'Standard_B1ms', tier: 'Burstable' },
          properties: { administratorLogin: 'a', administratorLoginPassword: 'p', version: '17' },
        }),
    ],
    [
      'PATCH',
      'UpsertServerManagementOperation',
      () => arm('PATCH', PROD, { properties: { network: { publicNetworkAccess: 'Disabled' } } }),
    ],
    ['DELETE', 'DropServerManagementOperation', () => arm('DELETE', OTHER)],
    ['POST stop', 'StopServerManagementOperation', () => arm('POST', `${PROD}/stop`)],
    ['POST restart', 'RestartServerManagementOperation', () => arm('POST', `${PROD}/restart`)],
    [
      'PUT firewall rule',
      'UpsertServerFirewallRulesManagementOperation',
      () =>
        arm('PUT', `${PROD}/firewallRules/new-rule`, {
          properties: { startIpAddress: '198.51.100.1', endIpAddress: '198.51.100.1' },
        }),
    ],
    [
      'DELETE firewall rule',
      'DropServerFirewallRulesManagementOperation',
      () => arm('DELETE', `${PROD}/firewallRules/office`),
    ],
  ])('%s: 202 {operation: %s, startTime}', async (_what, operation, send) => {
    const accepted = await send();
    expect(accepted.status).toBe(202);
    expect(accepted.body).toEqual({ operation, startTime: now().toISOString() });
    expect(header(accepted, 'Azure-AsyncOperation')).toMatch(
      /\/subscriptions\/[^/]+\/providers\/Microsoft\.DBforPostgreSQL\/locations\/[a-z0-9]+\/azureAsyncOperation\/[0-9a-f-]{36}\?api-version=2025-08-01$/,
    );
    expect(header(accepted, 'Location')).toMatch(
      /\/providers\/Microsoft\.DBforPostgreSQL\/locations\/[a-z0-9]+\/operationResults\/[0-9a-f-]{36}\?api-version=2025-08-01$/,
    );
    expect(Number(header(accepted, 'Retry-After'))).toBeGreaterThanOrEqual(0);
  });

  it('a start of a stopped server: StartServerManagementOperation', async () => {
    await arm('POST', `${PROD}/stop`);
    emulator.clock.advance(3 * MINUTE);
    const accepted = await arm('POST', `${PROD}/start`);
    expect(accepted.status).toBe(202);
    expect(accepted.body.operation).toBe('StartServerManagementOperation');
  });

  it('the polling URLs repeat the api-version of the request', async () => {
    const accepted = await arm('POST', `${PROD}/restart`, undefined, '2022-12-01');
    expect(header(accepted, 'Azure-AsyncOperation')).toMatch(/api-version=2022-12-01$/);
    expect(header(accepted, 'Location')).toMatch(/api-version=2022-12-01$/);
  });

  it('DELETE answers 202 (not 204) while the server exists; 204 once it is gone', async () => {
    expect((await arm('DELETE', OTHER)).status).toBe(202);
    emulator.clock.advance(MINUTE);
    expect((await arm('GET', OTHER)).status).toBe(404);
    expect((await arm('DELETE', OTHER)).status).toBe(204);
  });
});

describe('polls and results', () => {
  it('a poll answers {name, status, startTime}; Retry-After while InProgress', async () => {
    const accepted = await arm('POST', `${PROD}/stop`);
    const running = await poll(accepted);
    expect(running.status).toBe(200);
    expect(Object.keys(running.body).sort()).toEqual(['name', 'startTime', 'status']);
    expect(running.body).toMatchObject({ status: 'InProgress', startTime: now().toISOString() });
    expect(header(running, 'Azure-AsyncOperation')).toBe('');
    expect(running.headers['retry-after']).toBeDefined();
    emulator.clock.advance(3 * MINUTE);
    const done = await poll(accepted);
    expect(Object.keys(done.body).sort()).toEqual(['name', 'startTime', 'status']);
    expect(done.body.status).toBe('Succeeded');
    expect(done.body.name).toBe(running.body.name);
  });

  it('the Location of a running operation answers 202 with the polling headers, then 200 with a small body', async () => {
    const stop = await arm('POST', `${PROD}/stop`);
    const running = await result(stop);
    expect(running.status).toBe(202);
    expect(header(running, 'Location')).toBe(header(stop, 'Location'));
    emulator.clock.advance(3 * MINUTE);
    const done = await result(stop);
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ properties: {}, name: 'pg-prod', type: 'PostgreSQL' });
  });

  it('after a delete the Location answers 200 with no body', async () => {
    const remove = await arm('DELETE', OTHER);
    emulator.clock.advance(MINUTE);
    const done = await result(remove);
    expect(done.status).toBe(200);
    expect(done.body).toBeUndefined();
    expect((await poll(remove)).body.status).toBe('Succeeded');
  });

  it('PATCH of a stopped server: 202, then the operation fails with UpsertServerManagementOperationUnsupportedForStoppedServer; tags still work', async () => {
    await arm('POST', `${PROD}/stop`);
    emulator.clock.advance(3 * MINUTE);
    const patch = await arm('PATCH', PROD, { properties: { network: { publicNetworkAccess: 'Disabled' } } });
    expect(patch.status).toBe(202);
    expect(patch.body.operation).toBe('UpsertServerManagementOperation');
    // The failing PATCH still runs on the server until it ends: another change is refused meanwhile.
    expect((await arm('PATCH', PROD, { tags: { a: 'b' } })).body.error.code).toBe('ServerBusy');
    emulator.clock.advance(MINUTE);
    const failed = await poll(patch);
    expect(Object.keys(failed.body).sort()).toEqual(['error', 'name', 'startTime', 'status']);
    expect(failed.body.status).toBe('Failed');
    expect(failed.body.error.code).toBe('UpsertServerManagementOperationUnsupportedForStoppedServer');
    expect(Object.keys(failed.body.error).sort()).toEqual(['code', 'message']);
    const server = (await arm('GET', PROD)).body;
    expect(server.properties).toMatchObject({ state: 'Stopped', network: { publicNetworkAccess: 'Enabled' } });
    const tags = await arm(
      'PATCH',
      `${PROD}/providers/Microsoft.Resources/tags/default`,
      { operation: 'Merge', properties: { tags: { Quarantined: 'yes' } } },
      '2021-04-01',
    );
    expect(tags.status).toBe(200);
    expect((await arm('GET', PROD)).body.tags).toMatchObject({ Quarantined: 'yes' });
  });
});

describe('replaying recorded traffic', () => {
  it('a polling URL with an operation id the emulator never issued answers for the latest operation polled that way', async () => {
    const stop = await arm('POST', `${PROD}/stop`);
    const recorded = (kind: string, id: string) =>
      `/subscriptions/${SUB1}/providers/Microsoft.DBforPostgreSQL/locations/eastus/${kind}/${id}?api-version=2025-08-01`;
    const status = await arm('GET', recorded('azureAsyncOperation', 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa'));
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ name: (await poll(stop)).body.name, status: 'InProgress' });
    emulator.clock.advance(3 * MINUTE);
    expect(
      (await arm('GET', recorded('azureAsyncOperation', 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa'))).body.status,
    ).toBe('Succeeded');
    expect((await arm('GET', recorded('operationResults', 'bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb'))).body).toEqual({
      properties: {},
      name: 'pg-prod',
      type: 'PostgreSQL',
    });
    expect((await arm('GET', recorded('azureAsyncOperation', 'not-a-guid'))).status).toBe(404);
  });
});

describe('durations on the scaled clock, with the phases a client sees', () => {
  it('the time scale can change while the emulator runs: 0 ends what is running at its next poll', async () => {
    const restore = await arm('PUT', serverIdOf(SUB1, 'rg-prod', 'pg-prod-pitr'), restoreBody('2026-11-20T00:00:00Z'));
    expect((await poll(restore)).body.status).toBe('InProgress');
    const admin = await arm('POST', '/_emulator/clock', { timeScale: 0 }, '');
    expect(admin.body).toMatchObject({ timeScale: 0 });
    try {
      expect((await poll(restore)).body.status).toBe('Succeeded');
    } finally {
      emulator.clock.timeScale = 1;
    }
  });

  it('a restore is Provisioning for about 6.5 minutes, then Ready', async () => {
    const target = serverIdOf(SUB1, 'rg-prod', 'pg-prod-pitr');
    const accepted = await arm('PUT', target, restoreBody('2026-11-20T00:00:00Z'));
    expect((await arm('GET', target)).body.properties.state).toBe('Provisioning');
    emulator.clock.advance(6 * MINUTE);
    expect((await poll(accepted)).body.status).toBe('InProgress');
    expect((await arm('GET', target)).body.properties.state).toBe('Provisioning');
    emulator.clock.advance(MINUTE);
    expect((await poll(accepted)).body.status).toBe('Succeeded');
    expect((await arm('GET', target)).body.properties.state).toBe('Ready');
  });

  it('a PATCH shows Updating on a Ready server; a server with an operation running refuses another (409 ServerBusy)', async () => {
    const patch = await arm('PATCH', PROD, { properties: { network: { publicNetworkAccess: 'Disabled' } } });
    expect((await arm('GET', PROD)).body.properties.state).toBe('Updating');
    emulator.clock.advance(MINUTE);
    expect((await poll(patch)).body.status).toBe('Succeeded');
    expect((await arm('GET', PROD)).body.properties).toMatchObject({
      state: 'Ready',
      network: { publicNetworkAccess: 'Disabled' },
    });

    const target = serverIdOf(SUB1, 'rg-prod', 'pg-prod-pitr');
    await arm('PUT', target, restoreBody('2026-11-20T00:00:00Z'));
    const busy = await arm('PATCH', target, { tags: { Owner: 'alice@contoso.com' } });
    expect(busy.status).toBe(409);
    expect(busy.body).toEqual({
      error: {
        code: 'ServerBusy',
        message: "Server 'pg-prod-pitr' is busy with another operation. Please try again later.",
      },
    });
    expect((await arm('POST', `${target}/stop`)).body.error.code).toBe('ServerBusy');
    expect(
      (
        await arm('PUT', `${target}/firewallRules/r`, {
          properties: { startIpAddress: '10.0.0.1', endIpAddress: '10.0.0.1' },
        })
      ).status,
    ).toBe(409);
    // The Tags API is another resource provider: it still works.
    expect(
      (
        await arm(
          'PATCH',
          `${target}/providers/Microsoft.Resources/tags/default`,
          { operation: 'Merge', properties: { tags: { Owner: 'alice@contoso.com' } } },
          '2021-04-01',
        )
      ).status,
    ).toBe(200);
    expect((await arm('GET', target)).body).toMatchObject({
      tags: { Owner: 'alice@contoso.com' },
      properties: { state: 'Provisioning' },
    });
    emulator.clock.advance(7 * MINUTE);
    expect((await arm('GET', target)).body.properties.state).toBe('Ready');
    expect((await arm('PATCH', target, { tags: { Owner: 'bob@contoso.com' } })).status).toBe(202);
  });

  it('a stop is Stopping for about 3 minutes; a delete takes about 1', async () => {
    const stop = await arm('POST', `${PROD}/stop`);
    emulator.clock.advance(2.5 * MINUTE);
    expect((await arm('GET', PROD)).body.properties.state).toBe('Stopping');
    emulator.clock.advance(MINUTE);
    expect((await poll(stop)).body.status).toBe('Succeeded');
    expect((await arm('GET', PROD)).body.properties.state).toBe('Stopped');

    const remove = await arm('DELETE', OTHER);
    expect((await arm('GET', OTHER)).body.properties.state).toBe('Dropping');
    emulator.clock.advance(0.5 * MINUTE);
    expect((await poll(remove)).body.status).toBe('InProgress');
    emulator.clock.advance(MINUTE);
    expect((await poll(remove)).body.status).toBe('Succeeded');
  });

  it('Retry-After counts the real seconds left (capped), and 0 when the time scale makes the rest instant', async () => {
    const stop = await arm('POST', `${PROD}/stop`);
    expect(Number(header(stop, 'Retry-After'))).toBe(15);
    emulator.clock.advance(3 * MINUTE - 4_000);
    expect(Number(header(await poll(stop), 'Retry-After'))).toBeLessThanOrEqual(4);
  });
});

describe('server shapes', () => {
  it('systemData has createdAt only; location is the display name', async () => {
    const server = (await arm('GET', PROD)).body;
    expect(server.systemData).toEqual({ createdAt: '2026-01-10T08:00:00Z' });
    expect(server.location).toBe('East US');
    const listed = (await arm('GET', `/subscriptions/${SUB1}/providers/Microsoft.DBforPostgreSQL/flexibleServers`)).body
      .value as Json[];
    expect(listed.every((s) => Object.keys(s.systemData).join() === 'createdAt')).toBe(true);
  });

  it('a server never tagged has no tags key; one whose tags were emptied shows {}', async () => {
    const other = (await arm('GET', OTHER)).body;
    expect(other).not.toHaveProperty('tags');
    await arm(
      'PATCH',
      `${OTHER}/providers/Microsoft.Resources/tags/default`,
      { operation: 'Merge', properties: { tags: { a: '1' } } },
      '2021-04-01',
    );
    await arm('DELETE', `${OTHER}/providers/Microsoft.Resources/tags/default`, undefined, '2021-04-01');
    expect((await arm('GET', OTHER)).body.tags).toEqual({});
  });

  it('a restored server copies the source tags, carries no lineage, and has no earliestRestoreDate until its first backup', async () => {
    const target = serverIdOf(SUB1, 'rg-prod', 'pg-prod-pitr');
    await arm('PUT', target, restoreBody('2026-11-20T00:00:00Z'));
    emulator.clock.advance(7 * MINUTE);
    const clone = (await arm('GET', target)).body;
    expect(clone.properties.state).toBe('Ready');
    expect(clone.tags).toEqual((await arm('GET', PROD)).body.tags);
    for (const field of ['createMode', 'sourceServerResourceId', 'pointInTimeUTC'])
      expect(clone.properties).not.toHaveProperty(field);
    expect(clone.properties.backup).not.toHaveProperty('earliestRestoreDate');
    expect(clone.location).toBe('East US');
    emulator.clock.advance(10 * MINUTE);
    expect((await arm('GET', target)).body.properties.backup.earliestRestoreDate).toBeDefined();
  });

  it('a stopped server omits backup.earliestRestoreDate', async () => {
    expect((await arm('GET', PROD)).body.properties.backup.earliestRestoreDate).toBeDefined();
    await arm('POST', `${PROD}/stop`);
    emulator.clock.advance(3 * MINUTE);
    const stopped = (await arm('GET', PROD)).body;
    expect(stopped.properties.state).toBe('Stopped');
    expect(stopped.properties.backup).not.toHaveProperty('earliestRestoreDate');
    expect(stopped.properties.backup.backupRetentionDays).toBe(14);
  });

  it('a restore point in the future is accepted and the restore runs', async () => {
    const target = serverIdOf(SUB1, 'rg-prod', 'pg-prod-future');
    const accepted = await arm('PUT', target, restoreBody('2026-11-22T12:00:00Z'));
    expect(accepted.status).toBe(202);
    emulator.clock.advance(7 * MINUTE);
    expect((await poll(accepted)).body.status).toBe('Succeeded');
    expect((await arm('GET', target)).body.properties.state).toBe('Ready');
  });
});

describe('api-versions', () => {
  it('accepts every published version of the resource type, from 2021-06-01-preview to 2026-01-01-preview', async () => {
    for (const version of [
      '2021-06-01-preview',
      '2021-06-01',
      '2022-03-08-preview',
      '2022-12-01',
      '2023-03-01-preview',
      '2023-06-01-preview',
      '2023-12-01-preview',
      '2024-03-01-preview',
      '2024-08-01',
      '2024-11-01-preview',
      '2025-01-01-preview',
      '2025-06-01-preview',
      '2025-08-01',
      '2026-01-01-preview',
    ]) {
      expect(POSTGRES_API_VERSIONS).toContain(version);
      expect((await arm('GET', PROD, undefined, version)).status, version).toBe(200);
      expect((await arm('GET', `${PROD}/firewallRules`, undefined, version)).status, version).toBe(200);
    }
  });

  it('refuses a version that was never published, naming the supported ones', async () => {
    const refused = await arm('GET', PROD, undefined, '2020-01-01');
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('InvalidApiVersionParameter');
    expect(refused.body.error.message).toContain('2026-01-01-preview');
  });
});
