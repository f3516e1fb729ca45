// Data-plane and service roles of the app's identities, each scoped to the one resource it is for.
// Nothing here is assigned at subscription or resource-group scope, and no Owner or Contributor.
param storageAccountName string
param deadLetterContainerName string
param eventsQueueName string
param applicationInsightsName string
param communicationServiceName string
@description('Principal id of the Function App identity (user-assigned).')
param appPrincipalId string
@description('Principal id of the identity Event Grid delivers and dead-letters with.')
param deliveryPrincipalId string
@description('"custom": a three-action role Microsoft documents for Entra ID email sending; "builtin": Communication and Email Service Owner.')
@allowed(['custom', 'builtin'])
param emailSenderRole string = 'custom'
@description('Makes custom role names unique in the tenant (role names are tenant-wide).')
param roleNameSuffix string
@description('Key Vault (RBAC authorization) holding the drill login\'s password; empty: drills sign in with Entra tokens, no vault role.')
param drillKeyVaultName string = ''
@description('Resource group of that Key Vault, in this subscription.')
param drillKeyVaultResourceGroup string = resourceGroup().name

// Built-in role definition ids, by name.
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageQueueDataMessageSender: 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  communicationAndEmailServiceOwner: '09976791-48a7-449e-bb21-39d1a415f350'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
}

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' existing = {
  parent: storage
  name: 'default'
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' existing = {
  parent: blobService
  name: deadLetterContainerName
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2024-01-01' existing = {
  parent: storage
  name: 'default'
}

resource eventsQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2024-01-01' existing = {
  parent: queueService
  name: eventsQueueName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource communication 'Microsoft.Communication/communicationServices@2023-04-01' existing = {
  name: communicationServiceName
}

// Functions host (leases, timers, keys, the Flex deployment package) needs blob ownership on its account.
resource appBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appPrincipalId, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Queue trigger on resource-events, its poison queue, and onActivityLogAlert enqueueing.
resource appQueueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appPrincipalId, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Inventory, evidence, runs and checkpoints tables.
resource appTableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appPrincipalId, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Telemetry with Entra ID (Application Insights has local auth disabled).
resource appMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, appPrincipalId, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Event Grid may only add messages to the events queue, nothing else in the account.
resource deliveryQueueSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(eventsQueue.id, deliveryPrincipalId, roles.storageQueueDataMessageSender)
  scope: eventsQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataMessageSender)
    principalId: deliveryPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Event Grid writes undeliverable events into the dead-letter container only.
resource deliveryDeadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deadLetterContainer.id, deliveryPrincipalId, roles.storageBlobDataContributor)
  scope: deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: deliveryPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// ACS checks these three actions for Entra ID email sending (Microsoft's documented custom role).
var emailSenderRoleGuid = guid(resourceGroup().id, 'pitr-warden-email-sender')
resource emailSenderDefinition 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (emailSenderRole == 'custom') {
  name: emailSenderRoleGuid
  properties: {
    roleName: 'pitr-warden email sender (${roleNameSuffix})'
    description: 'Send email through the pitr-warden Communication Services resource with Microsoft Entra ID.'
    type: 'customRole'
    permissions: [
      {
        actions: [
          'Microsoft.Communication/CommunicationServices/Read'
          'Microsoft.Communication/CommunicationServices/Write'
          'Microsoft.Communication/EmailServices/write'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: [resourceGroup().id]
  }
}

resource appEmailSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  // The role choice is in the name: ARM refuses to change the role of an existing assignment.
  name: guid(communication.id, appPrincipalId, 'pitr-warden-email-sender', emailSenderRole)
  scope: communication
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      emailSenderRole == 'custom' ? emailSenderRoleGuid : roles.communicationAndEmailServiceOwner
    )
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
  dependsOn: [emailSenderDefinition]
}

// Drills with DRILL_DB_AUTH=key-vault read the login's password secret with the app's identity: secrets only, that vault only.
module drillKeyVaultAccess 'app/drill-key-vault-access.bicep' = if (!empty(drillKeyVaultName)) {
  name: 'drill-key-vault-access'
  scope: resourceGroup(drillKeyVaultResourceGroup)
  params: {
    keyVaultName: drillKeyVaultName
    principalId: appPrincipalId
    roleDefinitionGuid: roles.keyVaultSecretsUser
  }
}
