/**
 * Every Azure RBAC action the warden's own identity needs on a governed subscription, one per SDK call.
 * infra/app/warden-role.bicep grants exactly these (test/infra/bicep.test.ts compares the two), so a new
 * ARM call in an adapter starts here. No wildcards: the warden never needs `*` write or delete.
 * Restores (create) are made by the operator CLI under the operator's own identity, not by the app.
 *
 * @example
 * import { ARM_ACTIONS } from './permissions.js';
 * ARM_ACTIONS.includes('Microsoft.DBforPostgreSQL/flexibleServers/delete'); // true
 */
export const ARM_ACTIONS = [
  // servers.get / listBySubscription: the live re-read before every decision, and reconcile.
  'Microsoft.DBforPostgreSQL/flexibleServers/read',
  // servers.beginUpdate (PATCH network.publicNetworkAccess); ARM has no narrower action than create/update.
  'Microsoft.DBforPostgreSQL/flexibleServers/write',
  // servers.beginDelete: the expiry sweep in enforce mode.
  'Microsoft.DBforPostgreSQL/flexibleServers/delete',
  // servers.beginStop: quarantine of a clone whose violation cannot be remediated.
  'Microsoft.DBforPostgreSQL/flexibleServers/stop/action',
  // firewallRules.listByServer / get: network policy evaluation.
  'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules/read',
  // firewallRules.beginCreateOrUpdate: network remediation that narrows a rule to the allow-listed range.
  'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules/write',
  // firewallRules.beginDelete: removing open-door rules (0.0.0.0, 0.0.0.0-255.255.255.255).
  'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules/delete',
  // LRO polling of PATCH/PUT answers (Azure-AsyncOperation header).
  'Microsoft.DBforPostgreSQL/locations/azureAsyncOperation/read',
  // LRO polling of DELETE answers (Location header).
  'Microsoft.DBforPostgreSQL/locations/operationResults/read',
  // tagsOperations.beginUpdateAtScope: the Merge's LRO answers with the tags resource (Tag Contributor grants both).
  'Microsoft.Resources/tags/read',
  // tagsOperations.beginUpdateAtScope (Merge): lineage, owner and expiry tags without write on the server.
  'Microsoft.Resources/tags/write',
  // managementLocks.listAtResourceLevel / listAtSubscriptionLevel: CanNotDelete and ReadOnly locks hold a clone.
  'Microsoft.Authorization/locks/read',
  // activityLogs.list (MonitorClient): reconcile reads restore create modes and callers since its checkpoint.
  'Microsoft.Insights/eventtypes/values/read',
  // POST /providers/Microsoft.ResourceGraph/resources (SERVER_LISTING=resource-graph): one query lists every subscription.
  'Microsoft.ResourceGraph/resources/read',
] as const satisfies readonly string[];

/** One of the RBAC actions the warden's identity holds. */
export type ArmAction = (typeof ARM_ACTIONS)[number];
