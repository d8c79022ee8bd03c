metadata description = 'Event Grid subscription that delivers BlobCreated events of the references container to the blob trigger (source: EventGrid). Deployed AFTER the code (azd postdeploy hook): the webhook needs the host\'s blobs_extension system key, and Event Grid validates the endpoint when the subscription is created.'

targetScope = 'resourceGroup'

@description('Name of the function app.')
param functionAppName string

@description('Name of the Event Grid system topic of the storage account (output EVENTGRID_SYSTEM_TOPIC_NAME).')
param systemTopicName string

@description('Blob container whose uploads start jobs.')
param containerName string = 'references'

@description('Name of the blob-triggered function.')
param functionName string = 'StartJobFromBlob'

@description('Name of the event subscription.')
param subscriptionName string = 'references-blob-created'

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

// Microsoft.Web/sites/host has no Bicep types, so its keys are listed by resource id.
var blobsExtensionKey = listKeys('${functionApp.id}/host/default', functionApp.apiVersion).systemKeys.blobs_extension

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: systemTopic
  name: subscriptionName
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        // endpointUrl is write-only in Event Grid: the key does not show up in the deployment or the subscription.
        endpointUrl: 'https://${functionApp.properties.defaultHostName}/runtime/webhooks/blobs?functionName=Host.Functions.${functionName}&code=${blobsExtensionKey}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
      ]
      subjectBeginsWith: '/blobServices/default/containers/${containerName}/'
      // Only the calls that finish a write: some writers raise several BlobCreated events per upload (an empty
      // blob first, then the content). The code also ignores an empty blob, since PutBlob can create one.
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.api'
          values: [
            'PutBlob'
            'PutBlockList'
            'CopyBlob'
          ]
        }
      ]
    }
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

output subscriptionName string = subscription.name
