using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using WanFunctions.Api;
using WanFunctions.Storage;

namespace WanFunctions.LocalHost;

/// <summary>
/// Starts jobs from uploads to <c>Storage:ReferencesContainer</c> on the local host, where no Event Grid exists:
/// every <see cref="UploadScanOptions.Interval"/> it lists the container page by page and hands each blob written
/// since the cursor to <see cref="BlobJobStarter"/>, the code behind the Functions blob trigger (same manifests,
/// same receipts). Each upload (name + ETag) starts one job: the starter derives the job id from them, so a blob
/// handed over again (a re-scan, a restart, a second host scanning) finds its job. A new ETag (the blob written
/// again) is a new upload and starts a new job, as an Event Grid BlobCreated would.
/// <para>
/// The cursor, the newest Last-Modified handled, is kept in <c>{Storage:StateContainer}/scanner/{container}.json</c>:
/// after a restart only blobs newer than it minus <see cref="UploadScanOptions.Overlap"/> are handed over again.
/// Memory holds only the blobs within that overlap. A blob whose start failed holds the cursor back and is tried
/// again next scan.
/// </para>
/// </summary>
public sealed partial class UploadScanner(
    BlobJobStarter starter,
    BlobServiceClient blobService,
    DurableTaskClient client,
    IOptions<StorageOptions> storage,
    IOptions<UploadScanOptions> options,
    ILogger<UploadScanner> log) : BackgroundService
{
    // Blobs handed over within the overlap: name → ETag, with their Last-Modified for pruning.
    private readonly Dictionary<string, (ETag ETag, DateTimeOffset LastModified)> recent = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim oneScanAtATime = new(1, 1);
    private DateTimeOffset? cursor;

    /// <summary>Where the cursor of a container is kept.</summary>
    public BlobClient CursorBlob(string container) =>
        blobService.GetBlobContainerClient(storage.Value.StateContainer).GetBlobClient($"scanner/{container}.json");

    /// <summary>One pass over the container; returns how many blobs were handed to the starter.</summary>
    public async Task<int> ScanAsync(CancellationToken cancellationToken)
    {
        await oneScanAtATime.WaitAsync(cancellationToken);
        try
        {
            return await ScanOnceAsync(cancellationToken);
        }
        finally
        {
            oneScanAtATime.Release();
        }
    }

    public override void Dispose()
    {
        oneScanAtATime.Dispose();
        base.Dispose();
    }

    private async Task<int> ScanOnceAsync(CancellationToken cancellationToken)
    {
        var containerName = storage.Value.ReferencesContainer;
        var container = blobService.GetBlobContainerClient(containerName);
        if (!await container.ExistsAsync(cancellationToken))
        {
            return 0;
        }

        cursor ??= await ReadCursorAsync(containerName, cancellationToken);
        var since = cursor - options.Value.Overlap;
        var newest = cursor;
        DateTimeOffset? oldestFailed = null;
        var handed = 0;
        await foreach (var page in container.GetBlobsAsync(cancellationToken: cancellationToken).AsPages(pageSizeHint: options.Value.PageSize))
        {
            foreach (var item in page.Values)
            {
                var modified = item.Properties.LastModified!.Value;
                var etag = item.Properties.ETag!.Value;
                // An empty blob starts nothing and leaves no receipt (a writer's first step); its content brings a new ETag.
                if (modified < since || item.Properties.ContentLength == 0
                    || (recent.TryGetValue(item.Name, out var seen) && seen.ETag == etag))
                {
                    continue;
                }

                try
                {
                    await starter.StartAsync(container.GetBlobClient(item.Name), client, cancellationToken);
                    recent[item.Name] = (etag, modified);
                    handed++;
                    newest = newest is null || modified > newest ? modified : newest;
                }
                catch (Exception ex) when (ex is RequestFailedException or JsonException or IOException)
                {
                    LogStartFailed(log, containerName, item.Name, ex);
                    oldestFailed = oldestFailed is null || modified < oldestFailed ? modified : oldestFailed;
                }
            }
        }

        // A failed blob holds the cursor back so the next scan (or the next host) tries it again.
        if (oldestFailed is not null && (newest is null || oldestFailed < newest))
        {
            newest = oldestFailed;
        }

        if (newest is not null && newest != cursor)
        {
            cursor = newest;
            await WriteCursorAsync(containerName, newest.Value, cancellationToken);
        }

        foreach (var name in recent.Where(r => r.Value.LastModified < cursor - options.Value.Overlap).Select(r => r.Key).ToList())
        {
            recent.Remove(name);
        }

        return handed;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        LogScanning(log, storage.Value.ReferencesContainer, options.Value.Interval);
        using var timer = new PeriodicTimer(options.Value.Interval);
        do
        {
            try
            {
                await ScanAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogScanFailed(log, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task<DateTimeOffset?> ReadCursorAsync(string container, CancellationToken cancellationToken)
    {
        try
        {
            var content = await CursorBlob(container).DownloadContentAsync(cancellationToken);
            return content.Value.Content.ToObjectFromJson<ScanCursor>(ApiJson.Options)?.LastModified;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
        catch (JsonException)
        {
            // An unreadable cursor costs one full pass, which the starter's per-ETag job ids make harmless.
            return null;
        }
    }

    private async Task WriteCursorAsync(string container, DateTimeOffset lastModified, CancellationToken cancellationToken)
    {
        await blobService.GetBlobContainerClient(storage.Value.StateContainer).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await CursorBlob(container).UploadAsync(BinaryData.FromObjectAsJson(new ScanCursor(lastModified), ApiJson.Options), new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
        }, cancellationToken);
    }

    private sealed record ScanCursor(DateTimeOffset LastModified);
}

// Log lines: names, states and codes only, never a URL or a key.
public sealed partial class UploadScanner
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Scanning container {Container} for uploads every {Interval}")]
    private static partial void LogScanning(ILogger logger, string container, TimeSpan interval);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Starting a job from upload {Container}/{Blob} failed; trying again next scan")]
    private static partial void LogStartFailed(ILogger logger, string container, string blob, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scanning the references container failed; trying again next period")]
    private static partial void LogScanFailed(ILogger logger, Exception exception);
}
