import { HttpRequest, InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTables, type TableStores } from '../../src/adapters/azure/tables/tables.js';
import { WARDEN_SINCE_CHECKPOINT } from '../../src/jobs/since.js';
import { startStack, type TestStack } from '../support/stack.js';

/** /api/health tells the truth from the runs table: a failing job makes it 503; a fresh deployment's weekly job does not. */
describe('health (HTTP trigger)', () => {
  let stack: TestStack;
  let stores: TableStores;
  let health: (request: HttpRequest, context: InvocationContext) => Promise<{ status?: number; jsonBody?: unknown }>;
  const call = () =>
    health(
      new HttpRequest({ method: 'GET', url: 'http://127.0.0.1/api/health' }),
      new InvocationContext({ functionName: 'health' }),
    );

  beforeAll(async () => {
    stack = await startStack({ snapshot: { servers: [] } });
    Object.assign(process.env, stack.settings);
    ({ health } = await import('../../functions/health.js'));
    stores = await openTables({ connectionString: stack.azurite.connectionString, prefix: stack.config.tablePrefix });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('on a fresh deployment (every job ran once or is not due yet) answers 200 ok, the weekly summary pending', async () => {
    const now = new Date();
    const at = now.toISOString();
    await stores.checkpoints.set(WARDEN_SINCE_CHECKPOINT, at, { ifMatch: null });
    for (const job of ['reconcile', 'sendOwnerNotices', 'deleteExpiredClones']) {
      await stores.runs.started(job, at);
      await stores.runs.finished(job, at, { ok: true });
    }
    const response = await call();
    expect(response.status).toBe(200);
    const body = response.jsonBody as {
      status: string;
      jobs: Array<{ job: string; status: string }>;
      problems: string[];
    };
    expect(body.status).toBe('ok');
    expect(body.problems).toEqual([]);
    expect(body.jobs.find((j) => j.job === 'sendFinopsSummary')?.status).toBe('pending');
  });

  it('answers 503 naming a job whose last run failed, though it is not stale yet', async () => {
    const at = new Date().toISOString();
    await stores.runs.started('reconcile', at);
    await stores.runs.finished('reconcile', at, {
      ok: false,
      error: 'listing subscription 0000 failed: 403 AuthorizationFailed',
    });
    const response = await call();
    expect(response.status).toBe(503);
    const body = response.jsonBody as { status: string; problems: string[] };
    expect(body.status).toBe('unhealthy');
    expect(body.problems).toEqual([
      expect.stringMatching(/^reconcile: last run .*failed: listing subscription 0000 failed: 403 AuthorizationFailed/),
    ]);
  });
});
