// Azure Communication Services with an Email service: the Azure-managed domain always (usable at once),
// plus a customer-managed domain when senderDomain is given. A custom domain can be linked only after
// its DNS records are verified, so it is linked on a later deployment with senderDomainVerified=true.
param communicationServiceName string
param emailServiceName string
param tags object = {}
@description('Where ACS keeps data at rest, e.g. "United States", "Europe", "UK".')
param dataLocation string
@description('Custom sender domain, e.g. "warden.contoso.com"; empty for the Azure-managed domain.')
param senderDomain string = ''
@description('Set true once the custom domain shows Verified in the portal; then it is linked and used.')
param senderDomainVerified bool = false
@description('Local part of the sender address; DoNotReply exists on every domain.')
param senderUsername string = 'DoNotReply'

var useCustomDomain = !empty(senderDomain) && senderDomainVerified

resource emailService 'Microsoft.Communication/emailServices@2023-04-01' = {
  name: emailServiceName
  location: 'global'
  tags: tags
  properties: { dataLocation: dataLocation }
}

resource azureManagedDomain 'Microsoft.Communication/emailServices/domains@2023-04-01' = {
  parent: emailService
  name: 'AzureManagedDomain'
  location: 'global'
  tags: tags
  properties: {
    domainManagement: 'AzureManaged'
    userEngagementTracking: 'Disabled'
  }
}

resource customDomain 'Microsoft.Communication/emailServices/domains@2023-04-01' = if (!empty(senderDomain)) {
  parent: emailService
  name: empty(senderDomain) ? 'unused' : senderDomain
  location: 'global'
  tags: tags
  properties: {
    domainManagement: 'CustomerManaged'
    userEngagementTracking: 'Disabled'
  }
}

resource communication 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: communicationServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
    linkedDomains: useCustomDomain ? [customDomain.id, azureManagedDomain.id] : [azureManagedDomain.id]
  }
}

output name string = communication.name
output endpoint string = 'https://${communication.properties.hostName}'
output senderAddress string = (useCustomDomain
  ? '${senderUsername}@${senderDomain}'
  : '${senderUsername}@${azureManagedDomain.properties.mailFromSenderDomain}')
