import { PostgreSQLManagementFlexibleServerClient, type Server as PgServer } from '@azure/arm-postgresql-flexible';
import type { ServerRef } from '../../../domain/ids.js';
import type { FirewallRule, Server } from '../../../domain/model.js';
import type { NameAvailability, RestoreRequest } from '../../../ports/servers.js';
import { nameAvailabilityOf, type EngineApiOptions, type EngineServersApi, type RestorePoller } from './engineApi.js';
import { serverFromSdk } from './sdkServer.js';

/**
 * PostgreSQL flexible servers on `@azure/arm-postgresql-flexible` 9.x (api-version 2025-08-01): reads, firewall rules,
 * PATCH of public network access, stop, delete, name check and the restore (`pointInTimeUTC`).
 */
export class PostgresServersApi implements EngineServersApi {
  readonly deleteApiVersion = '2025-08-01';
  readonly readApiVersion = '2025-08-01';
  private readonly clients = new Map<string, PostgreSQLManagementFlexibleServerClient>();

  constructor(private readonly options: EngineApiOptions) {}

  private pg(subscriptionId: string): PostgreSQLManagementFlexibleServerClient {
    let client = this.clients.get(subscriptionId);
    if (!client)
      this.clients.set(
        subscriptionId,
        (client = new PostgreSQLManagementFlexibleServerClient(
          this.options.credential,
          subscriptionId,
          this.options.clientOptions,
        )),
      );
    return client;
  }

  async list(subscriptionId: string): Promise<Server[]> {
    const servers: Server[] = [];
    for await (const page of this.pg(subscriptionId).servers.listBySubscription().byPage()) {
      for (const s of page) {
        const server = serverFromSdk(s);
        if (server) servers.push(server);
      }
    }
    return servers;
  }

  async listFirewallRules(ref: ServerRef): Promise<FirewallRule[]> {
    const rules: FirewallRule[] = [];
    for await (const r of this.pg(ref.subscriptionId).firewallRules.listByServer(ref.resourceGroup, ref.name)) {
      rules.push({ name: r.name ?? '', startIpAddress: r.startIpAddress, endIpAddress: r.endIpAddress });
    }
    return rules;
  }

  async deleteFirewallRule(ref: ServerRef, ruleName: string): Promise<void> {
    await this.pg(ref.subscriptionId).firewallRules.beginDeleteAndWait(
      ref.resourceGroup,
      ref.name,
      ruleName,
      this.options.poll,
    );
  }

  async upsertFirewallRule(ref: ServerRef, rule: FirewallRule): Promise<void> {
    await this.pg(ref.subscriptionId).firewallRules.beginCreateOrUpdateAndWait(
      ref.resourceGroup,
      ref.name,
      rule.name,
      { startIpAddress: rule.startIpAddress, endIpAddress: rule.endIpAddress },
      this.options.poll,
    );
  }

  async disablePublicAccess(ref: ServerRef): Promise<void> {
    await this.pg(ref.subscriptionId).servers.beginUpdateAndWait(
      ref.resourceGroup,
      ref.name,
      { network: { publicNetworkAccess: 'Disabled' } },
      this.options.poll,
    );
  }

  async stop(ref: ServerRef): Promise<void> {
    await this.pg(ref.subscriptionId).servers.beginStopAndWait(ref.resourceGroup, ref.name, this.options.poll);
  }

  async delete(ref: ServerRef): Promise<void> {
    await this.pg(ref.subscriptionId).servers.beginDeleteAndWait(ref.resourceGroup, ref.name, this.options.poll);
  }

  async checkName(subscriptionId: string, region: string, name: string): Promise<NameAvailability> {
    const answer = await this.pg(subscriptionId).nameAvailability.checkWithLocation(region, {
      name,
      type: 'Microsoft.DBforPostgreSQL/flexibleServers',
    });
    return nameAvailabilityOf(answer);
  }

  async beginRestore(
    source: ServerRef,
    request: RestoreRequest,
    onResponse: (raw: { status: number; headers: { get(name: string): string | undefined } }) => void,
  ): Promise<RestorePoller> {
    const body: PgServer = {
      location: request.location,
      tags: { ...request.tags },
      createMode: 'PointInTimeRestore',
      sourceServerResourceId: source.id,
      pointInTimeUTC: new Date(request.pointInTimeUtc),
    };
    const poller = await this.pg(source.subscriptionId).servers.beginCreateOrUpdate(
      request.targetResourceGroup,
      request.targetName,
      body,
      { ...this.options.poll, onResponse },
    );
    return {
      isDone: () => poller.isDone(),
      poll: () => poller.poll(),
      result: () => {
        const result = poller.getResult();
        return result ? serverFromSdk(result) : undefined;
      },
      pollUntilDone: async () => serverFromSdk(await poller.pollUntilDone()),
    };
  }
}
