import { randomUUID } from 'node:crypto';
import type { EmulatorClock } from './clock.js';
import type { Reply } from './http.js';
import { armError } from './http.js';

export type LroStatus = 'InProgress' | 'Succeeded' | 'Failed';

export interface ArmErrorDetail {
  readonly code: string;
  readonly message: string;
}

export interface LroOperation {
  readonly id: string;
  readonly subscriptionId: string;
  readonly location: string;
  readonly startTime: string;
  status: LroStatus;
  endTime?: string;
  error?: ArmErrorDetail;
}

interface Tracked {
  readonly operation: LroOperation;
  /** performance.now() after which the operation completes. */
  readonly dueAt: number;
  readonly apply: () => void;
  readonly failure: ArmErrorDetail | undefined;
  readonly onFailed: (() => void) | undefined;
  timer?: NodeJS.Timeout;
  /** True while `until` is still running. */
  waiting: boolean;
  failure_?: ArmErrorDetail;
}

export interface StartOperation {
  readonly subscriptionId: string;
  readonly location: string;
  /** The effect of the operation, run once when it completes; a throw fails the operation. */
  readonly apply: () => void;
  /** Set to end the operation Failed instead (an injected fault). */
  readonly failure?: ArmErrorDetail;
  /** Undo of what acceptance changed (e.g. state back to Ready) when the operation fails. */
  readonly onFailed?: () => void;
  /** Work the operation also waits for (a data plane being restored); its rejection fails the operation. */
  readonly until?: Promise<unknown>;
}

const API_VERSION = '2025-08-01';

/**
 * Long-running operations the way the PostgreSQL RP runs them: accepted with `Azure-AsyncOperation` and
 * `Location`, completed `delayMs` of real time later (on a timer, or when a poll arrives after that).
 * The SDK polls once right after the initial response, so a zero delay completes at the first poll.
 */
export class Operations {
  private readonly tracked = new Map<string, Tracked>();

  constructor(
    private readonly delayMs: number,
    private readonly clock: EmulatorClock,
  ) {}

  start(input: StartOperation): LroOperation {
    const operation: LroOperation = {
      id: randomUUID(),
      subscriptionId: input.subscriptionId,
      location: input.location,
      startTime: this.clock.now().toISOString(),
      status: 'InProgress',
    };
    const entry: Tracked = { operation, dueAt: performance.now() + this.delayMs, apply: input.apply, failure: input.failure, onFailed: input.onFailed, waiting: input.until !== undefined };
    this.tracked.set(operation.id, entry);
    entry.timer = setTimeout(() => this.settle(entry), this.delayMs);
    entry.timer.unref();
    input.until?.then(
      () => {
        entry.waiting = false;
        if (performance.now() >= entry.dueAt) this.settle(entry);
      },
      (cause: unknown) => {
        entry.waiting = false;
        entry.failure_ = { code: 'InternalServerError', message: cause instanceof Error ? cause.message : String(cause) };
        this.settle(entry);
      },
    );
    return operation;
  }

  /** The operation, completed first if its time has come. */
  get(id: string): LroOperation | undefined {
    const entry = this.tracked.get(id.toLowerCase()) ?? this.tracked.get(id);
    if (!entry) return undefined;
    if (entry.operation.status === 'InProgress' && !entry.waiting && performance.now() >= entry.dueAt) this.settle(entry);
    return entry.operation;
  }

  /** The polling headers of a 201/202 answer. */
  headers(operation: LroOperation, baseUrl: string): Record<string, string> {
    const root = `${baseUrl}/subscriptions/${operation.subscriptionId}/providers/Microsoft.DBforPostgreSQL/locations/${operation.location}`;
    return {
      'Azure-AsyncOperation': `${root}/azureAsyncOperation/${operation.id}?api-version=${API_VERSION}`,
      Location: `${root}/operationResults/${operation.id}?api-version=${API_VERSION}`,
      ...this.retryAfter(operation.id),
    };
  }

  /** `GET …/azureAsyncOperation/{id}`: the operation status body. */
  statusReply(id: string): Reply {
    const op = this.get(id);
    if (!op) return armError(404, 'OperationNotFound', `The operation '${id}' could not be found.`);
    const body = {
      name: op.id,
      status: op.status,
      startTime: op.startTime,
      ...(op.endTime ? { endTime: op.endTime } : {}),
      ...(op.error ? { error: op.error } : {}),
    };
    return { status: 200, body, headers: op.status === 'InProgress' ? this.retryAfter(op.id) : {} };
  }

  /** `GET …/operationResults/{id}`: 202 while running, 204 when done, the error when failed. */
  resultReply(id: string, baseUrl: string): Reply {
    const op = this.get(id);
    if (!op) return armError(404, 'OperationNotFound', `The operation '${id}' could not be found.`);
    if (op.status === 'InProgress') return { status: 202, headers: this.headers(op, baseUrl) };
    if (op.status === 'Failed') return armError(500, op.error?.code ?? 'InternalServerError', op.error?.message ?? 'The operation failed.');
    return { status: 204 };
  }

  /** Completes everything still running (on close and reset). */
  settleAll(): void {
    for (const entry of this.tracked.values()) if (entry.operation.status === 'InProgress') this.settle(entry);
  }

  clear(): void {
    for (const entry of this.tracked.values()) clearTimeout(entry.timer);
    this.tracked.clear();
  }

  private settle(entry: Tracked): void {
    const op = entry.operation;
    if (op.status !== 'InProgress' || entry.waiting) return;
    clearTimeout(entry.timer);
    op.endTime = this.clock.now().toISOString();
    const failure = entry.failure ?? entry.failure_;
    if (failure) {
      op.status = 'Failed';
      op.error = failure;
      entry.onFailed?.();
      return;
    }
    try {
      entry.apply();
      op.status = 'Succeeded';
    } catch (cause) {
      op.status = 'Failed';
      op.error = { code: (cause as { code?: string }).code ?? 'InternalServerError', message: (cause as Error).message };
      entry.onFailed?.();
    }
  }

  /** Retry-After only when a whole second remains: core-lro ignores 0 and would fall back to its 2 s default. */
  private retryAfter(id: string): Record<string, string> {
    const entry = this.tracked.get(id);
    if (!entry) return {};
    const remainingMs = entry.dueAt - performance.now();
    return remainingMs >= 1000 ? { 'Retry-After': String(Math.ceil(remainingMs / 1000)) } : {};
  }
}
