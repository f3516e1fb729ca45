// Key Vault Secrets User (read secret values) for the app's identity on the one vault that holds the drill login's
// password (DRILL_DB_AUTH=key-vault). The vault uses Azure RBAC authorization; no access policy is written.
param keyVaultName string
@description('Principal id of the Function App identity (user-assigned).')
param principalId string
@description('Role definition id (GUID) of Key Vault Secrets User, from the roles table of infra/rbac.bicep.')
param roleDefinitionGuid string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource appSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, roleDefinitionGuid)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionGuid)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
