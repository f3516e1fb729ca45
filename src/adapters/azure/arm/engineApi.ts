import type { TokenCredential } from '@azure/core-auth';
import type { CommonClientOptions } from '@azure/core-client';
import type { ServerRef } from '../../../domain/ids.js';
import type { FirewallRule, Server } from '../../../domain/model.js';
import type { NameAvailability, RestoreRequest } from '../../../ports/servers.js';

/** What an engine's API needs to build its SDK clients for one subscription. */
export interface EngineApiOptions {
  readonly credential: TokenCredential;
  readonly clientOptions: CommonClientOptions & { endpoint?: string };
  /** Poll interval of long-running operations (`updateIntervalInMs` of the SDK pollers). */
  readonly poll: { updateIntervalInMs?: number };
}

/** An SDK's checkNameAvailability answer (every engine's has these fields) as the port's NameAvailability. */
export function nameAvailabilityOf(answer: {
  nameAvailable?: boolean;
  reason?: string;
  message?: string;
}): NameAvailability {
  return {
    available: answer.nameAvailable === true,
    ...(answer.reason ? { reason: answer.reason } : {}),
    ...(answer.message ? { message: answer.message } : {}),
  };
}

/** A long-running restore as the SDKs' pollers (@azure/core-lro 2) show it, with the result as the warden's Server. */
export interface RestorePoller {
  isDone(): boolean;
  poll(): Promise<void>;
  /** The new server when ARM answered it (undefined while it runs, or when the provider answers only later). */
  result(): Server | undefined;
  pollUntilDone(): Promise<Server | undefined>;
}

/**
 * The calls of one engine's SDK the servers port makes, one implementation per engine (postgresApi.ts, mysqlApi.ts,
 * sqlApi.ts): ArmServers picks it by the engine of the id and keeps what all engines share (Tags API, locks, errors,
 * restore progress). Methods throw the SDK's errors as they are; ArmServers names the operation and maps 404 and 409.
 * An engine whose resource lives under a parent (a SQL database under its logical server) reads the parent's network
 * as its own and refuses to change it.
 */
export interface EngineServersApi {
  /**
   * The api-version the engine's SDK deletes the resource at. ArmServers sends a DELETE that does not wait itself: the
   * SDKs' `beginDelete` polls once before it returns.
   */
  readonly deleteApiVersion: string;
  /** Every server of the engine in the subscription, all pages. */
  list(subscriptionId: string): Promise<Server[]>;
  /** The server (a SQL database with its logical server's exposure); throws the SDK's 404 when it is gone (or, on MySQL, still being restored). */
  get(ref: ServerRef): Promise<Server | undefined>;
  /** The server's firewall rules (a SQL database: its logical server's). */
  listFirewallRules(ref: ServerRef): Promise<FirewallRule[]>;
  /** Refused (rejects) by an engine whose network belongs to a parent shared with production. */
  deleteFirewallRule(ref: ServerRef, ruleName: string): Promise<void>;
  /** Create or update of one rule; only engines whose servers drills connect to have it (PostgreSQL). */
  upsertFirewallRule?(ref: ServerRef, rule: FirewallRule): Promise<void>;
  /** PATCH network.publicNetworkAccess = Disabled, at an api-version where it is writable; refused like deleteFirewallRule. */
  disablePublicAccess(ref: ServerRef): Promise<void>;
  /** Refused like deleteFirewallRule (a database's quarantine would stop the logical server). */
  stop(ref: ServerRef): Promise<void>;
  delete(ref: ServerRef): Promise<void>;
  checkName(subscriptionId: string, region: string, name: string): Promise<NameAvailability>;
  /**
   * What a running restore's progress reads now, when the engine reports more than the new resource's state
   * (SQL Database: "Restoring 42%" from the database's operations); undefined when there is nothing to say.
   */
  restoreProgress?(target: ServerRef): Promise<string | undefined>;
  /** Sends the PointInTimeRestore create request with the engine's field names; `onResponse` sees every HTTP answer. */
  beginRestore(
    source: ServerRef,
    request: RestoreRequest,
    onResponse: (raw: { status: number; headers: { get(name: string): string | undefined } }) => void,
  ): Promise<RestorePoller>;
}
