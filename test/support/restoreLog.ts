import { createHash } from 'node:crypto';

type ArmServerLike = {
  id: string;
  location?: string;
  tags?: Readonly<Record<string, string>>;
  createdAt?: string;
  systemData?: { createdAt?: string };
};

/**
 * The Activity Log's start record of each restore in a snapshot (every server carrying RestoredFrom and
 * RestorePointUtc tags), logged five seconds after the server's creation, in the shape ARM lists: the proof that lets
 * the warden govern those servers. Ids derive from the server id, so a snapshot always gets the same records.
 * @example startStack({ snapshot: withRestoreLog({ servers: [prod, clone] }) })
 */
export function withRestoreLog<T extends { servers: unknown[]; activityLog?: unknown[] }>(snapshot: T): T {
  return {
    ...snapshot,
    activityLog: [...(snapshot.activityLog ?? []), ...restoreLogEntries(snapshot.servers as ArmServerLike[])],
  };
}

/**
 * The same records for ARM-shaped or domain servers, with an Activity Log feed over them that answers a time window
 * as the real one does.
 */
export function restoreLogEntries(servers: readonly ArmServerLike[]) {
  return servers
    .filter((s) => s.tags?.RestoredFrom && s.tags.RestorePointUtc)
    .map((s) => {
      const hash = createHash('sha1').update(s.id.toLowerCase()).digest('hex');
      const eventDataId = `${hash.slice(0, 8)}-${hash.slice(8, 12)}-4${hash.slice(13, 16)}-8${hash.slice(17, 20)}-${hash.slice(20, 32)}`;
      const who = s.tags!.RestoredBy ?? 'alice@contoso.com';
      const at = new Date(
        Date.parse(s.createdAt ?? s.systemData?.createdAt ?? '2026-01-10T09:00:00Z') + 5_000,
      ).toISOString();
      const parts = s.id.split('/');
      return {
        authorization: { action: 'Microsoft.DBforPostgreSQL/flexibleServers/write', scope: s.id },
        caller: who,
        claims: { 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': who, name: who },
        correlationId: eventDataId,
        eventDataId,
        category: { value: 'Administrative', localizedValue: 'Administrative' },
        eventTimestamp: at,
        id: `${s.id}/events/${eventDataId}/ticks/1`,
        operationName: {
          value: 'Microsoft.DBforPostgreSQL/flexibleServers/write',
          localizedValue: 'Create/Update Server',
        },
        status: { value: 'Accepted', localizedValue: 'Accepted' },
        resourceId: s.id,
        resourceProviderName: { value: 'Microsoft.DBforPostgreSQL', localizedValue: 'Microsoft.DBforPostgreSQL' },
        resourceType: {
          value: 'Microsoft.DBforPostgreSQL/flexibleServers',
          localizedValue: 'Microsoft.DBforPostgreSQL/flexibleServers',
        },
        resourceGroupName: parts[4],
        subscriptionId: parts[2],
        properties: {
          requestbody: JSON.stringify({
            location: s.location,
            properties: {
              createMode: 'PointInTimeRestore',
              sourceServerResourceId: s.tags!.RestoredFrom,
              pointInTimeUTC: s.tags!.RestorePointUtc,
            },
          }),
        },
      };
    });
}

/** An Activity Log feed (the ActivityFeedPort) holding the restore records of `servers`. */
export function restoreLogFeed(servers: readonly ArmServerLike[]) {
  const entries = restoreLogEntries(servers);
  return {
    list: (subscriptionId: string, window: { from: Date; to: Date }) =>
      Promise.resolve(
        entries.filter(
          (e) =>
            e.subscriptionId?.toLowerCase() === subscriptionId.toLowerCase() &&
            Date.parse(e.eventTimestamp) >= window.from.getTime() &&
            Date.parse(e.eventTimestamp) <= window.to.getTime(),
        ) as unknown[],
      ),
  };
}
