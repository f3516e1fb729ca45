/** Facts about ARM resource ids the Activity Log and Event Grid carry. */
export interface ResourceFacts {
  readonly subscriptionId: string;
  readonly resourceGroup?: string;
  /** e.g. `Microsoft.DBforPostgreSQL` */
  readonly provider?: string;
  /** e.g. `Microsoft.DBforPostgreSQL/flexibleServers/firewallRules` */
  readonly resourceType?: string;
}

export function resourceFacts(resourceId: string): ResourceFacts {
  const segments = resourceId.split('/').filter(Boolean);
  const subscriptionId = (segments[0]?.toLowerCase() === 'subscriptions' ? segments[1] : undefined) ?? '';
  const groupAt = segments.findIndex((s) => s.toLowerCase() === 'resourcegroups');
  const resourceGroup = groupAt >= 0 ? segments[groupAt + 1] : undefined;
  const providerAt = segments.map((s) => s.toLowerCase()).lastIndexOf('providers');
  if (providerAt < 0 || !segments[providerAt + 1])
    return { subscriptionId, ...(resourceGroup ? { resourceGroup } : {}) };
  const provider = segments[providerAt + 1]!;
  const types = segments.slice(providerAt + 2).filter((_, i) => i % 2 === 0);
  return {
    subscriptionId,
    ...(resourceGroup ? { resourceGroup } : {}),
    provider,
    resourceType: [provider, ...types].join('/'),
  };
}

/** .NET ticks, as Activity Log ids end with. */
export const ticksOf = (at: Date): string => (BigInt(at.getTime()) * 10000n + 621355968000000000n).toString();
