metadata description = 'Event Grid system topic for a storage account. The subscription that targets the function app is created after the code is deployed (app/eventgrid.bicep).'

@description('Name of the system topic.')
param name string

@description('Azure region; must be the storage account region.')
param location string

@description('Tags for the resource.')
param tags object = {}

@description('Name of the storage account whose events the topic publishes.')
param storageAccountName string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

output id string = systemTopic.id
output name string = systemTopic.name
