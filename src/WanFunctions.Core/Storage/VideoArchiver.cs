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
/// Copies a finished video from the provider into a block blob, server-side when the storage service can
/// (<see cref="ArchiveMethods.ServerCopy"/>: Put Blob From URL, Put Block From URL beyond its size limit), otherwise
/// streamed through the worker (<see cref="ArchiveMethods.Streamed"/>: staged in blocks and committed only at the end, so
/// a broken download leaves no half-written blob; memory stays at a few blocks whatever the size).
/// Safe to run twice: a blob already holding this task's video is kept as it is.
/// </summary>
public sealed partial class VideoArchiver(
    BlobServiceClient blobService,
    IDashScopeClientFactory clients,
    VideoSourcePolicy sourcePolicy,
    IHttpClientFactory httpClientFactory,
    IOptions<ArchiveOptions> options,
    TimeProvider time,
    ILogger<VideoArchiver> log)
{
    public const string HttpClientName = "video-download";
    private const int BlockSize = 4 * 1024 * 1024;

    /// <summary>Blocks staged at once on the streamed path: the SDK's own default (5 with the one being filled), so the copy
    /// keeps up with a raw <c>UploadAsync</c> while memory stays at a few blocks (about 20 MiB).</summary>
    private const int StreamConcurrency = 4;

    /// <summary>
    /// Block size of Put Block From URL: under the block limit of every service version (100 MiB before 2019-12-12,
    /// 4000 MiB since), so a video of up to 50,000 blocks (about 4.8 TiB) fits.
    /// </summary>
    private const long CopyBlockSize = 100L * 1024 * 1024;

    private const int CopyBlockConcurrency = 4;

    /// <summary>How long a storage service that does not implement the server-side copy is not asked again (per process).</summary>
    private static readonly TimeSpan _notSupportedMemory = TimeSpan.FromMinutes(10);

    private long _serverCopyRefusedUntilTicks;

    public async Task<ArchivedVideo> ArchiveAsync(ArchiveVideoInput input, CancellationToken cancellationToken)
    {
        var container = blobService.GetBlobContainerClient(options.Value.Container);
        var blob = container.GetBlockBlobClient(input.BlobName);

        if (await FindExistingAsync(blob, input.TaskId, cancellationToken) is { } existing)
        {
            LogAlreadyArchived(log, input.JobId, input.TaskId, existing.Bytes);
            return new ArchivedVideo(blob.Uri.ToString(), container.Name, blob.Name, existing.Bytes, AlreadyArchived: true, existing.Method);
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

        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        return await CopyServerSideAsync(input, container, blob, source, cancellationToken)
            ?? await DownloadWithinLimitsAsync(input, container, blob, source, cancellationToken);
    }

    /// <summary>
    /// The storage service reads the provider's URL itself. The video's size is not known beforehand (the provider
    /// reports seconds and resolution, not bytes, and a URL signed for GET refuses HEAD), so Put Blob From URL goes first
    /// (up to 5000 MiB, learn.microsoft.com/rest/api/storageservices/put-blob-from-url); only when the service refuses
    /// the size is the video measured and copied with Put Block From URL. Null when the service refuses the copy in a
    /// way streaming can get round (<see cref="ServerCopyRefusals"/>); a real failure is thrown, its message cut to the
    /// first line with URLs redacted (the SDK's message may quote the signed source URL).
    /// </summary>
    private async Task<ArchivedVideo?> CopyServerSideAsync(ArchiveVideoInput input, BlobContainerClient container, BlockBlobClient blob,
        Uri source, CancellationToken cancellationToken)
    {
        if (time.GetUtcNow().UtcTicks < Interlocked.Read(ref _serverCopyRefusedUntilTicks))
        {
            return null;
        }

        var limits = options.Value;
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(limits.AttemptTimeout);
        var call = "Put Blob From URL";
        try
        {
            try
            {
                await blob.SyncUploadFromUriAsync(source, new BlobSyncUploadFromUriOptions
                {
                    CopySourceBlobProperties = false,
                    HttpHeaders = VideoHeaders,
                    Metadata = MetadataFor(input, ArchiveMethods.ServerCopy),
                }, attempt.Token);
            }
            catch (RequestFailedException ex) when (ServerCopyRefusals.Classify(ex) == ServerCopyRefusal.TooLarge)
            {
                call = "Put Block From URL";
                if (!await CopyInBlocksAsync(input, blob, source, attempt.Token))
                {
                    return null;
                }
            }

            BlobProperties copied = await blob.GetPropertiesAsync(cancellationToken: attempt.Token);
            LogArchived(log, input.JobId, input.TaskId, container.Name, blob.Name, copied.ContentLength, ArchiveMethods.ServerCopy);
            return new ArchivedVideo(blob.Uri.ToString(), container.Name, blob.Name, copied.ContentLength, AlreadyArchived: false,
                ArchiveMethods.ServerCopy);
        }
        catch (RequestFailedException ex)
        {
            var refusal = ServerCopyRefusals.Classify(ex);
            if (refusal == ServerCopyRefusal.NotSupported)
            {
                Interlocked.Exchange(ref _serverCopyRefusedUntilTicks, (time.GetUtcNow() + _notSupportedMemory).UtcTicks);
            }

            if (refusal is ServerCopyRefusal.NotSupported or ServerCopyRefusal.SourceUnreachable)
            {
                LogServerCopyRefused(log, input.JobId, input.TaskId, call, ex.Status, ex.ErrorCode ?? string.Empty, refusal);
                return null;
            }

            // Not chained: the SDK's exception carries the request, whose copy source is the signed URL.
            throw new IOException($"Task {input.TaskId}: the storage service failed the server-side copy ({call}: {ex.Status} " +
                $"{ex.ErrorCode}). {UrlRedactor.RedactUrlsIn(FirstLine(ex.Message))}");
        }
        catch (OperationCanceledException ex) when (attempt.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"Task {input.TaskId}: the server-side copy ({call}) took longer than {limits.AttemptTimeout:c} (Archive:AttemptTimeout).", ex);
        }
    }

    /// <summary>
    /// Put Block From URL in <see cref="CopyBlockSize"/> ranges, then Put Block List with the headers and metadata.
    /// False when the video's size cannot be learnt (then it is streamed).
    /// </summary>
    private async Task<bool> CopyInBlocksAsync(ArchiveVideoInput input, BlockBlobClient blob, Uri source, CancellationToken cancellationToken)
    {
        if (await MeasureAsync(source, cancellationToken) is not { } size)
        {
            return false;
        }

        var count = (int)((size + CopyBlockSize - 1) / CopyBlockSize);
        // Fixed-width ids (the service wants one length per blob), the same on a re-run.
        var ids = Enumerable.Range(0, count)
            .Select(i => Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture))))
            .ToArray();
        await Parallel.ForEachAsync(Enumerable.Range(0, count),
            new ParallelOptions { MaxDegreeOfParallelism = CopyBlockConcurrency, CancellationToken = cancellationToken },
            async (i, token) =>
            {
                var offset = i * CopyBlockSize;
                await blob.StageBlockFromUriAsync(source, ids[i],
                    new StageBlockFromUriOptions { SourceRange = new HttpRange(offset, Math.Min(CopyBlockSize, size - offset)) }, token);
            });
        await blob.CommitBlockListAsync(ids, new CommitBlockListOptions
        {
            HttpHeaders = VideoHeaders,
            Metadata = MetadataFor(input, ArchiveMethods.ServerCopy),
        }, cancellationToken);
        return true;
    }

    /// <summary>The video's length in bytes from a one-byte ranged GET (<c>Content-Range: bytes 0-0/N</c>, or the length of a whole 200); null if unknown.</summary>
    private async Task<long?> MeasureAsync(Uri source, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, source);
        request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 0);
        using var response = await httpClientFactory.CreateClient(HttpClientName)
            .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return response.StatusCode switch
        {
            System.Net.HttpStatusCode.PartialContent => response.Content.Headers.ContentRange?.Length,
            System.Net.HttpStatusCode.OK => response.Content.Headers.ContentLength,
            _ => null,
        };
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

            await using var body = new CountingStream(await response.Content.ReadAsStreamAsync(attempt.Token), limits.DownloadIdleTimeout);
            download = body;
            await blob.UploadAsync(body, new BlobUploadOptions
            {
                HttpHeaders = VideoHeaders,
                Metadata = MetadataFor(input, ArchiveMethods.Streamed),
                TransferOptions = new Azure.Storage.StorageTransferOptions
                {
                    InitialTransferSize = BlockSize,
                    MaximumTransferSize = BlockSize,
                    MaximumConcurrency = StreamConcurrency,
                },
            }, attempt.Token);

            if (expectedBytes is { } expected && expected != body.BytesRead)
            {
                // Should not happen (HttpClient throws on a short body), but never keep a video of the wrong length.
                await blob.DeleteIfExistsAsync(cancellationToken: attempt.Token);
                throw new IOException($"Task {input.TaskId}: downloaded {body.BytesRead} of {expected} bytes.");
            }

            LogArchived(log, input.JobId, input.TaskId, container.Name, blob.Name, body.BytesRead, ArchiveMethods.Streamed);
            return new ArchivedVideo(blob.Uri.ToString(), container.Name, blob.Name, body.BytesRead, AlreadyArchived: false,
                ArchiveMethods.Streamed);
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

    private static BlobHttpHeaders VideoHeaders => new() { ContentType = "video/mp4" };

    /// <summary>The blob's metadata: what the job asked for, and <c>archivemethod</c> so a re-run reports the path that ran.</summary>
    private static Dictionary<string, string> MetadataFor(ArchiveVideoInput input, string method) => new()
    {
        ["jobid"] = input.JobId,
        ["taskid"] = input.TaskId,
        ["model"] = input.Model,
        ["size"] = input.Size,
        ["duration"] = input.Duration.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["promptsha256"] = input.PromptSha256,
        ["archivemethod"] = method,
    };

    private static string FirstLine(string text) => text.Split('\n', 2)[0].TrimEnd('\r');

    private static async Task<(long Bytes, string? Method)?> FindExistingAsync(BlockBlobClient blob, string taskId, CancellationToken cancellationToken)
    {
        try
        {
            BlobProperties properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken);
            return properties.Metadata.TryGetValue("taskid", out var archivedTask) && archivedTask == taskId
                ? (properties.ContentLength, properties.Metadata.TryGetValue("archivemethod", out var method) ? method : null)
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: archived task {TaskId} to {Container}/{Blob} ({Bytes} bytes, {Method})")]
    private static partial void LogArchived(ILogger logger, string jobId, string taskId, string container, string blob, long bytes, string method);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Job {JobId}: the storage service refused the server-side copy of task {TaskId} ({Call}: {Status} {ErrorCode}, {Refusal}); streaming it")]
    private static partial void LogServerCopyRefused(ILogger logger, string jobId, string taskId, string call, int status, string errorCode,
        ServerCopyRefusal refusal);
}
