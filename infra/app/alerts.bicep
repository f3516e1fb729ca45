// The action group every governed subscription's Activity Log alert uses: it calls the warden's
// onActivityLogAlert function (HTTP POST, function key) with the common alert schema.
param name string
param tags object = {}
@maxLength(12)
param shortName string = 'pitrwarden'
param functionAppId string
param functionAppHostName string
@secure()
param functionKey string

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: name
  location: 'global'
  tags: tags
  properties: {
    groupShortName: shortName
    enabled: true
    azureFunctionReceivers: [
      {
        name: 'onActivityLogAlert'
        functionAppResourceId: functionAppId
        functionName: 'onActivityLogAlert'
        httpTriggerUrl: 'https://${functionAppHostName}/api/activity-log-alert?code=${functionKey}'
        useCommonAlertSchema: true
      }
    ]
  }
}

output id string = actionGroup.id
