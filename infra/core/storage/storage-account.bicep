metadata description = 'StorageV2 account with shared-key access disabled, the blob containers the app needs and a lifecycle policy for archived videos.'

@description('Globally unique storage account name (3-24 lower-case letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags for the resource.')
param tags object = {}

@description('Blob containers to create (private).')
param containerNames string[]

@description('Container whose blobs the lifecycle policy manages (the archived videos).')
param videosContainerName string

@description('Days after the last write after which an archived video is deleted.')
@minValue(1)
param videoRetentionDays int

@description('Days after the last write after which an archived video moves to the Cool tier; 0 disables the move. Ignored unless smaller than videoRetentionDays.')
@minValue(0)
param videoCoolAfterDays int

@description('Container of the workflow\'s small idempotency records and upload receipts (Storage:StateContainer).')
param stateContainerName string = 'job-state'

@description('Days after which those records are deleted; match Workflow:HistoryRetention (30 days by default).')
@minValue(1)
param stateRetentionDays int = 30

@description('Storage redundancy.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param skuName string = 'Standard_LRS'

var moveToCool = videoCoolAfterDays > 0 && videoCoolAfterDays < videoRetentionDays
var deleteAction = {
  delete: {
    daysAfterModificationGreaterThan: videoRetentionDays
  }
}
var coolAction = {
  tierToCool: {
    daysAfterModificationGreaterThan: videoCoolAfterDays
  }
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    // Entra ID only: the function host, Durable Functions and the deployment package all use the managed identity.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    dnsEndpointType: 'Standard'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }

  resource blobServices 'blobServices' = {
    name: 'default'
    properties: {
      deleteRetentionPolicy: {
        enabled: true
        days: 7
      }
      containerDeleteRetentionPolicy: {
        enabled: true
        days: 7
      }
    }

    resource containers 'containers' = [
      for containerName in containerNames: {
        name: containerName
        properties: {
          publicAccess: 'None'
        }
      }
    ]
  }

  resource lifecycle 'managementPolicies' = {
    name: 'default'
    properties: {
      policy: {
        rules: [
          {
            name: 'archived-videos'
            enabled: true
            type: 'Lifecycle'
            definition: {
              filters: {
                blobTypes: [
                  'blockBlob'
                ]
                // prefixMatch starts with the container name.
                prefixMatch: [
                  '${videosContainerName}/'
                ]
              }
              actions: {
                baseBlob: moveToCool ? union(coolAction, deleteAction) : deleteAction
                // Soft-deleted/overwritten versions would otherwise linger past the retention.
                snapshot: {
                  delete: {
                    daysAfterCreationGreaterThan: videoRetentionDays
                  }
                }
              }
            }
          }
          {
            name: 'job-state-records'
            enabled: true
            type: 'Lifecycle'
            definition: {
              filters: {
                blobTypes: [
                  'blockBlob'
                ]
                prefixMatch: [
                  '${stateContainerName}/'
                ]
              }
              actions: {
                baseBlob: {
                  delete: {
                    daysAfterModificationGreaterThan: stateRetentionDays
                  }
                }
              }
            }
          }
        ]
      }
    }
    dependsOn: [
      blobServices::containers
    ]
  }
}

output id string = storage.id
output name string = storage.name
output primaryBlobEndpoint string = storage.properties.primaryEndpoints.blob
output primaryQueueEndpoint string = storage.properties.primaryEndpoints.queue
output primaryTableEndpoint string = storage.properties.primaryEndpoints.table
