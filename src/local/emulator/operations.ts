import { randomUUID } from 'node:crypto';
import type { Due, EmulatorClock, TimeMark } from './clock.js';
import type { Reply } from './http.js';
import { armError } from './http.js';
import { errorMessage } from '../../errorMessage.js';

export type LroStatus = 'InProgress' | 'Succeeded' | 'Failed';

export interface ArmErrorDetail {
  readonly code: string;
  readonly message: string;
}

/** Why an operation failed, and the HTTP status its Location URL answers with then. */
export interface OperationFailure extends ArmErrorDetail {
  readonly status?: number;
}

export interface LroOperation {
  readonly id: string;
  readonly provider: string;
  readonly subscriptionId: string;
  readonly location: string;
  /** `RestoreSnapshotManagementOperation`, …: what the 202 body names. */
  readonly name: string;
  readonly apiVersion: string;
  readonly startTime: string;
  /** Where the provider puts its polling URLs, when not at the subscription's `azureAsyncOperation`/`operationResults`. */
  readonly polling?: PollingPaths;
  status: LroStatus;
  error?: ArmErrorDetail;
}

/**
 * The polling URLs of a provider whose operations live elsewhere than PostgreSQL's and MySQL's: SQL Database answers
 * `…/resourceGroups/{rg}/providers/Microsoft.Sql/locations/{loc}/databaseAzureAsyncOperation/{id}` and `…/databaseOperationResults/{id}`.
 */
export interface PollingPaths {
  /** Set when the URLs are under the resource group rather than the subscription. */
  readonly resourceGroup?: string;
  /** Segment of the status URL, e.g. `databaseAzureAsyncOperation`. */
  readonly status: string;
  /** Segment of the result URL, e.g. `databaseOperationResults`. */
  readonly result: string;
}

interface Tracked {
  readonly operation: LroOperation;
  readonly started: TimeMark;
  readonly durationMs: number;
  readonly apply: () => void;
  readonly result: (() => unknown) | undefined;
  readonly failure: OperationFailure | undefined;
  readonly onFailed: ((error: ArmErrorDetail) => void) | undefined;
  failedStatus?: number;
  timer?: NodeJS.Timeout;
  /** True while `until` is still running: the operation cannot end before it settles. */
  waiting: boolean;
  untilFailure?: OperationFailure;
  /** Which polling URLs (status, result) have asked for it, by its id or an alias. */
  readonly claimed: Set<'status' | 'result'>;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface StartOperation {
  /** Resource provider namespace of the polling URLs, e.g. `Microsoft.DBforPostgreSQL`. */
  readonly provider: string;
  readonly subscriptionId: string;
  /** ARM region name (`canadacentral`), as the polling URLs carry it. */
  readonly location: string;
  /** The operation as the 202 body names it, e.g. `DropServerManagementOperation`. */
  readonly name: string;
  /** api-version of the request; the polling URLs repeat it. */
  readonly apiVersion: string;
  /** How long the operation takes in Azure (scaled by the clock's timeScale). */
  readonly durationMs: number;
  /** The effect of the operation, run once when it completes; a throw fails the operation (an `OperationFailure`'s status is kept). */
  readonly apply: () => void;
  /** The body the Location URL answers with (200) once the operation succeeded; none when left out. */
  readonly result?: () => unknown;
  /** Set to end the operation Failed instead (an injected fault, or a failure Azure reports only in the operation). */
  readonly failure?: OperationFailure;
  /** Undo of what acceptance changed (e.g. state back to Ready) when the operation fails. */
  readonly onFailed?: (error: ArmErrorDetail) => void;
  /** Work the operation also waits for (a data plane being restored); its rejection fails the operation. */
  readonly until?: Promise<unknown>;
  /** The provider's own polling URL layout (SQL Database); PostgreSQL's when left out. */
  readonly polling?: PollingPaths;
}

/** Retry-After never asks a client to wait longer than this (invented: real values are not in the recorded traffic). */
const MAX_RETRY_AFTER_SECONDS = 15;

/**
 * Long-running operations the way ARM resource providers run them: accepted with a 202 whose body names the
 * operation (`{"operation": "…ManagementOperation", "startTime"}`) and whose `Azure-AsyncOperation` and `Location`
 * headers point at the status (`{name, status, startTime}`, plus `error` when failed) and the result. Each operation
 * takes its Azure duration on the emulator clock (see EmulatorClock): done on a timer, or when a request comes after
 * its time, or when the clock is moved past it.
 */
export class Operations {
  private readonly tracked = new Map<string, Tracked>();
  private readonly pending = new Set<Tracked>();
  /** Operation ids the emulator never issued, each bound to the operation it was taken for. */
  private readonly aliases = new Map<string, Tracked>();
  /**
   * Before this no pending operation can be due (the earliest of their ends; one that ended meanwhile leaves it earlier
   * than it need be, which only costs a look): every ARM request asks, and most find nothing due without a look at each.
   */
  private earliest: Due | undefined;

