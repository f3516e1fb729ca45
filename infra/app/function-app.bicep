// The warden's Function App on Flex Consumption: Node 22, the esbuild bundle deployed by azd from a blob
// container, identity-based storage and telemetry, and every app setting src/config.ts reads in Azure.
param name string
param planName string
param location string
param tags object = {}
@description('azd deploys the service whose name is in this tag (azure.yaml services.warden).')
param serviceName string = 'warden'

param identityId string
param identityClientId string
param storageAccountName string
param storageBlobEndpoint string
param deploymentContainerName string
param applicationInsightsConnectionString string

@allowed(['20', '22'])
param nodeVersion string = '22'
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40
@allowed([2048, 4096])
param instanceMemoryMB int = 2048

// Settings of src/config.ts (SETTINGS); test/infra/bicep.test.ts checks the list against it.
param governedSubscriptionIds array
param armEndpoint string
param eventsQueueName string
param tablePrefix string
param policyPath string
param reconcileSchedule string
param reconcileRefreshHours int
param armConcurrencyPerSubscription int
param serverListing string
param noticesSchedule string
param finopsSummarySchedule string
param sweepSchedule string
param drillsSchedule string
param drillDbAuth string
param drillDbUser string
param drillDbPasswordSecretUri string
@description('Resource id of the subnet the app joins (VNet integration) to reach VNet drill clones; delegated to Microsoft.App/environments. Empty: no VNet integration.')
param drillSubnetId string = ''
@description('The app\'s outbound IPv4 addresses a drill allows on a public clone (DRILL_CLIENT_ADDRESSES). Empty: the site\'s possibleOutboundIpAddresses without VNet integration, none with it (give the NAT gateway\'s address then).')
param drillClientAddresses string = ''
@allowed(['dry-run', 'enforce'])
param sweepMode string
param sweepMaxDeletionsPerRun int
param sweepMaxDeletionPercent int
param sweepMaxDisagreementPercent int
param acsEndpoint string
param mailSender string
param allowedRecipientDomains string
param fallbackMailbox string
param finopsMailbox string
param reviewMailbox string
param mailLimitPerMinute int
param mailLimitPerHour int
param retailPricesEndpoint string
param portalUrl string
@description('Object id of the Entra group whose members may open the dashboard; empty: every user the app registration signs in.')
param dashboardAllowedGroupId string = ''
@description('Client id of the Entra app registration of the dashboard (App Service authentication); empty: no sign-in is configured and the dashboard answers 401.')
param dashboardClientId string = ''

@description('Name of the host key the Activity Log action group calls onActivityLogAlert with.')
param activityLogAlertKeyName string
@secure()
param activityLogAlertKey string

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-11-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    publicNetworkAccess: 'Enabled'
    // Drills of VNet sources: the restored clone lands in the source's delegated subnet, so the app joins a drill
    // subnet that reaches it (same or peered VNet, the private DNS zone linked) and sends all its traffic there.
    virtualNetworkSubnetId: empty(drillSubnetId) ? null : drillSubnetId
    vnetRouteAllEnabled: !empty(drillSubnetId)
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      // Flex takes the worker runtime from here; FUNCTIONS_WORKER_RUNTIME is not an app setting on Flex.
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }
}

// azd deploys with Entra ID; publishing with basic credentials (FTP, SCM user/password) stays off.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: functionApp
  name: 'ftp'
  properties: { allow: false }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: functionApp
  name: 'scm'
  properties: { allow: false }
}

