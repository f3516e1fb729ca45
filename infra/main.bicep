// pitr-warden: everything `azd up` deploys. The app lives in one resource group of this subscription;
// each governed subscription gets the warden's custom role and its event feeds (app/governed-subscription.bicep).
targetScope = 'subscription'

@minLength(1)
@maxLength(40)
@description('azd environment name; the resource group and the unique name token derive from it.')
param environmentName string

@minLength(1)
@metadata({ azd: { type: 'location' } })
@description('Region of the app (Flex Consumption must be offered there).')
param location string

@minLength(2)
@maxLength(8)
@description('Short lower-case prefix of resource names (letters and digits).')
param namePrefix string = 'warden'

@description('Subscriptions (GUIDs) whose flexible servers the warden governs. Empty with an empty list below: this subscription.')
param governedSubscriptionIds array = []

@description('The same as a comma-separated string (azd env GOVERNED_SUBSCRIPTION_IDS); merged with the array.')
param governedSubscriptionIdList string = ''

@description('Custom sender domain for ACS Email; empty uses the Azure-managed domain (xxxx.azurecomm.net).')
param senderDomain string = ''

@description('True once the custom sender domain is verified in DNS; it is then linked and used as sender.')
param senderDomainVerified bool = false

@description('Where Communication Services keeps data at rest.')
param emailDataLocation string = 'United States'

@allowed(['custom', 'builtin'])
@description('Role for sending email: "custom" (three actions) or "builtin" (Communication and Email Service Owner).')
param emailSenderRole string = 'custom'

@description('Comma-separated mail domains owners may be mailed at (ALLOWED_RECIPIENT_DOMAINS).')
param allowedRecipientDomains string = ''

@minLength(3)
@description('Mailbox for clones without a mailable owner (FALLBACK_MAILBOX).')
param fallbackMailbox string

@description('Mailbox of the weekly FinOps summary; empty disables it (FINOPS_MAILBOX).')
param finopsMailbox string = ''

@description('Mailbox of the daily review digest (servers not proven to be restores); empty: the fallback mailbox (REVIEW_MAILBOX).')
param reviewMailbox string = ''

@allowed(['dry-run', 'enforce'])
@description('"dry-run" (default) only records what the sweep would delete; "enforce" deletes expired clones.')
param sweepMode string = 'dry-run'

@description('NCRONTAB (UTC, six fields) of the reconcile timer.')
param reconcileSchedule string = '0 */5 * * * *'
@description('Every clone\'s firewall rules and locks are read live at least once in this many hours (RECONCILE_REFRESH_HOURS).')
@minValue(1)
param reconcileRefreshHours int = 6
@description('ARM requests in flight at once per subscription (ARM_CONCURRENCY_PER_SUBSCRIPTION).')
@minValue(1)
@maxValue(64)
param armConcurrencyPerSubscription int = 8
@allowed(['arm', 'resource-graph'])
@description('"resource-graph" lists every governed subscription in one Azure Resource Graph query (SERVER_LISTING).')
param serverListing string = 'arm'
@description('NCRONTAB (UTC) of owner notices.')
param noticesSchedule string = '0 0 9-17 * * 1-5'
@description('NCRONTAB (UTC) of the weekly FinOps summary.')
param finopsSummarySchedule string = '0 0 8 * * 1'
@description('NCRONTAB (UTC) of the expiry sweep (deletion window).')
param sweepSchedule string = '0 30 10-15 * * 1-4'
@description('NCRONTAB (UTC) of the restore-drill timer (starts due drills, deletes kept drill clones).')
param drillsSchedule string = '0 */15 * * * *'
@description('How drills sign in to a restored server: entra (token of the app\'s managed identity) or key-vault (password secret).')
@allowed(['entra', 'key-vault'])
param drillDbAuth string = 'entra'
@description('Database role drills sign in as: the managed identity\'s name for entra (create it with pgaadauth_create_principal), a login for key-vault.')
param drillDbUser string = ''
@description('Key Vault secret URI of the drill login\'s password (key-vault only).')
param drillDbPasswordSecretUri string = ''
@description('Name of the Key Vault (RBAC authorization) holding that secret: the app\'s identity gets Key Vault Secrets User on it. Empty: no role assignment.')
param drillKeyVaultName string = ''
@description('Resource group of that Key Vault (in this subscription); empty: the app\'s resource group.')
param drillKeyVaultResourceGroup string = ''
@description('Resource id of a subnet (delegated to Microsoft.App/environments) the app joins to reach drill clones of VNet sources; empty: no VNet integration.')
param drillSubnetId string = ''
@description('The app\'s outbound IPv4 addresses drills allow on public clones (DRILL_CLIENT_ADDRESSES); empty: the site\'s possible outbound addresses (none with a drill subnet: give its NAT gateway\'s address).')
param drillClientAddresses string = ''

