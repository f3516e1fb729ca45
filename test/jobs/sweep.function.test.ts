import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTables, type TableStores } from '../../src/adapters/azure/tables/tables.js';
import { parseSnapshot } from '../../src/domain/snapshot.js';
import { SWEEP_JOB } from '../../src/jobs/sweep.js';
import { startLocalHost, type LocalHost } from '../../src/local/functionsHost.js';
import { armServer, SUB1 } from '../support/estate.js';
import { startStack, type TestStack } from '../support/stack.js';
import { rowsFor } from './sweepSeed.js';
import { withRestoreLog } from '../support/restoreLog.js';

const entry = new URL('../../functions/deleteExpiredClones.ts', import.meta.url).pathname;
const DAY = 86_400_000;

describe('deleteExpiredClones, the timer function, on the emulator and Azurite', () => {
  // The function runs on the system clock: dates are relative to now.
  const now = Date.now();
  const day = (offset: number) => new Date(now + offset * DAY).toISOString();
  const lineage = {
    Owner: 'alice@contoso.com',
    Incident: 'INC-1',
    RestoredFrom: `/subscriptions/${SUB1}/resourceGroups/rg-prod/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-prod`,
    RestorePointUtc: day(-15),
  };
  const expired = armServer({
    name: 'pg-expired-clone',
    createdAt: day(-15),
    tags: { ...lineage, ExpiresOn: day(-10).slice(0, 10) },
  });
  const fresh = armServer({
    name: 'pg-fresh-clone',
    createdAt: day(-1),
    tags: { ...lineage, ExpiresOn: day(5).slice(0, 10) },
  });
  const prod = armServer({
    name: 'pg-prod',
    createdAt: '2025-01-01T00:00:00Z',
    tags: { Owner: 'team@contoso.com', ExpiresOn: '2025-06-01' },
    administratorLogin: 'prodadmin',
  });
  let stack: TestStack;
  let host: LocalHost;
  let stores: TableStores;
  const lines: string[] = [];

  beforeAll(async () => {
    stack = await startStack({
      snapshot: withRestoreLog({ servers: [expired, fresh, prod] }),
      settings: {
        SWEEP_MODE: 'enforce',
        SWEEP_MAX_DELETION_PERCENT: '100',
        GOVERNED_SUBSCRIPTION_IDS: SUB1,
        SWEEP_SCHEDULE: '0 0 0 1 1 *',
      },
    });
    stores = await openTables({ connectionString: stack.azurite.connectionString, prefix: stack.config.tablePrefix });
    const servers = parseSnapshot({ servers: [expired, fresh, prod] }).servers.map(
      ({ locks: _l, firewallRules: _f, ...s }) => s,
    );
    const history = {
      [servers[0]!.key]: [
        { stage: 'new-clone' as const, sentAt: day(-15), to: 'alice@contoso.com' },
        { stage: 'final-notice' as const, sentAt: day(-9), to: 'alice@contoso.com' },
      ],
    };
    await stores.inventory.upsertMany(rowsFor(servers, new Date(now - DAY), history).map((record) => ({ record })));
    host = await startLocalHost({
      entry,
      settings: stack.settings,
      only: ['deleteExpiredClones'],
      log: (line) => lines.push(line),
    });
  });
  afterAll(async () => {
    await host?.close();
    await stack?.close();
  });

  it('reads SWEEP_MODE and the caps from settings, deletes the one eligible clone and writes the heartbeat', async () => {
    await host.runTimer('deleteExpiredClones');
    expect(host.invocations).toEqual([
      expect.objectContaining({ functionName: 'deleteExpiredClones', trigger: 'timer', outcome: 'succeeded' }),
    ]);
    const deletes = stack.emulator.requests
      .entries({ method: 'DELETE' })
      .map((r) => r.path.split('?')[0]!.split('/').at(-1));
    expect(deletes).toEqual(['pg-expired-clone']);
    expect(lines.join('\n')).toMatch(
      /deleteExpiredClones \(enforce\): 1 eligible, 1 deleted \(1 accepted by ARM, recorded when gone\), 0 would delete/,
    );
    const run = (await stores.runs.list()).find((r) => r.job === SWEEP_JOB);
    expect(run).toMatchObject({ lastOutcome: 'succeeded', counts: expect.objectContaining({ deleted: 1 }) });
    // ARM accepted the DELETE: the row is `deleting` until the server is recorded gone.
    const row = await stores.inventory.get(expired.id.toLowerCase());
    expect(row?.value).toMatchObject({ state: 'deleting', deletedBy: 'pitr-warden' });
  });
});
