import type { Policy } from '../domain/policy.js';
import type { Clock } from '../ports/clock.js';
import type { CheckpointsPort, EvidencePort, InventoryPort, RunsPort } from '../ports/inventory.js';
import type { ActivityFeedPort, ServerListing, ServersPort } from '../ports/servers.js';

/** What the governance jobs act through. Built once per process by src/wiring.ts, or from memory adapters in tests. */
export interface GovernDeps {
  readonly clock: Clock;
  readonly servers: ServersPort;
  /** Lists every governed subscription in one query (Resource Graph, SERVER_LISTING); reconcile falls back to `servers.list`. */
  readonly listing?: ServerListing;
  readonly activity: ActivityFeedPort;
  readonly inventory: InventoryPort;
  readonly evidence: EvidencePort;
  readonly runs: RunsPort;
  readonly checkpoints: CheckpointsPort;
  readonly policy: Policy;
  readonly settings: {
    readonly subscriptionIds: readonly string[];
    readonly fallbackMailbox: string;
    readonly allowedRecipientDomains: readonly string[];
    /** The app's outbound addresses (DRILL_CLIENT_ADDRESSES): the network policy leaves a drill's own rule for them alone. */
    readonly drillClientAddresses?: readonly { readonly start: string; readonly end: string }[];
  };
  /** Who the warden acts as, for evidence entries. */
  readonly actor: string;
  readonly log?: (line: string) => void;
}

/** Runs work for one key at a time in this process: two deliveries of one server never interleave. */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}