  constructor(private readonly clock: EmulatorClock) {
    clock.onChange(() => {
      this.settleDue();
      for (const entry of this.pending) this.arm(entry);
    });
  }

  /** Starts an operation and answers the 202 that accepts it. */
  accept(input: StartOperation, baseUrl: string): Reply {
    const operation = this.start(input);
    return {
      status: 202,
      headers: this.headers(operation, baseUrl),
      body: { operation: operation.name, startTime: operation.startTime },
    };
  }

  start(input: StartOperation): LroOperation {
    const operation: LroOperation = {
      id: randomUUID(),
      provider: input.provider,
      subscriptionId: input.subscriptionId,
      location: input.location,
      name: input.name,
      apiVersion: input.apiVersion,
      startTime: this.clock.now().toISOString(),
      ...(input.polling ? { polling: input.polling } : {}),
      status: 'InProgress',
    };
    const entry: Tracked = {
      operation,
      started: this.clock.mark(),
      durationMs: input.durationMs,
      apply: input.apply,
      result: input.result,
      failure: input.failure,
      onFailed: input.onFailed,
      waiting: input.until !== undefined,
      claimed: new Set(),
    };
    this.tracked.set(operation.id, entry);
    this.pending.add(entry);
    if (this.earliest) this.earliest = earlier(this.earliest, this.clock.dueAt(entry.started, entry.durationMs));
    this.arm(entry);
    input.until?.then(
      () => {
        entry.waiting = false;
        this.settleIfDue(entry);
      },
      (cause: unknown) => {
        entry.waiting = false;
        entry.untilFailure = { code: 'InternalServerError', message: errorMessage(cause) };
        this.settle(entry);
      },
    );
    return operation;
  }

  /** The operation, completed first if its time has come. */
  get(id: string, via: 'status' | 'result' = 'status'): LroOperation | undefined {
    const entry = this.find(id, via);
    if (!entry) return undefined;
    // A poll is the client's wait: in virtual time it moves the clock (which settles what came due).
    if (entry.operation.status === 'InProgress') this.clock.polled(entry.started, entry.durationMs);
    this.settleIfDue(entry);
    return entry.operation;
  }

  /**
   * An operation by id. An id the emulator never issued (recorded traffic replayed with its own polling URLs) is taken
   * for the latest operation not yet polled through the same kind of URL, and keeps meaning it.
   */
  private find(id: string, via: 'status' | 'result'): Tracked | undefined {
    const key = id.toLowerCase();
    let entry = this.tracked.get(key) ?? this.aliases.get(key);
    if (!entry && GUID.test(key)) {
      entry = [...this.tracked.values()].reverse().find((e) => !e.claimed.has(via));
      if (entry) this.aliases.set(key, entry);
    }
    entry?.claimed.add(via);
    return entry;
  }

  /** The polling headers of a 202 answer; `Retry-After` is the whole real seconds left (0 when under one). */
  headers(operation: LroOperation, baseUrl: string): Record<string, string> {
    const polling = operation.polling;
    const group = polling?.resourceGroup ? `/resourceGroups/${polling.resourceGroup}` : '';
    const root = `${baseUrl}/subscriptions/${operation.subscriptionId}${group}/providers/${operation.provider}/locations/${operation.location}`;
    return {
      'Azure-AsyncOperation': `${root}/${polling?.status ?? 'azureAsyncOperation'}/${operation.id}?api-version=${operation.apiVersion}`,
      Location: `${root}/${polling?.result ?? 'operationResults'}/${operation.id}?api-version=${operation.apiVersion}`,
      ...this.retryAfter(operation.id),
    };
  }