@minValue(1)
param sweepMaxDeletionsPerRun int = 10
@minValue(0)
@maxValue(100)
param sweepMaxDeletionPercent int = 20
@minValue(0)
@maxValue(100)
param sweepMaxDisagreementPercent int = 25
@minValue(1)
param mailLimitPerMinute int = 30
@minValue(1)
param mailLimitPerHour int = 100

@description('Prefix of the inventory, evidence, runs and checkpoints tables (TABLE_PREFIX).')
param tablePrefix string = 'warden'
@description('Queue Event Grid delivers to (EVENTS_QUEUE_NAME); its poison queue is <name>-poison.')
param eventsQueueName string = 'resource-events'
@description('Path of a policy JSON file inside the deployed package; empty for the built-in policy.')
param policyPath string = ''

@allowed(['20', '22'])
param nodeVersion string = '22'

@secure()
@description('Seed of the host key the action group calls onActivityLogAlert with; new on every deployment.')
param activityLogAlertKeySeed string = newGuid()

@description('Object id of the Entra group whose members may open the dashboard; empty: every user the dashboard app registration signs in.')
param dashboardAllowedGroupId string = ''

@description('Client id of the Entra app registration that signs people in to the dashboard; empty: the dashboard stays closed (401).')
param dashboardClientId string = ''

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
  app: 'pitr-warden'
}
var listedSubscriptionIds = filter(map(split(governedSubscriptionIdList, ','), id => toLower(trim(id))), id => !empty(id))
var requestedSubscriptionIds = union(map(governedSubscriptionIds, id => toLower(string(id))), listedSubscriptionIds)
var governed = empty(requestedSubscriptionIds) ? [subscription().subscriptionId] : requestedSubscriptionIds

var functionAppName = 'func-${namePrefix}-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
var deadLetterContainerName = 'eventgrid-deadletter'
var tableNames = ['${tablePrefix}Inventory', '${tablePrefix}Evidence', '${tablePrefix}Runs', '${tablePrefix}Checkpoints', '${tablePrefix}Drills']
var activityLogAlertKeyName = 'activitylogalert'
var activityLogAlertKey = '${replace(activityLogAlertKeySeed, '-', '')}${uniqueString(activityLogAlertKeySeed)}'

resource appGroup 'Microsoft.Resources/resourceGroups@2024-11-01' = {
  name: 'rg-${namePrefix}-${environmentName}'
  location: location
  tags: tags
}

module appIdentity 'core/identity/user-assigned-identity.bicep' = {
  name: 'app-identity'
  scope: appGroup
  params: {
    name: 'id-${namePrefix}-${resourceToken}'
    location: location
    tags: tags
  }
}

