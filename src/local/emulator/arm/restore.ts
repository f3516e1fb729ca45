import { HttpError, isRecord } from '../http.js';
import type { ServerRecord } from '../store.js';
import type { ArmFirewallRule, ArmServer, SystemData, Tags } from '../types.js';
import type { FlexibleProvider } from './providers.js';
import { regionName } from './regions.js';
import { completeServer, earliestRestoreDate, isVnetServer } from './serverShape.js';
import { resourceId } from '../ids.js';

export interface RestoreRequest {
  readonly provider: FlexibleProvider;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  readonly body: Record<string, unknown>;
  /** Tags of the request, already validated; undefined when it has none. */
  readonly tags: Tags | undefined;
  readonly source: ServerRecord | undefined;
  readonly now: Date;
  readonly systemData: SystemData;
}

const invalid = (message: string) => new HttpError(400, 'InvalidParameterValue', message);

/**
 * The server a point-in-time restore creates: the source's SKU, version, storage, backup settings, administrator
 * login, network mode and tags (the request's tags win), and the source's firewall rules when it is public.
 * On a provider whose restore may set the network (MySQL), the request's `network` chooses public access or a subnet.
 * Throws the 400 the service answers for a missing source or a restore point outside the retention window.
 */
export function restoredServer(request: RestoreRequest): { server: ArmServer; rules: ArmFirewallRule[] } {
  const { provider } = request;
  const properties = isRecord(request.body.properties) ? request.body.properties : {};
  const targetId = resourceId(provider.engine, request.subscriptionId, request.resourceGroup, request.name);
  const sourceId = properties.sourceServerResourceId;
  if (typeof sourceId !== 'string' || sourceId === '') {
    throw invalid(`The point-in-time restore of server '${targetId}' needs properties.sourceServerResourceId.`);
  }
  const source =
    request.source && !request.source.hidden && request.source.engine === provider.engine ? request.source : undefined;
  if (!source)
    throw invalid(
      `The source server '${sourceId}' of the point-in-time restore of '${request.name}' does not exist (a ${provider.serverType} is needed).`,
    );
  const field = provider.restorePointField;
  const pointInTime = typeof properties[field] === 'string' ? Date.parse(properties[field]) : NaN;
  if (Number.isNaN(pointInTime)) {
    throw invalid(
      `The point-in-time restore of server '${targetId}' needs properties.${field} as an ISO 8601 UTC time.`,
    );
  }
  const earliest = earliestRestoreDate(source.server, request.now);
  // A restore point in the future is accepted (Azure restores to the latest point); one before the window is not.
  if (pointInTime < earliest.getTime()) {
    throw new HttpError(
      400,
      'InvalidRestorePointInTime',
      `The restore point '${new Date(pointInTime).toISOString()}' is outside the retention of server '${source.server.name}': ` +
        `choose a time after '${earliest.toISOString()}'.`,
    );
  }
  const location =
    typeof request.body.location === 'string' ? regionName(request.body.location) : source.server.location;
  if (location !== source.server.location) {
    throw invalid(
      `A point-in-time restore stays in the source's region '${source.server.location}'; got location '${location}'. Use GeoRestore for another region.`,
    );
  }
  const src = source.server;
  const requestedNetwork = isRecord(properties.network) ? properties.network : {};
  const sourceVnet = isVnetServer(src);
  const dnsField = provider.privateDnsZoneField;
  const sourceNetwork = (src.properties.network ?? {}) as Record<string, unknown>;
  let vnet = sourceVnet;
  if (provider.restoreMayChangeNetwork) {
    // MySQL: the request chooses the network of the new server (a private source may come back public).
    if (typeof requestedNetwork.delegatedSubnetResourceId === 'string') vnet = true;
    else if (requestedNetwork.publicNetworkAccess === 'Enabled') vnet = false;
  } else {
    if (!sourceVnet && typeof requestedNetwork.delegatedSubnetResourceId === 'string') {
      throw invalid(`Server '${src.name}' uses public access; its restore cannot be placed in a virtual network.`);
    }
    if (sourceVnet && requestedNetwork.publicNetworkAccess === 'Enabled') {
      throw invalid(`Server '${src.name}' is integrated with a virtual network; its restore cannot use public access.`);
    }
  }
  const network = vnet
    ? {
        publicNetworkAccess: 'Disabled',
        delegatedSubnetResourceId:
          (requestedNetwork.delegatedSubnetResourceId as string | undefined) ??
          src.properties.network?.delegatedSubnetResourceId,
        [dnsField]:
          (requestedNetwork[dnsField] as string | undefined) ?? (sourceNetwork[dnsField] as string | undefined),
      }
    : { publicNetworkAccess: 'Enabled' };
  if (vnet && !network.delegatedSubnetResourceId)
    throw invalid(
      `The restore of '${request.name}' into a virtual network needs properties.network.delegatedSubnetResourceId.`,
    );
  const server = completeServer(
    {
      id: targetId,
      name: request.name,
      type: src.type,
      location,
      // The source's tags are copied (the request's win); no tags key when neither has any.
      ...(src.tags || request.tags ? { tags: { ...(src.tags ?? {}), ...(request.tags ?? {}) } } : {}),
      sku: { ...src.sku! },
      systemData: request.systemData,
      properties: {
        version: src.properties.version,
        minorVersion: src.properties.minorVersion,
        administratorLogin: src.properties.administratorLogin,
        storage: { ...src.properties.storage },
        backup: {
          backupRetentionDays: src.properties.backup?.backupRetentionDays,
          geoRedundantBackup: src.properties.backup?.geoRedundantBackup,
        },
        network,
        authConfig: src.properties.authConfig,
        dataEncryption: src.properties.dataEncryption,
        availabilityZone:
          typeof properties.availabilityZone === 'string'
            ? properties.availabilityZone
            : src.properties.availabilityZone,
        state: 'Provisioning',
      },
    },
    request.now,
  );
  // The source's rules come along when both are public (a private source has none to give).
  const rules =
    vnet || sourceVnet
      ? []
      : [...source.rules.values()].map((rule) => ({
          id: `${targetId}/firewallRules/${rule.name}`,
          name: rule.name,
          type: rule.type,
          properties: { ...rule.properties },
        }));
  return { server, rules };
}
