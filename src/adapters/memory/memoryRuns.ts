import type { JobRun, RunsPort } from '../../ports/inventory.js';
import type { Entity } from '../azure/tables/countedTable.js';
import { finishedProps, fromRunEntity } from '../azure/tables/runsTable.js';

/**
 * The runs twin: one merged row per job, as in Table Storage.
 * @example await runs.started('sweep', now); (await runs.list())[0].lastStartedAt // now
 */
export class MemoryRuns implements RunsPort {
  private readonly rows = new Map<string, Entity>();

  started(job: string, at: string): Promise<void> {
    this.merge(job, { job, lastStartedAt: at });
    return Promise.resolve();
  }

  finished(
    job: string,
    at: string,
    outcome: { ok: boolean; error?: string; counts?: Record<string, number> },
  ): Promise<void> {
    this.merge(job, finishedProps(job, at, outcome));
    return Promise.resolve();
  }

  list(): Promise<JobRun[]> {
    return Promise.resolve(
      [...this.rows.values()].map(fromRunEntity).sort((a, b) => (a.job < b.job ? -1 : a.job > b.job ? 1 : 0)),
    );
  }

  private merge(job: string, props: Record<string, unknown>): void {
    this.rows.set(job, { ...(this.rows.get(job) ?? { partitionKey: 'runs', rowKey: job }), ...props });
  }
}