module deliveryIdentity 'core/identity/user-assigned-identity.bicep' = {
  name: 'eventgrid-delivery-identity'
  scope: appGroup
  params: {
    name: 'id-${namePrefix}-eventgrid-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'core/monitor/monitoring.bicep' = {
  name: 'monitoring'
  scope: appGroup
  params: {
    logAnalyticsName: 'log-${namePrefix}-${resourceToken}'
    applicationInsightsName: 'appi-${namePrefix}-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'core/storage/storage-account.bicep' = {
  name: 'storage'
  scope: appGroup
  params: {
    name: take('st${namePrefix}${resourceToken}', 24)
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    deadLetterContainerName: deadLetterContainerName
    queueNames: [eventsQueueName, '${eventsQueueName}-poison']
    tableNames: tableNames
  }
}

module email 'core/communication/email.bicep' = {
  name: 'email'
  scope: appGroup
  params: {
    communicationServiceName: 'acs-${namePrefix}-${resourceToken}'
    emailServiceName: 'ecs-${namePrefix}-${resourceToken}'
    tags: tags
    dataLocation: emailDataLocation
    senderDomain: senderDomain
    senderDomainVerified: senderDomainVerified
  }
}

module rbac 'rbac.bicep' = {
  name: 'rbac'
  scope: appGroup
  params: {
    storageAccountName: storage.outputs.name
    deadLetterContainerName: storage.outputs.deadLetterContainerName
    eventsQueueName: eventsQueueName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    communicationServiceName: email.outputs.name
    appPrincipalId: appIdentity.outputs.principalId
    deliveryPrincipalId: deliveryIdentity.outputs.principalId
    emailSenderRole: emailSenderRole
    roleNameSuffix: resourceToken
    drillKeyVaultName: drillKeyVaultName
    drillKeyVaultResourceGroup: empty(drillKeyVaultResourceGroup) ? appGroup.name : drillKeyVaultResourceGroup
  }
}

module app 'app/function-app.bicep' = {
  name: 'function-app'
  scope: appGroup
  params: {
    name: functionAppName
    planName: 'plan-${namePrefix}-${resourceToken}'
    location: location
    tags: tags
    identityId: appIdentity.outputs.id
    identityClientId: appIdentity.outputs.clientId
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.primaryBlobEndpoint
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    nodeVersion: nodeVersion
    governedSubscriptionIds: governed
    armEndpoint: environment().resourceManager
    eventsQueueName: eventsQueueName
    tablePrefix: tablePrefix
    policyPath: policyPath
    reconcileSchedule: reconcileSchedule
    reconcileRefreshHours: reconcileRefreshHours
    armConcurrencyPerSubscription: armConcurrencyPerSubscription
    serverListing: serverListing
    noticesSchedule: noticesSchedule
    finopsSummarySchedule: finopsSummarySchedule
    sweepSchedule: sweepSchedule
    drillsSchedule: drillsSchedule
    drillDbAuth: drillDbAuth
    drillDbUser: drillDbUser
    drillDbPasswordSecretUri: drillDbPasswordSecretUri
    drillSubnetId: drillSubnetId
    drillClientAddresses: drillClientAddresses
    sweepMode: sweepMode
    sweepMaxDeletionsPerRun: sweepMaxDeletionsPerRun
    sweepMaxDeletionPercent: sweepMaxDeletionPercent
    sweepMaxDisagreementPercent: sweepMaxDisagreementPercent
    acsEndpoint: email.outputs.endpoint
    mailSender: email.outputs.senderAddress
    allowedRecipientDomains: allowedRecipientDomains
    fallbackMailbox: fallbackMailbox
    finopsMailbox: finopsMailbox
    reviewMailbox: reviewMailbox
    mailLimitPerMinute: mailLimitPerMinute
    mailLimitPerHour: mailLimitPerHour
    retailPricesEndpoint: 'https://prices.azure.com'
    portalUrl: environment().portal
    dashboardAllowedGroupId: dashboardAllowedGroupId
    dashboardClientId: dashboardClientId
    activityLogAlertKeyName: activityLogAlertKeyName
    activityLogAlertKey: activityLogAlertKey
  }
  // The host reaches its storage with the identity on first start, so the data roles come first.
  dependsOn: [rbac]
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  scope: appGroup
  params: {
    name: 'ag-${namePrefix}-${resourceToken}'
    tags: tags
    functionAppId: app.outputs.id
    functionAppHostName: app.outputs.defaultHostName
    functionKey: activityLogAlertKey
  }
}

module wardenRole 'app/warden-role.bicep' = {
  name: 'warden-role-${resourceToken}'
  params: {
    roleNameSuffix: resourceToken
    governedSubscriptionIds: governed
  }
}

module governedSubscriptions 'app/governed-subscription.bicep' = [
  for subscriptionId in governed: {
    name: take('warden-${environmentName}-${subscriptionId}', 64)
    scope: subscription(subscriptionId)
    params: {
      location: location
      namePrefix: namePrefix
      environmentName: environmentName
      tags: tags
      wardenRoleDefinitionName: wardenRole.outputs.roleDefinitionName
      appPrincipalId: appIdentity.outputs.principalId
      deliveryIdentityId: deliveryIdentity.outputs.id
      storageAccountId: storage.outputs.id
      eventsQueueName: eventsQueueName
      deadLetterContainerName: storage.outputs.deadLetterContainerName
      actionGroupId: alerts.outputs.id
    }
    // Event Grid's delivery rights on the queue and dead-letter container exist before the first event.
    dependsOn: [rbac]
  }
]

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = appGroup.name
output AZURE_FUNCTION_APP_NAME string = app.outputs.name
output WARDEN_IDENTITY_CLIENT_ID string = appIdentity.outputs.clientId
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output GOVERNED_SUBSCRIPTION_IDS string = join(governed, ',')
output ACS_ENDPOINT string = email.outputs.endpoint
output MAIL_SENDER string = email.outputs.senderAddress
output SWEEP_MODE string = sweepMode
