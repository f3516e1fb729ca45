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
  /**
   * Set when the engine's server is its resource alone (no parent's network to add): a GET of the id at this
   * api-version answers what `serverFromArm` reads, and ArmServers sends it itself (raw JSON, no SDK model to build).
   * Such an engine has no `get`; every other engine has one.
   */
  readonly readApiVersion?: string;
  /** Every server of the engine in the subscription, all pages. */
  list(subscriptionId: string): Promise<Server[]>;
  /**
   * The server read through the SDK, for an engine without `readApiVersion` (a SQL database, with its logical server's
   * exposure); throws the SDK's 404 when it is gone.
   */
  get?(ref: ServerRef): Promise<Server | undefined>;
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

/**
 * What ArmServers needs of an engine's API before its module is loaded: the api-version of its DELETE (sent without the
 * SDK) and the optional calls it has (they change what ArmServers does).
 */
export interface EngineApiEntry {
  readonly deleteApiVersion: string;
  readonly readApiVersion?: string;
  readonly upsertFirewallRule?: boolean;
  readonly restoreProgress?: boolean;
}

/**
 * An engine's API whose module, and so its SDK (10 to 20 MB of code each), is loaded on the first call: a job that
 * never meets an engine (a sweep without SQL databases) never loads its SDK. `known` is what the entry says of the API
 * before it is loaded; a loaded API that differs is a programming error, thrown on first use. A failed load is tried
 * again on the next call.
 * @example lazyEngineApi(async () => new (await import('./postgresApi.js')).PostgresServersApi(options), { deleteApiVersion: '2025-08-01', upsertFirewallRule: true })
 */
export function lazyEngineApi(load: () => Promise<EngineServersApi>, known: EngineApiEntry): EngineServersApi {
  let api: Promise<EngineServersApi> | undefined;
  const loaded = (): Promise<EngineServersApi> =>
    (api ??= load().then(
      (a) => {
        if (a.deleteApiVersion !== known.deleteApiVersion)
          throw new Error(
            `The engine API ${a.constructor.name} deletes at api-version ${a.deleteApiVersion}, its entry says ${known.deleteApiVersion}`,
          );
        if (a.readApiVersion !== known.readApiVersion)
          throw new Error(
            `The engine API ${a.constructor.name} reads at api-version ${a.readApiVersion}, its entry says ${known.readApiVersion}`,
          );
        if ((typeof a.get === 'function') === (known.readApiVersion !== undefined))
          throw new Error(
            known.readApiVersion
              ? `The engine API ${a.constructor.name} has get, though its entry reads its servers at api-version ${known.readApiVersion}`
              : `The engine API ${a.constructor.name} lacks get, and its entry names no api-version to read its servers at`,
          );
        for (const call of ['upsertFirewallRule', 'restoreProgress'] as const)
          if ((typeof a[call] === 'function') !== (known[call] === true))
            throw new Error(
              `The engine API ${a.constructor.name} ${known[call] ? 'lacks' : 'has'} ${call}, unlike its entry`,
            );
        return a;
      },
      (error: unknown) => {
        api = undefined;
        throw error;
      },
    ));
  return {
    deleteApiVersion: known.deleteApiVersion,
    ...(known.readApiVersion ? { readApiVersion: known.readApiVersion } : {}),
    list: async (...args) => (await loaded()).list(...args),
    ...(known.readApiVersion
      ? {}
      : { get: async (...args: Parameters<NonNullable<EngineServersApi['get']>>) => (await loaded()).get!(...args) }),
    listFirewallRules: async (...args) => (await loaded()).listFirewallRules(...args),
    deleteFirewallRule: async (...args) => (await loaded()).deleteFirewallRule(...args),
    ...(known.upsertFirewallRule
      ? {
          upsertFirewallRule: async (...args: Parameters<NonNullable<EngineServersApi['upsertFirewallRule']>>) =>
            (await loaded()).upsertFirewallRule!(...args),
        }
      : {}),
    disablePublicAccess: async (...args) => (await loaded()).disablePublicAccess(...args),
    stop: async (...args) => (await loaded()).stop(...args),
    delete: async (...args) => (await loaded()).delete(...args),
    checkName: async (...args) => (await loaded()).checkName(...args),
    ...(known.restoreProgress
      ? {
          restoreProgress: async (...args: Parameters<NonNullable<EngineServersApi['restoreProgress']>>) =>
            (await loaded()).restoreProgress!(...args),
        }
      : {}),
    beginRestore: async (...args) => (await loaded()).beginRestore(...args),
  };
}
