using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WanFunctions.DashScope;
using WanFunctions.Workflow;

namespace WanFunctions.Storage;

/// <summary>
/// Streams a finished video from the provider into a block blob. The upload is staged in blocks and committed
/// only at the end, so a broken download leaves no half-written blob; memory stays at a few blocks whatever the size.
/// Safe to run twice: a blob already holding this task's video is kept as it is.
/// </summary>
public sealed partial class VideoArchiver(
    BlobServiceClient blobService,
    IDashScopeClientFactory clients,
    VideoSourcePolicy sourcePolicy,
    IHttpClientFactory httpClientFactory,
    IOptions<ArchiveOptions> options,
    ILogger<VideoArchiver> log)
{
    public const string HttpClientName = "video-download";
    private const int BlockSize = 4 * 1024 * 1024;

    public async Task<ArchivedVideo> ArchiveAsync(ArchiveVideoInput input, CancellationToken cancellationToken)
    {
        var container = blobService.GetBlobContainerClient(options.Value.Container);
        var blob = container.GetBlockBlobClient(input.BlobName);

        if (await FindExistingAsync(blob, input.TaskId, cancellationToken) is { } existing)
        {
            LogAlreadyArchived(log, input.JobId, input.TaskId, existing);
            return new ArchivedVideo(blob.Uri.ToString(), container.Name, blob.Name, existing, AlreadyArchived: true);
        }

        // The signed URL is fetched here, not carried in durable history, and is never logged.
        // With the key of the account that accepted the task: to any other key the task does not exist.
        var status = await clients.ClientOf(input.Account).GetTaskAsync(input.TaskId, cancellationToken);
        if (status.State != DashScopeTaskState.Succeeded || string.IsNullOrEmpty(status.VideoUrl))
        {
            throw new ArchiveRejectedException($"Task {input.TaskId} is {status.State.ToString().ToUpperInvariant()} and has no video to archive.");
        }

        var source = new Uri(status.VideoUrl);
        sourcePolicy.EnsureAllowed(source);

        return await DownloadWithinLimitsAsync(input, container, blob, source, cancellationToken);
    }

    /// <summary>
    /// The download and upload, bounded in time: HttpClient.Timeout stops at the response headers, so the body is
    /// bounded by <see cref="ArchiveOptions.DownloadIdleTimeout"/> per read and the whole attempt by
    /// <see cref="ArchiveOptions.AttemptTimeout"/>. Either fails the attempt with a <see cref="TimeoutException"/>
    /// (retried by the orchestration's archive policy) and commits nothing.
    /// </summary>
    private async Task<ArchivedVideo> DownloadWithinLimitsAsync(ArchiveVideoInput input, BlobContainerClient container, BlockBlobClient blob,
        Uri source, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(limits.AttemptTimeout);
        CountingStream? download = null;
        try
        {
            var http = httpClientFactory.CreateClient(HttpClientName);
            using var response = await http.GetAsync(source, HttpCompletionOption.ResponseHeadersRead, attempt.Token);
            if (response.StatusCode is System.Net.HttpStatusCode.Forbidden or System.Net.HttpStatusCode.NotFound)
            {
                throw new ArchiveRejectedException(
                    $"The provider refused the video download of task {input.TaskId} ({(int)response.StatusCode}); the URL may have expired.");
            }

            response.EnsureSuccessStatusCode();
            var expectedBytes = response.Content.Headers.ContentLength;

            await container.CreateIfNotExistsAsync(cancellationToken: attempt.Token);
            await using var body = new CountingStream(await response.Content.ReadAsStreamAsync(attempt.Token), limits.DownloadIdleTimeout);
            download = body;
            await blob.UploadAsync(body, new BlobUploadOptions
            {
                HttpHeaders = new BlobHttpHeaders { ContentType = "video/mp4" },
                Metadata = new Dictionary<string, string>
                {
                    ["jobid"] = input.JobId,
                    ["taskid"] = input.TaskId,
                    ["model"] = input.Model,
                    ["size"] = input.Size,
                    ["duration"] = input.Duration.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["promptsha256"] = input.PromptSha256,
                },
                TransferOptions = new Azure.Storage.StorageTransferOptions
                {
                    InitialTransferSize = BlockSize,
                    MaximumTransferSize = BlockSize,
                    MaximumConcurrency = 2,
                },
            }, attempt.Token);

            if (expectedBytes is { } expected && expected != body.BytesRead)
            {
                // Should not happen (HttpClient throws on a short body), but never keep a video of the wrong length.
                await blob.DeleteIfExistsAsync(cancellationToken: attempt.Token);
                throw new IOException($"Task {input.TaskId}: downloaded {body.BytesRead} of {expected} bytes.");
            }

            LogArchived(log, input.JobId, input.TaskId, container.Name, blob.Name, body.BytesRead);
            return new ArchivedVideo(blob.Uri.ToString(), container.Name, blob.Name, body.BytesRead, AlreadyArchived: false);
        }
        catch (TimeoutException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The idle timeout, from a read of the body: nothing was committed.
            throw new TimeoutException(
                $"Task {input.TaskId}: the video download stalled. {ex.Message} (Archive:DownloadIdleTimeout) Nothing was archived.", ex);
        }
        catch (OperationCanceledException ex) when (attempt.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"Task {input.TaskId}: the archive attempt took longer than {limits.AttemptTimeout:c} (Archive:AttemptTimeout) " +
                $"after {download?.BytesRead ?? 0} bytes of the video; nothing was archived.", ex);
        }
    }

    private static async Task<long?> FindExistingAsync(BlockBlobClient blob, string taskId, CancellationToken cancellationToken)
    {
        try
        {
            BlobProperties properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken);
            return properties.Metadata.TryGetValue("taskid", out var archivedTask) && archivedTask == taskId
                ? properties.ContentLength
                : null;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }
}

// Log lines: ids, states and codes only, never a URL or a key.
public sealed partial class VideoArchiver
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: video of task {TaskId} already archived ({Bytes} bytes)")]
    private static partial void LogAlreadyArchived(ILogger logger, string jobId, string taskId, long bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: archived task {TaskId} to {Container}/{Blob} ({Bytes} bytes)")]
    private static partial void LogArchived(ILogger logger, string jobId, string taskId, string container, string blob, long bytes);
}
