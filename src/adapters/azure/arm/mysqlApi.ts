import { MySQLManagementFlexibleServerClient, type Server as MySqlServer } from '@azure/arm-mysql-flexible';
import type { ResourceManagementClient } from '@azure/arm-resources';
import { ENGINE_SPECS } from '../../../domain/engines.js';
import type { ServerRef } from '../../../domain/ids.js';
import type { FirewallRule, Server } from '../../../domain/model.js';
import type { NameAvailability, RestoreRequest } from '../../../ports/servers.js';
import { nameAvailabilityOf, type EngineApiOptions, type EngineServersApi, type RestorePoller } from './engineApi.js';
import { serverFromSdk } from './sdkServer.js';

/** The api-version of the one PATCH: `network.publicNetworkAccess` is writable from 2023-12-30 (read-only in 2021-05-01). */
export const MYSQL_WRITE_API_VERSION = ENGINE_SPECS['mysql-flexible'].writeApiVersion;

/**
 * MySQL flexible servers on `@azure/arm-mysql-flexible` 3.1.0, the GA client (api-version 2021-05-01), for reads,
 * firewall rules, stop, delete, name check and the restore (`restorePointInTime`); and the one write 2021-05-01 cannot
 * make, the PATCH of `network.publicNetworkAccess`, through the generic resources API of `@azure/arm-resources` at
 * api-version 2024-12-30 (see the README: why not 4.0.0-beta).
 */
export class MySqlServersApi implements EngineServersApi {
  readonly deleteApiVersion = '2021-05-01';
  readonly readApiVersion = '2021-05-01';
  private readonly clients = new Map<string, { mysql: MySQLManagementFlexibleServerClient }>();
  private readonly resourceClients = new Map<string, ResourceManagementClient>();

  constructor(private readonly options: EngineApiOptions) {}

  private client(subscriptionId: string) {
    let c = this.clients.get(subscriptionId);
    if (!c) {
      const { credential, clientOptions } = this.options;
      c = { mysql: new MySQLManagementFlexibleServerClient(credential, subscriptionId, clientOptions) };
      this.clients.set(subscriptionId, c);
    }
    return c;
  }

  /** The generic resources API of the one PATCH (`@azure/arm-resources`, loaded on first use). */
  private async resources(subscriptionId: string): Promise<ResourceManagementClient> {
    const { ResourceManagementClient: Client } = await import('../sdk/resources.js');
    let c = this.resourceClients.get(subscriptionId);
    if (!c) {
      const { credential, clientOptions } = this.options;
      this.resourceClients.set(subscriptionId, (c = new Client(credential, subscriptionId, clientOptions)));
    }
    return c;
  }

  async list(subscriptionId: string): Promise<Server[]> {
    const servers: Server[] = [];
    for await (const page of this.client(subscriptionId).mysql.servers.list().byPage()) {
      for (const s of page) {
        const server = serverFromSdk(s);
        if (server) servers.push(server);
      }
    }
    return servers;
  }

  async listFirewallRules(ref: ServerRef): Promise<FirewallRule[]> {
    const rules: FirewallRule[] = [];
    for await (const r of this.client(ref.subscriptionId).mysql.firewallRules.listByServer(
      ref.resourceGroup,
      ref.name,
    )) {
      rules.push({ name: r.name ?? '', startIpAddress: r.startIpAddress, endIpAddress: r.endIpAddress });
    }
    return rules;
  }

  async deleteFirewallRule(ref: ServerRef, ruleName: string): Promise<void> {
    await this.client(ref.subscriptionId).mysql.firewallRules.beginDeleteAndWait(
      ref.resourceGroup,
      ref.name,
      ruleName,
      this.options.poll,
    );
  }

  async disablePublicAccess(ref: ServerRef): Promise<void> {
    // GenericResource PATCH: only the properties named change, as with the provider's own PATCH.
    await (
      await this.resources(ref.subscriptionId)
    ).resources.beginUpdateByIdAndWait(
      ref.id,
      MYSQL_WRITE_API_VERSION,
      { properties: { network: { publicNetworkAccess: 'Disabled' } } },
      this.options.poll,
    );
  }

  async stop(ref: ServerRef): Promise<void> {
    await this.client(ref.subscriptionId).mysql.servers.beginStopAndWait(
      ref.resourceGroup,
      ref.name,
      this.options.poll,
    );
  }

  async delete(ref: ServerRef): Promise<void> {
    await this.client(ref.subscriptionId).mysql.servers.beginDeleteAndWait(
      ref.resourceGroup,
      ref.name,
      this.options.poll,
    );
  }

  async checkName(subscriptionId: string, region: string, name: string): Promise<NameAvailability> {
    const answer = await this.client(subscriptionId).mysql.checkNameAvailability.execute(region, {
      name,
      type: 'Microsoft.DBforMySQL/flexibleServers',
    });
    return nameAvailabilityOf(answer);
  }

  async beginRestore(
    source: ServerRef,
    request: RestoreRequest,
    onResponse: (raw: { status: number; headers: { get(name: string): string | undefined } }) => void,
  ): Promise<RestorePoller> {
    // MySQL takes the tags in the create request (the clone is born governed) and names the point restorePointInTime.
    const body: MySqlServer = {
      location: request.location,
      tags: { ...request.tags },
      createMode: 'PointInTimeRestore',
      sourceServerResourceId: source.id,
      restorePointInTime: new Date(request.pointInTimeUtc),
    };
    const poller = await this.client(source.subscriptionId).mysql.servers.beginCreate(
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