  /** `GET …/azureAsyncOperation/{id}`: `{name, status, startTime}`, plus `error` when failed. */
  statusReply(id: string): Reply {
    const op = this.get(id, 'status');
    if (!op) return armError(404, 'OperationNotFound', `The operation '${id}' could not be found.`);
    const body = { name: op.id, status: op.status, startTime: op.startTime, ...(op.error ? { error: op.error } : {}) };
    return { status: 200, body, headers: op.status === 'InProgress' ? this.retryAfter(op.id) : {} };
  }

  /** `GET …/operationResults/{id}`: 202 while running, then 200 with the operation's result, or the error when failed. */
  resultReply(id: string, baseUrl: string): Reply {
    const op = this.get(id, 'result');
    if (!op) return armError(404, 'OperationNotFound', `The operation '${id}' could not be found.`);
    if (op.status === 'InProgress') return { status: 202, headers: this.headers(op, baseUrl) };
    const entry = this.tracked.get(op.id)!;
    if (op.status === 'Failed')
      return armError(
        entry.failedStatus ?? 500,
        op.error?.code ?? 'InternalServerError',
        op.error?.message ?? 'The operation failed.',
      );
    const body = entry.result?.();
    return body === undefined ? { status: 200 } : { status: 200, body };
  }

  /** Completes every operation whose Azure time has passed. */
  settleDue(): void {
    if (this.pending.size === 0 || (this.earliest && !this.clock.reached(this.earliest))) return;
    for (const entry of [...this.pending]) this.settleIfDue(entry);
    this.earliest = undefined;
    for (const entry of this.pending) {
      const due = this.clock.dueAt(entry.started, entry.durationMs);
      this.earliest = this.earliest ? earlier(this.earliest, due) : due;
    }
  }

  /** Completes everything still running (on close and reset). */
  settleAll(): void {
    for (const entry of [...this.pending]) this.settle(entry);
  }

  clear(): void {
    for (const entry of this.tracked.values()) clearTimeout(entry.timer);
    this.tracked.clear();
    this.pending.clear();
    this.aliases.clear();
    this.earliest = undefined;
  }

  private settleIfDue(entry: Tracked): void {
    if (
      entry.operation.status === 'InProgress' &&
      !entry.waiting &&
      this.clock.elapsedMs(entry.started) >= entry.durationMs
    )
      this.settle(entry);
  }

  /** (Re)sets the real-time timer that completes an operation; timers never keep the process alive. */
  private arm(entry: Tracked): void {
    clearTimeout(entry.timer);
    // Virtual time passes only when moved: no real-time timer completes anything.
    if (this.clock.virtual) return;
    entry.timer = setTimeout(() => this.settle(entry), this.clock.realMsUntil(entry.started, entry.durationMs));
    entry.timer.unref();
  }

  private settle(entry: Tracked): void {
    const op = entry.operation;
    if (op.status !== 'InProgress' || entry.waiting) return;
    clearTimeout(entry.timer);
    this.pending.delete(entry);
    let failure = entry.failure ?? entry.untilFailure;
    if (!failure) {
      try {
        entry.apply();
        op.status = 'Succeeded';
        return;
      } catch (cause) {
        const c = cause as { code?: string; status?: number; message?: string };
        failure = {
          code: c.code ?? 'InternalServerError',
          message: c.message ?? 'The operation failed.',
          ...(c.status ? { status: c.status } : {}),
        };
      }
    }
    op.status = 'Failed';
    op.error = { code: failure.code, message: failure.message };
    entry.failedStatus = failure.status ?? 500;
    entry.onFailed?.(op.error);
  }

  private retryAfter(id: string): Record<string, string> {
    const entry = this.tracked.get(id);
    if (!entry || entry.operation.status !== 'InProgress') return {};
    const seconds = Math.floor(this.clock.realMsUntil(entry.started, entry.durationMs) / 1000);
    return { 'Retry-After': String(Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(0, seconds))) };
  }
}

/** The earlier of two dues, by the clock and in real time each. */
function earlier(a: Due, b: Due): Due {
  return { clockMs: Math.min(a.clockMs, b.clockMs), realMs: Math.min(a.realMs, b.realMs), scale: a.scale };
}
