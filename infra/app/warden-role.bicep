// The warden identity's only ARM rights: a custom role with exactly the actions the code calls
// (ARM_ACTIONS in src/adapters/azure/permissions.ts; test/infra/bicep.test.ts keeps the two equal).
targetScope = 'subscription'

@description('Makes the role name unique in the tenant (role names are tenant-wide).')
param roleNameSuffix string
@description('Subscriptions the role may be assigned in.')
param governedSubscriptionIds array

resource wardenRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, 'pitr-warden-clone-governor', roleNameSuffix)
  properties: {
    roleName: 'pitr-warden clone governor (${roleNameSuffix})'
    description: 'Read, tag, lock down, stop and delete PostgreSQL and MySQL flexible-server clones; open a restore drill\'s own PostgreSQL clone to the app; read, tag and delete SQL database copies (their logical servers read only); read locks and the Activity Log.'
    type: 'customRole'
    permissions: [
      {
        actions: [
          'Microsoft.DBforPostgreSQL/flexibleServers/read'
          'Microsoft.DBforPostgreSQL/flexibleServers/write'
          'Microsoft.DBforPostgreSQL/flexibleServers/delete'
          'Microsoft.DBforPostgreSQL/flexibleServers/stop/action'
          'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules/read'
          'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules/delete'
          'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules/write'
          'Microsoft.DBforPostgreSQL/locations/azureAsyncOperation/read'
          'Microsoft.DBforPostgreSQL/locations/operationResults/read'
          'Microsoft.Sql/servers/read'
          'Microsoft.Sql/servers/databases/read'
          'Microsoft.Sql/servers/firewallRules/read'
          'Microsoft.Sql/servers/databases/delete'
          'Microsoft.Sql/locations/databaseAzureAsyncOperation/read'
          'Microsoft.Sql/locations/databaseOperationResults/read'
          'Microsoft.DBforMySQL/flexibleServers/read'
          'Microsoft.DBforMySQL/flexibleServers/write'
          'Microsoft.DBforMySQL/flexibleServers/delete'
          'Microsoft.DBforMySQL/flexibleServers/stop/action'
          'Microsoft.DBforMySQL/flexibleServers/firewallRules/read'
          'Microsoft.DBforMySQL/flexibleServers/firewallRules/delete'
          'Microsoft.DBforMySQL/locations/azureAsyncOperation/read'
          'Microsoft.DBforMySQL/locations/operationResults/read'
          'Microsoft.Resources/tags/read'
          'Microsoft.Resources/tags/write'
          'Microsoft.Authorization/locks/read'
          'Microsoft.Insights/eventtypes/values/read'
          'Microsoft.ResourceGraph/resources/read'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: [for subscriptionId in union([subscription().subscriptionId], governedSubscriptionIds): '/subscriptions/${subscriptionId}']
  }
}

output roleDefinitionName string = wardenRole.name
