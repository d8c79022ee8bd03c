using Azure.Storage.Blobs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using WanFunctions.Api;

namespace WanFunctions.App.Functions;

/// <summary>
/// Starts a job when a manifest or a reference with a prompt lands in the references container.
/// Flex Consumption supports only the Event Grid source for blob triggers (infra/app/eventgrid.bicep subscribes it).
/// </summary>
public sealed class StartJobFromBlobFunction(BlobJobStarter starter)
{
    [Function("StartJobFromBlob")]
    public Task Run(
        [BlobTrigger("references/{name}", Source = BlobTriggerSource.EventGrid, Connection = "AzureWebJobsStorage")] BlobClient blob,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        starter.StartAsync(blob, client, cancellationToken);
}
