metadata description = 'Key Vault in RBAC mode holding the DashScope API key as a secret.'

@description('Globally unique Key Vault name (3-24 characters).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags for the resources.')
param tags object = {}

@description('Name of the secret that holds the DashScope API key.')
param secretName string

@description('The DashScope API key. Each deployment with a new value creates a new secret version.')
@secure()
param secretValue string

@description('Turn on purge protection (recommended for long-lived production vaults; a purge-protected vault cannot be purged by `azd down --purge`).')
param enablePurgeProtection bool = false

@description('Days a deleted vault or secret stays recoverable.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 7

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    // Azure RBAC instead of access policies: the app's identity gets "Key Vault Secrets User" on the one secret.
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    // The property only accepts true or absent.
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }

  resource secret 'secrets' = {
    name: secretName
    properties: {
      value: secretValue
      contentType: 'text/plain'
      attributes: {
        enabled: true
      }
    }
  }
}

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
output apiKeySecretName string = vault::secret.name
// Version-less URI: a Key Vault reference built from it follows the latest secret version (rotation without redeploying).
output apiKeySecretUri string = vault::secret.properties.secretUri
