/**
 * Every Azure RBAC action the warden's own identity needs on a governed subscription, one per SDK call.
 * infra/app/warden-role.bicep grants exactly these (test/infra/bicep.test.ts compares the two), so a new
 * ARM call in an adapter starts here. No wildcards: the warden never needs `*` write or delete.
 * Governed restores (create) of the operator CLI run under the operator's own identity; the app itself restores only for
 * restore drills (the runRestoreDrills timer, PostgreSQL only), which needs the servers write action it holds anyway.
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
  // firewallRules.beginDelete: removing open-door rules (0.0.0.0, 0.0.0.0-255.255.255.255), and a drill's own rule.
  'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules/delete',
  // firewallRules.beginCreateOrUpdate: a restore drill's temporary rule for the app's outbound addresses, on its own
  // public clone only (DRILL_CLIENT_ADDRESSES); drills connect to PostgreSQL only, so MySQL has no rule write.
  'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules/write',
  // LRO polling of PATCH/PUT answers (Azure-AsyncOperation header).
  'Microsoft.DBforPostgreSQL/locations/azureAsyncOperation/read',
  // LRO polling of DELETE answers (Location header).
  'Microsoft.DBforPostgreSQL/locations/operationResults/read',
  // SQL databases (@azure/arm-sql): logical servers read for the copy's exposure (public access), never written.
  'Microsoft.Sql/servers/read',
  // databases.listByServer / get: reconcile and the live re-read before every decision.
  'Microsoft.Sql/servers/databases/read',
  // firewallRules.listByServer: the logical server's rules, reported as the copy's exposure, never changed.
  'Microsoft.Sql/servers/firewallRules/read',
  // databases.beginDelete: the expiry sweep in enforce mode deletes the database only.
  'Microsoft.Sql/servers/databases/delete',
  // LRO polling of a database delete (Azure-AsyncOperation and Location under the resource group).
  'Microsoft.Sql/locations/databaseAzureAsyncOperation/read',
  'Microsoft.Sql/locations/databaseOperationResults/read',
  // MySQL flexible servers: the same calls on @azure/arm-mysql-flexible (servers.list / get, beginStop, beginDelete,
  // firewallRules.listByServer / beginDelete) and the PATCH of publicNetworkAccess through resources.beginUpdateById.
  'Microsoft.DBforMySQL/flexibleServers/read',
  'Microsoft.DBforMySQL/flexibleServers/write',
  'Microsoft.DBforMySQL/flexibleServers/delete',
  'Microsoft.DBforMySQL/flexibleServers/stop/action',
  'Microsoft.DBforMySQL/flexibleServers/firewallRules/read',
  'Microsoft.DBforMySQL/flexibleServers/firewallRules/delete',
  'Microsoft.DBforMySQL/locations/azureAsyncOperation/read',
  'Microsoft.DBforMySQL/locations/operationResults/read',
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

const SQL_DATABASE_LRO = [
  'Microsoft.Sql/locations/databaseAzureAsyncOperation/read',
  'Microsoft.Sql/locations/databaseOperationResults/read',
] as const;
const PG_LRO = [
  'Microsoft.DBforPostgreSQL/locations/azureAsyncOperation/read',
  'Microsoft.DBforPostgreSQL/locations/operationResults/read',
] as const;
const MYSQL_LRO = [
  'Microsoft.DBforMySQL/locations/azureAsyncOperation/read',
  'Microsoft.DBforMySQL/locations/operationResults/read',
] as const;

/**
 * The RBAC actions each Azure SDK operation needs, per SDK package: the one place a new engine adds its calls
 * (for example `'@azure/arm-mysql-flexible': { 'servers.get': ['Microsoft.DBforMySQL/flexibleServers/read'] }`).
 * test/infra/bicep.test.ts finds the `<group>.<method>(` calls in every file of src/adapters/azure that imports the
 * package and requires ARM_ACTIONS to be exactly the union of their actions: an unlisted call, a missing action and
 * an action no call needs all fail it. LROs also poll the provider's operation status. An empty list: a call the app
 * never makes under its own identity (`servers.beginCreateOrUpdate` is the governed restore of the operator CLI).
 */