resource appSettings 'Microsoft.Web/sites/config@2024-11-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: {
    // Functions host storage through the managed identity: no connection string, no key.
    AzureWebJobsStorage__accountName: storageAccountName
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
    // V8's old space sized for the instance, half its memory: what V8 gives itself on a machine of that memory, stated
    // so it does not depend on Node reading the instance's limit. Sized for a large host instead, V8 lets garbage grow
    // to four times what is live before collecting (README, Scale); `npm run bench` runs the warden with the same.
    languageWorkers__node__arguments: '--max-old-space-size=${instanceMemoryMB / 2}'
    // DefaultAzureCredential picks the user-assigned identity by this client id.
    AZURE_CLIENT_ID: identityClientId
    WARDEN_CREDENTIAL: 'default'
    GOVERNED_SUBSCRIPTION_IDS: join(governedSubscriptionIds, ',')
    ARM_ENDPOINT: armEndpoint
    EVENTS_QUEUE_NAME: eventsQueueName
    TABLE_PREFIX: tablePrefix
    POLICY_PATH: policyPath
    RECONCILE_SCHEDULE: reconcileSchedule
    RECONCILE_REFRESH_HOURS: string(reconcileRefreshHours)
    ARM_CONCURRENCY_PER_SUBSCRIPTION: string(armConcurrencyPerSubscription)
    SERVER_LISTING: serverListing
    NOTICES_SCHEDULE: noticesSchedule
    FINOPS_SUMMARY_SCHEDULE: finopsSummarySchedule
    SWEEP_SCHEDULE: sweepSchedule
    // Restore drills: data-plane sign-in with the managed identity's Entra token (or a Key Vault password).
    DRILLS_SCHEDULE: drillsSchedule
    DRILL_DB_AUTH: drillDbAuth
    DRILL_DB_USER: drillDbUser
    DRILL_DB_PASSWORD_SECRET_URI: drillDbPasswordSecretUri
    // Drills of public sources: a temporary firewall rule on the clone for these addresses. Without VNet integration
    // the app leaves Azure from one of the site's possible outbound addresses; with it, from the subnet's NAT gateway.
    DRILL_CLIENT_ADDRESSES: !empty(drillClientAddresses) ? drillClientAddresses : empty(drillSubnetId) ? functionApp.properties.possibleOutboundIpAddresses : ''
    SWEEP_MODE: sweepMode
    SWEEP_MAX_DELETIONS_PER_RUN: string(sweepMaxDeletionsPerRun)
    SWEEP_MAX_DELETION_PERCENT: string(sweepMaxDeletionPercent)
    SWEEP_MAX_DISAGREEMENT_PERCENT: string(sweepMaxDisagreementPercent)
    // ACS through the managed identity (custom email-sender role), never a connection string.
    ACS_ENDPOINT: acsEndpoint
    MAIL_SENDER: mailSender
    ALLOWED_RECIPIENT_DOMAINS: allowedRecipientDomains
    FALLBACK_MAILBOX: fallbackMailbox
    FINOPS_MAILBOX: finopsMailbox
    REVIEW_MAILBOX: reviewMailbox
    MAIL_LIMIT_PER_MINUTE: string(mailLimitPerMinute)
    MAIL_LIMIT_PER_HOUR: string(mailLimitPerHour)
    RETAIL_PRICES_ENDPOINT: retailPricesEndpoint
    PORTAL_URL: portalUrl
    // The staging hook puts templates/ and data/ beside dist/ in the package root.
    TEMPLATES_DIR: 'templates'
    PRICE_TABLE_PATH: 'data/retail-prices-2026-11-01.json'
    // The dashboard answers only requests App Service authentication signed in (and checks the group itself).
    DASHBOARD_AUTH: 'entra'
    DASHBOARD_ALLOWED_GROUP_ID: dashboardAllowedGroupId
  }
}

// A host key of our own for the action group, so no key has to be read back from the running host.
resource activityLogAlertKeyResource 'Microsoft.Web/sites/host/functionKeys@2024-11-01' = {
  name: '${functionApp.name}/default/${activityLogAlertKeyName}'
  properties: {
    name: activityLogAlertKeyName
    value: activityLogAlertKey
  }
  dependsOn: [appSettings]
}

output id string = functionApp.id
output name string = functionApp.name
output defaultHostName string = functionApp.properties.defaultHostName

// App Service authentication with Microsoft Entra ID in front of the dashboard (README "Dashboard").
module dashboardAuth 'dashboard-auth.bicep' = if (!empty(dashboardClientId)) {
  name: 'dashboard-auth'
  params: {
    siteName: functionApp.name
    clientId: dashboardClientId
    allowedGroupId: dashboardAllowedGroupId
  }
}
