import type { JobRun, RunsPort } from '../../../ports/inventory.js';
import type { CountedTable, Entity } from './countedTable.js';
import { tableError } from './tableErrors.js';
import { encodeKey } from './tableKeys.js';
import { fitString, getJson, optionalString, putJson } from './tableFields.js';

export const RUNS_PARTITION = 'runs';

/**
 * One row per job (PartitionKey 'runs', RowKey the job), written with Merge so `started` keeps the last outcome.
 * A value cleared by a later run (lastError after a success, counts not given) is stored as '' and read as absent.
 * @example await runs.started('reconcile', now); ...; await runs.finished('reconcile', now, { ok: true, counts });
 */
export class RunsTable implements RunsPort {
  constructor(private readonly table: CountedTable) {}

  async started(job: string, at: string): Promise<void> {
    await this.merge(job, 'started', { job, lastStartedAt: at });
  }

  async finished(
    job: string,
    at: string,
    outcome: { ok: boolean; error?: string; counts?: Record<string, number> },
  ): Promise<void> {
    await this.merge(job, 'finished', finishedProps(job, at, outcome));
  }

  async list(): Promise<JobRun[]> {
    const runs: JobRun[] = [];
    try {
      for await (const entity of this.table.query(RUNS_PARTITION)) runs.push(fromRunEntity(entity));
    } catch (error) {
      throw tableError('Runs', 'list', RUNS_PARTITION, error);
    }
    return runs.sort((a, b) => (a.job < b.job ? -1 : a.job > b.job ? 1 : 0));
  }

  private async merge(job: string, operation: string, props: Record<string, unknown>): Promise<void> {
    try {
      await this.table.upsert({ partitionKey: RUNS_PARTITION, rowKey: encodeKey(job), ...props }, 'Merge');
    } catch (error) {
      throw tableError('Runs', operation, job, error);
    }
  }
}

/** The properties `finished` merges: the outcome, and '' for what this run clears. */
export function finishedProps(
  job: string,
  at: string,
  outcome: { ok: boolean; error?: string; counts?: Record<string, number> },
): Entity {
  const props: Entity = {
    partitionKey: RUNS_PARTITION,
    rowKey: encodeKey(job),
    job,
    lastFinishedAt: at,
    lastOutcome: outcome.ok ? 'succeeded' : 'failed',
    lastError: outcome.ok ? '' : fitString(outcome.error ?? 'failed without a message'),
    counts: '',
    // Parts of a long counts JSON from an earlier run must not be joined to this one's.
    counts__parts: 1,
  };
  if (outcome.ok) props.lastSucceededAt = at;
  putJson(props, 'counts', outcome.counts);
  return props;
}

export function fromRunEntity(entity: Record<string, unknown>): JobRun {
  const text = (name: string) => optionalString(entity, name);
  const outcome = text('lastOutcome');
  const counts = text('counts') === undefined ? undefined : getJson<Record<string, number>>(entity, 'counts');
  return {
    job: text('job') ?? '',
    ...(text('lastStartedAt') ? { lastStartedAt: text('lastStartedAt') } : {}),
    ...(text('lastFinishedAt') ? { lastFinishedAt: text('lastFinishedAt') } : {}),
    ...(text('lastSucceededAt') ? { lastSucceededAt: text('lastSucceededAt') } : {}),
    ...(outcome === 'succeeded' || outcome === 'failed' ? { lastOutcome: outcome } : {}),
    ...(text('lastError') ? { lastError: text('lastError') } : {}),
    ...(counts ? { counts } : {}),
  };
}