export const SDK_OPERATION_ACTIONS: Readonly<Record<string, Readonly<Record<string, readonly ArmAction[]>>>> = {
  '@azure/arm-postgresql-flexible': {
    'servers.listBySubscription': ['Microsoft.DBforPostgreSQL/flexibleServers/read'],
    'servers.listByResourceGroup': ['Microsoft.DBforPostgreSQL/flexibleServers/read'],
    'servers.get': ['Microsoft.DBforPostgreSQL/flexibleServers/read'],
    'servers.beginUpdate': ['Microsoft.DBforPostgreSQL/flexibleServers/write', ...PG_LRO],
    'servers.beginStop': ['Microsoft.DBforPostgreSQL/flexibleServers/stop/action', ...PG_LRO],
    'servers.beginDelete': ['Microsoft.DBforPostgreSQL/flexibleServers/delete', ...PG_LRO],
    // The restore of a drill (runRestoreDrills, under the app's identity); the operator CLI's restores use the operator's.
    'servers.beginCreateOrUpdate': ['Microsoft.DBforPostgreSQL/flexibleServers/write', ...PG_LRO],
    'firewallRules.listByServer': ['Microsoft.DBforPostgreSQL/flexibleServers/firewallRules/read'],
    'firewallRules.get': ['Microsoft.DBforPostgreSQL/flexibleServers/firewallRules/read'],
    'firewallRules.beginDelete': ['Microsoft.DBforPostgreSQL/flexibleServers/firewallRules/delete', ...PG_LRO],
    'firewallRules.beginCreateOrUpdate': ['Microsoft.DBforPostgreSQL/flexibleServers/firewallRules/write', ...PG_LRO],
  },
  '@azure/arm-sql': {
    'servers.list': ['Microsoft.Sql/servers/read'],
    'servers.get': ['Microsoft.Sql/servers/read'],
    'databases.listByServer': ['Microsoft.Sql/servers/databases/read'],
    'databases.get': ['Microsoft.Sql/servers/databases/read'],
    'databases.beginDelete': ['Microsoft.Sql/servers/databases/delete', ...SQL_DATABASE_LRO],
    'firewallRules.listByServer': ['Microsoft.Sql/servers/firewallRules/read'],
    // The governed restore and its progress: the operator CLI, under the operator's identity.
    'databases.beginCreateOrUpdate': [],
    'databaseOperations.listByDatabase': [],
  },
  '@azure/arm-mysql-flexible': {
    'servers.list': ['Microsoft.DBforMySQL/flexibleServers/read'],
    'servers.listByResourceGroup': ['Microsoft.DBforMySQL/flexibleServers/read'],
    'servers.get': ['Microsoft.DBforMySQL/flexibleServers/read'],
    'servers.beginStop': ['Microsoft.DBforMySQL/flexibleServers/stop/action', ...MYSQL_LRO],
    'servers.beginDelete': ['Microsoft.DBforMySQL/flexibleServers/delete', ...MYSQL_LRO],
    'servers.beginCreate': [],
    'firewallRules.listByServer': ['Microsoft.DBforMySQL/flexibleServers/firewallRules/read'],
    'firewallRules.get': ['Microsoft.DBforMySQL/flexibleServers/firewallRules/read'],
    'firewallRules.beginDelete': ['Microsoft.DBforMySQL/flexibleServers/firewallRules/delete', ...MYSQL_LRO],
  },
  '@azure/arm-locks': {
    'managementLocks.listAtResourceLevel': ['Microsoft.Authorization/locks/read'],
    'managementLocks.listAtSubscriptionLevel': ['Microsoft.Authorization/locks/read'],
    'managementLocks.listByScope': ['Microsoft.Authorization/locks/read'],
  },
  '@azure/arm-resources': {
    'tagsOperations.getAtScope': ['Microsoft.Resources/tags/read'],
    'tagsOperations.beginUpdateAtScope': ['Microsoft.Resources/tags/write', 'Microsoft.Resources/tags/read'],
    // Only MySQL calls it: the PATCH of network.publicNetworkAccess at api-version 2024-12-30 (the GA SDK speaks 2021-05-01).
    'resources.beginUpdateById': ['Microsoft.DBforMySQL/flexibleServers/write', ...MYSQL_LRO],
  },
  '@azure/arm-monitor': {
    'activityLogs.list': ['Microsoft.Insights/eventtypes/values/read'],
  },
};

/**
 * The RBAC actions of the REST calls the adapters make through the Azure core pipeline without an SDK client, keyed
 * by the path the request names (test/infra/bicep.test.ts counts a path once an adapter's source contains it).
 */
export const REST_OPERATION_ACTIONS: Readonly<Record<string, readonly ArmAction[]>> = {
  // Resource Graph through the REST API (@azure/arm-resourcegraph 5 needs Node 22).
  '/providers/Microsoft.ResourceGraph/resources?': ['Microsoft.ResourceGraph/resources/read'],
  // The live GET of a flexible server (its id, at the engine SDK's api-version), read as REST JSON.
  '${ref.id}?api-version=${apiVersion}': [
    'Microsoft.DBforPostgreSQL/flexibleServers/read',
    'Microsoft.DBforMySQL/flexibleServers/read',
  ],
  // Every lock of a subscription (the sweep's re-check before each group of deletions), as REST JSON.
  '/providers/Microsoft.Authorization/locks?api-version=': ['Microsoft.Authorization/locks/read'],
  // The sweep's DELETE of a governed resource (its id, at the engine SDK's api-version), without polling the operation.
  '${ref.id}?api-version=${this.api(ref.engine).deleteApiVersion}': [
    'Microsoft.DBforPostgreSQL/flexibleServers/delete',
    'Microsoft.DBforMySQL/flexibleServers/delete',
    'Microsoft.Sql/servers/databases/delete',
  ],
};
