// App Service authentication (Easy Auth) with Microsoft Entra ID in front of the dashboard. Only people the app
// registration signs in reach /api/dashboard; with a group id, only that group's members (App Service checks the
// groups claim, and the app checks it again from X-MS-CLIENT-PRINCIPAL). Health probes and the action group's webhook
// (which carries a function key) stay reachable without a person.

@description('Name of the function app.')
param siteName string

@description('Client id of the Microsoft Entra app registration that signs people in to the dashboard.')
param clientId string

@description('Object id of the Entra group whose members may open the dashboard; empty: every user the app registration signs in.')
param allowedGroupId string = ''

resource site 'Microsoft.Web/sites@2024-11-01' existing = {
  name: siteName
}

resource auth 'Microsoft.Web/sites/config@2024-11-01' = {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'RedirectToLoginPage'
      redirectToProvider: 'azureactivedirectory'
      excludedPaths: [
        '/api/health'
        '/api/activity-log-alert'
      ]
    }
    httpSettings: {
      requireHttps: true
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: clientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            clientId
            'api://${clientId}'
          ]
          defaultAuthorizationPolicy: {
            allowedPrincipals: empty(allowedGroupId) ? {} : {
              groups: [
                allowedGroupId
              ]
            }
          }
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
}
