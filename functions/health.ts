import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { errorMessage } from '../src/errorMessage.js';

/**
 * The warden's health from its runs table (no ARM call): 200 when every job does its work, 503 naming each job that
 * fails, is stale or never succeeded. A fresh deployment's jobs that are not due yet are pending, not unhealthy.
 */
export async function health(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const [{ wire, disabledJobs }, { jobsHealth }, { UNHEALTHY_JOB_STATUSES }] = await Promise.all([
      import('../src/wiring.js'),
      import('../src/jobs/operator.js'),
      import('../src/domain/operator.js'),
    ]);
    const wired = await wire();
    const jobs = await jobsHealth({ schedules: wired.config.schedules, disabled: disabledJobs(wired) }, wired);
    const problems = jobs.filter((j) => UNHEALTHY_JOB_STATUSES.has(j.status)).map((j) => `${j.job}: ${j.detail}`);
    return {
      status: problems.length > 0 ? 503 : 200,
      jsonBody: {
        status: problems.length > 0 ? 'unhealthy' : 'ok',
        app: 'pitr-warden',
        jobs: jobs.map((j) => ({ job: j.job, status: j.status, detail: j.detail })),
        problems,
      },
    };
  } catch (error) {
    const message = errorMessage(error);
    context.error(`health: ${message}`);
    return {
      status: 503,
      jsonBody: { status: 'unhealthy', app: 'pitr-warden', problems: [`cannot read the runs table: ${message}`] },
    };
  }
}

app.http('health', { methods: ['GET'], authLevel: 'anonymous', route: 'health', handler: health });
