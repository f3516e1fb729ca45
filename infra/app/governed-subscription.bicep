// Everything the warden needs in one governed subscription: its custom role assigned to the app identity
// at subscription scope, and a resource group holding the event feeds (system topic, Activity Log alert).
targetScope = 'subscription'

param location string
param namePrefix string
param environmentName string
param tags object = {}
@description('Name (GUID) of the warden custom role defined by warden-role.bicep.')
param wardenRoleDefinitionName string
param appPrincipalId string
param deliveryIdentityId string
param storageAccountId string
param eventsQueueName string
param deadLetterContainerName string
param actionGroupId string

resource eventsGroup 'Microsoft.Resources/resourceGroups@2024-11-01' = {
  name: 'rg-${namePrefix}-events-${environmentName}'
  location: location
  tags: tags
}

resource wardenRoleAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, appPrincipalId, wardenRoleDefinitionName)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', wardenRoleDefinitionName)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'pitr-warden: govern PostgreSQL flexible-server clones in this subscription.'
  }
}

module events 'events.bicep' = {
  name: take('pitr-warden-events-${environmentName}', 64)
  scope: eventsGroup
  params: {
    namePrefix: namePrefix
    tags: tags
    deliveryIdentityId: deliveryIdentityId
    storageAccountId: storageAccountId
    eventsQueueName: eventsQueueName
    deadLetterContainerName: deadLetterContainerName
    actionGroupId: actionGroupId
  }
}

output eventsResourceGroup string = eventsGroup.name
output systemTopicId string = events.outputs.systemTopicId
