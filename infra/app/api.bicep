metadata description = 'The WanFunctions function app on Flex Consumption: .NET 10 isolated worker, user-assigned identity for everything, Key Vault reference for the DashScope key.'

@description('Name of the function app (also the default host name prefix).')
param name string

@description('Azure region.')
param location string

@description('Tags for the resource.')
param tags object = {}

@description('azd service name (azure.yaml); azd finds the app by the azd-service-name tag.')
param serviceName string = 'api'

@description('Resource id of the Flex Consumption plan.')
param appServicePlanId string

@description('Resource id of the user-assigned managed identity.')
param identityId string

@description('Client id of the user-assigned managed identity.')
param identityClientId string

@description('Name of the storage account used by the host, Durable Functions, the deployment package and the archive.')
param storageAccountName string

@description('Blob container holding the deployment package.')
param deploymentStorageContainerName string

@description('Blob container whose uploads start jobs (blob trigger StartJobFromBlob).')
param referencesContainerName string

@description('Blob container the finished videos are archived to.')
param archiveContainerName string

@description('Application Insights connection string (not a secret: local auth is disabled on the component).')
param applicationInsightsConnectionString string

@description('Version-less Key Vault secret URI of the DashScope API key.')
param dashScopeApiKeySecretUri string

@description('DashScope (Model Studio) region; the API key must belong to it.')
@allowed([
  'Global'
  'International'
  'ChineseMainland'
])
param dashScopeRegion string

@description('DashScope base URL, e.g. https://dashscope-intl.aliyuncs.com.')
param dashScopeBaseUrl string

@description('Memory per instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Upper bound of instances the app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Always-ready instances for the Durable Functions group (orchestrators, activities, entities). 0 = scale to zero.')
@minValue(0)
param durableAlwaysReadyInstanceCount int = 1

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: appServicePlanId
    httpsOnly: true
    // Key Vault references resolve with the user-assigned identity (the default would be a system-assigned one).
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentStorageContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        alwaysReady: durableAlwaysReadyInstanceCount > 0
          ? [
              {
                name: 'durable'
                instanceCount: durableAlwaysReadyInstanceCount
              }
            ]
          : []
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }

  // Every setting the code reads (src/WanFunctions.Core/AppSettingNames.cs) must be set here;
  // tests/WanFunctions.Infra.Tests checks it. Keep this one literal object (no union) so the test can read it.
  resource appSettings 'config' = {
    name: 'appsettings'
    properties: {
      // Host storage (triggers, Durable Functions task hub, blob trigger receipts) with the managed identity.
      AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
      AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
      AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      // Application Insights with Entra ID auth (DisableLocalAuth on the component).
      APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
      // DefaultAzureCredential in the worker picks the user-assigned identity.
      AZURE_CLIENT_ID: identityClientId
      // DashScope.
      DashScope__Region: dashScopeRegion
      DashScope__BaseUrl: dashScopeBaseUrl
      DashScope__ApiKey: '@Microsoft.KeyVault(SecretUri=${dashScopeApiKeySecretUri})'
      // Blob Storage for references, job state and the archive (managed identity, no connection string).
      Storage__BlobServiceUri: storage.properties.primaryEndpoints.blob
      Storage__ReferencesContainer: referencesContainerName
      Archive__Container: archiveContainerName
    }
  }

  // No publishing with user/site credentials: azd deploys with an Entra ID token.
  resource ftpPolicy 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: {
      allow: false
    }
  }

  resource scmPolicy 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: {
      allow: false
    }
  }
}

output id string = functionApp.id
output name string = functionApp.name
output defaultHostName string = functionApp.properties.defaultHostName
output uri string = 'https://${functionApp.properties.defaultHostName}'
