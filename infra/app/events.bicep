// In one governed subscription: the ARM event feed (Event Grid system topic on the subscription) into the
// app's queue, and the Activity Log alert that calls onActivityLogAlert. Both are hints the app re-reads.
param namePrefix string
param tags object = {}
@description('Identity Event Grid delivers and dead-letters with (Queue Data Message Sender on the queue).')
param deliveryIdentityId string
param storageAccountId string
param eventsQueueName string
param deadLetterContainerName string
param actionGroupId string
@description('Delivery attempts before an event is dead-lettered (Event Grid allows 1 to 30).')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 30

// One system topic per source is allowed: a subscription that already has one needs it reused (see README).
resource armTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: 'evgt-${namePrefix}-arm'
  location: 'global'
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${deliveryIdentityId}': {} }
  }
  properties: {
    source: subscription().id
    topicType: 'Microsoft.Resources.Subscriptions'
  }
}

resource flexibleServerEvents 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: armTopic
  name: 'postgres-flexible-servers'
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.Resources.ResourceWriteSuccess'
        'Microsoft.Resources.ResourceDeleteSuccess'
        'Microsoft.Resources.ResourceActionSuccess'
      ]
      enableAdvancedFilteringOnArrays: true
      // Servers and their children (firewall rules, configurations); string filters ignore case.
      advancedFilters: [
        {
          operatorType: 'StringBeginsWith'
          key: 'data.operationName'
          values: ['Microsoft.DBforPostgreSQL/flexibleServers', 'Microsoft.DBforMySQL/flexibleServers', 'Microsoft.Sql/servers/databases']
        }
      ]
    }
    deliveryWithResourceIdentity: {
      identity: {
        type: 'UserAssigned'
        userAssignedIdentity: deliveryIdentityId
      }
      destination: {
        endpointType: 'StorageQueue'
        properties: {
          resourceId: storageAccountId
          queueName: eventsQueueName
          queueMessageTimeToLiveInSeconds: 604800
        }
      }
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'UserAssigned'
        userAssignedIdentity: deliveryIdentityId
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: storageAccountId
          blobContainerName: deadLetterContainerName
        }
      }
    }
    retryPolicy: {
      maxDeliveryAttempts: maxDeliveryAttempts
      eventTimeToLiveInMinutes: 1440
    }
  }
}

// Second feed: administrative operations on flexible servers (and their firewall rules) from the Activity Log.
resource administrativeAlert 'Microsoft.Insights/activityLogAlerts@2020-10-01' = {
  name: 'alert-${namePrefix}-postgres-flexible-admin'
  location: 'global'
  tags: tags
  properties: {
    enabled: true
    description: 'pitr-warden: administrative operations on PostgreSQL and MySQL flexible servers and SQL databases, sent to onActivityLogAlert.'
    scopes: [subscription().id]
    condition: {
      allOf: [
        {
          field: 'category'
          equals: 'Administrative'
        }
        {
          anyOf: [
            {
              field: 'resourceType'
              equals: 'microsoft.dbforpostgresql/flexibleservers'
            }
            {
              field: 'resourceType'
              equals: 'microsoft.dbforpostgresql/flexibleservers/firewallrules'
            }
            {
              field: 'resourceType'
              equals: 'microsoft.sql/servers/databases'
            }
            {
              field: 'resourceType'
              equals: 'microsoft.dbformysql/flexibleservers'
            }
            {
              field: 'resourceType'
              equals: 'microsoft.dbformysql/flexibleservers/firewallrules'
            }
          ]
        }
      ]
    }
    actions: {
      actionGroups: [
        {
          actionGroupId: actionGroupId
          webhookProperties: { source: 'pitr-warden' }
        }
      ]
    }
  }
}

output systemTopicId string = armTopic.id
output eventSubscriptionName string = flexibleServerEvents.name
