using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;

namespace WanFunctions.Storage;

/// <summary>
/// Remembers which provider task a job was submitted as, so a submit activity that runs twice
/// (a worker dies after the provider accepted the task) returns the same task instead of paying for a second one.
/// </summary>
public sealed class SubmissionLedger(BlobServiceClient blobService, IOptions<StorageOptions> options)
{
    public async Task<string?> FindTaskIdAsync(string jobId, CancellationToken cancellationToken)
    {
        try
        {
            BlobDownloadResult record = await RecordFor(jobId).DownloadContentAsync(cancellationToken);
            return record.Content.ToString();
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    public async Task RecordAsync(string jobId, string taskId, CancellationToken cancellationToken)
    {
        BlobContainerClient container = blobService.GetBlobContainerClient(options.Value.StateContainer);
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await RecordFor(jobId).UploadAsync(new BinaryData(Encoding.UTF8.GetBytes(taskId)), overwrite: true, cancellationToken);
    }

    BlobClient RecordFor(string jobId) =>
        blobService.GetBlobContainerClient(options.Value.StateContainer).GetBlobClient($"submissions/{jobId}.txt");
}
