targetScope = 'subscription'

metadata description = 'WanFunctions: Durable Functions on Flex Consumption that render Wan reference-to-video jobs with Alibaba DashScope and archive the MP4 to Blob Storage. Deployed with `azd up`.'

// ---------------------------------------------------------------------------------------------------------------
// Parameters (infra/main.parameters.json maps them to azd environment values)
// ---------------------------------------------------------------------------------------------------------------

@minLength(1)
@maxLength(64)
@description('azd environment name; seeds the resource names and the azd-env-name tag.')
param environmentName string

@minLength(1)
@description('Region for all resources (must offer Flex Consumption).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Resource group name; empty = rg-<environmentName>.')
param resourceGroupName string = ''

@secure()
@description('DashScope (Alibaba Model Studio) API key. Stored only in Key Vault; the app reads it through a Key Vault reference.')
param dashScopeApiKey string

@description('DashScope region the API key belongs to: Global (US, Virginia), International (Singapore) or ChineseMainland (Beijing).')
@allowed([
  'Global'
  'International'
  'ChineseMainland'
])
param dashScopeRegion string = 'International'

@description('DashScope base URL; empty = the endpoint of dashScopeRegion.')
param dashScopeBaseUrl string = ''

@description('Memory per Flex Consumption instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Maximum number of instances the app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Always-ready instances for the Durable Functions group; 1 keeps orchestrations and polling timers responsive, 0 scales to zero (no baseline cost).')
@minValue(0)
@maxValue(10)
param durableAlwaysReadyInstanceCount int = 1

@description('Days after which an archived video is deleted by the lifecycle policy.')
@minValue(1)
param videoRetentionDays int = 30

@description('Days after which an archived video moves to the Cool tier (0 = never; ignored unless smaller than videoRetentionDays).')
@minValue(0)
param videoCoolAfterDays int = 7

@description('Optional Entra ID object id of an operator (user or group) who may upload references, read videos and rotate the DashScope key. Empty = none.')
param operatorPrincipalId string = ''

@description('Principal type of operatorPrincipalId.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param operatorPrincipalType string = 'User'

@description('Daily ingestion cap of the Log Analytics workspace in GB (-1 = no cap); a cap bounds the telemetry bill.')
param logAnalyticsDailyQuotaGb int = -1

@description('Turn on Key Vault purge protection (it then cannot be purged by `azd down --purge`).')
param keyVaultPurgeProtection bool = false

// ---------------------------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------------------------

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
  application: 'wan-functions'
}
var functionAppName = '${abbrs.webSitesFunctions}${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
var referencesContainerName = 'references'
var videosContainerName = 'videos'
var apiKeySecretName = 'DashScope-ApiKey'
var identityName = '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}'
var storageAccountName = '${abbrs.storageStorageAccounts}${resourceToken}'
var logAnalyticsName = '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
var applicationInsightsName = '${abbrs.insightsComponents}${resourceToken}'
var keyVaultName = '${abbrs.keyVaultVaults}${resourceToken}'
var planName = '${abbrs.webServerFarms}${resourceToken}'
var systemTopicName = '${abbrs.eventGridSystemTopics}${resourceToken}'

var dashScopeEndpoints = {
  Global: 'https://dashscope-us.aliyuncs.com'
  International: 'https://dashscope-intl.aliyuncs.com'
  ChineseMainland: 'https://dashscope.aliyuncs.com'
}
var effectiveDashScopeBaseUrl = empty(dashScopeBaseUrl) ? dashScopeEndpoints[dashScopeRegion] : dashScopeBaseUrl

// ---------------------------------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------------------------------

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'core/identity/user-assigned-identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: identityName
    location: location
    tags: tags
  }
}

module storage 'core/storage/storage-account.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: storageAccountName
    location: location
    tags: tags
    containerNames: [
      deploymentContainerName
      referencesContainerName
      videosContainerName
    ]
    videosContainerName: videosContainerName
    videoRetentionDays: videoRetentionDays
    videoCoolAfterDays: videoCoolAfterDays
  }
}

module monitoring 'core/monitor/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: logAnalyticsName
    applicationInsightsName: applicationInsightsName
    location: location
    tags: tags
    dailyQuotaGb: logAnalyticsDailyQuotaGb
  }
}

module keyVault 'core/security/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: keyVaultName
    location: location
    tags: tags
    secretName: apiKeySecretName
    secretValue: dashScopeApiKey
    enablePurgeProtection: keyVaultPurgeProtection
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    // Names known at compile time (not module outputs) keep What-If precise; hence the explicit dependsOn.
    identityName: identityName
    storageAccountName: storageAccountName
    applicationInsightsName: applicationInsightsName
    keyVaultName: keyVaultName
    apiKeySecretName: apiKeySecretName
    operatorPrincipalId: operatorPrincipalId
    operatorPrincipalType: operatorPrincipalType
  }
  dependsOn: [
    identity
    storage
    monitoring
    keyVault
  ]
}

module plan 'core/host/flex-consumption-plan.bicep' = {
  name: 'plan'
  scope: rg
  params: {
    name: planName
    location: location
    tags: tags
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    location: location
    tags: tags
    serviceName: 'api'
    appServicePlanId: plan.outputs.id
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storageAccountName
    deploymentStorageContainerName: deploymentContainerName
    referencesContainerName: referencesContainerName
    archiveContainerName: videosContainerName
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    dashScopeApiKeySecretUri: keyVault.outputs.apiKeySecretUri
    dashScopeRegion: dashScopeRegion
    dashScopeBaseUrl: effectiveDashScopeBaseUrl
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    durableAlwaysReadyInstanceCount: durableAlwaysReadyInstanceCount
  }
  // The host should find its storage, Key Vault and telemetry roles in place when it first starts.
  dependsOn: [
    storage
    rbac
  ]
}

// Event Grid system topic for the blob trigger (source: EventGrid). Its webhook subscription needs the host's
// blobs_extension system key, which exists only once the code runs: infra/app/eventgrid.bicep, deployed by the
// azd postdeploy hook (infra/scripts/postdeploy.sh), creates it.
module systemTopic 'core/events/storage-system-topic.bicep' = {
  name: 'eventgrid-system-topic'
  scope: rg
  params: {
    name: systemTopicName
    location: location
    tags: tags
    storageAccountName: storageAccountName
  }
  dependsOn: [
    storage
  ]
}

// ---------------------------------------------------------------------------------------------------------------
// Outputs (azd stores them in the environment; the postdeploy hook and callers use them). No secrets here.
// ---------------------------------------------------------------------------------------------------------------

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name

output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.uri
@description('Base URL of the HTTP-triggered functions (Functions default route prefix /api).')
output API_BASE_URL string = '${api.outputs.uri}/api'
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId

output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.primaryBlobEndpoint
output REFERENCES_CONTAINER_NAME string = referencesContainerName
@description('Upload a reference image here (Entra ID auth) to start a job through the blob trigger.')
output REFERENCES_CONTAINER_URL string = '${storage.outputs.primaryBlobEndpoint}${referencesContainerName}'
output VIDEOS_CONTAINER_NAME string = videosContainerName
output VIDEOS_CONTAINER_URL string = '${storage.outputs.primaryBlobEndpoint}${videosContainerName}'

output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.uri
output DASHSCOPE_API_KEY_NAME_IN_KEY_VAULT string = keyVault.outputs.apiKeySecretName
output DASHSCOPE_REGION string = dashScopeRegion
output DASHSCOPE_BASE_URL string = effectiveDashScopeBaseUrl

output EVENTGRID_SYSTEM_TOPIC_NAME string = systemTopic.outputs.name
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
