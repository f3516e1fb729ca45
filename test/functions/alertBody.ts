import { sample } from '../support/samples.js';

/**
 * A common-alert-schema Activity Log alert built from Microsoft's two samples: the envelope
 * (common-alert-schema_envelope_sample.json) with Activity Log essentials, and the Administrative alertContext
 * (common-alert-schema_alertContext_ActivityLog-Administrative.json), both pointed at one flexible server and a user.
 */
export function activityLogAlert(
  serverId: string,
  options: { operationName?: string; upn?: string; at?: string } = {},
): Record<string, unknown> {
  const read = (name: string) => sample(`activity-log/${name}`) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- sample JSON
  const envelope = read('common-alert-schema_envelope_sample.json');
  const { alertContext } = read('common-alert-schema_alertContext_ActivityLog-Administrative.json');
  const operationName = options.operationName ?? 'Microsoft.DBforPostgreSQL/flexibleServers/write';
  const subscriptionId = /^\/subscriptions\/([^/]+)/i.exec(serverId)?.[1] ?? '';
  const claims = JSON.parse(alertContext.claims as string) as Record<string, string>;
  claims['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn'] = options.upn ?? 'alice@contoso.com';
  claims.name = 'Alice Example';
  const at = options.at ?? new Date().toISOString();
  return {
    ...envelope,
    data: {
      essentials: {
        ...envelope.data.essentials,
        alertId: `/subscriptions/${subscriptionId}/providers/Microsoft.AlertsManagement/alerts/${alertContext.eventDataId}`,
        signalType: 'Activity Log',
        monitorCondition: 'Fired',
        monitoringService: 'Activity Log - Administrative',
        alertTargetIDs: [serverId.toLowerCase()],
        configurationItems: [serverId.split('/').at(-1)],
        firedDateTime: at,
      },
      alertContext: {
        ...alertContext,
        authorization: { action: operationName, scope: serverId },
        claims: JSON.stringify(claims),
        caller: options.upn ?? 'alice@contoso.com',
        operationName,
        eventTimestamp: at,
        submissionTimestamp: at,
      },
    },
  };
}
