using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WanFunctions.Jobs;
using WanFunctions.Storage;

namespace WanFunctions.Api;

/// <summary>
/// Starts jobs from uploads, for the blob trigger:
/// <list type="bullet">
/// <item>a manifest named <c>*.job.json</c> holds a whole job, the same JSON as the HTTP API;</item>
/// <item>an image or video with a <c>prompt</c> metadata entry is a one-reference job (character1 is that file);
/// optional metadata <c>model</c>, <c>size</c>, <c>duration</c>, <c>shottype</c>, <c>audio</c>, <c>watermark</c>;</item>
/// <item>anything else (a reference that a manifest points at) starts nothing;</item>
/// <item>so does an empty (0-byte) blob, with no receipt: some writers create the blob empty and raise a second
/// BlobCreated event once the content is written, and that event starts the job.</item>
/// </list>
/// Event Grid delivers at least once, so the job id is derived from the blob's name and ETag: a redelivery finds
/// the job it already started. The outcome (job id, or every validation error) is written to
/// <c>{state container}/uploads/{container}/{name}.json</c>, where the uploader can read it.
/// </summary>
public sealed partial class BlobJobStarter(JobStarter starter, BlobServiceClient blobService, IOptions<StorageOptions> storage, ILogger<BlobJobStarter> log)
{
    public const string ManifestSuffix = ".job.json";
    private const int MaxManifestBytes = 64 * 1024;

    public async Task<StartJobOutcome?> StartAsync(BlobClient blob, DurableTaskClient client, CancellationToken cancellationToken)
    {
        BlobProperties properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken);
        if (properties.ContentLength == 0)
        {
            LogBlobEmpty(log, blob.BlobContainerName, blob.Name);
            return null;
        }

        VideoJobRequest? request;
        IReadOnlyDictionary<string, string[]> parseErrors;
        if (blob.Name.EndsWith(ManifestSuffix, StringComparison.OrdinalIgnoreCase))
        {
            (request, parseErrors) = await ReadManifestAsync(blob, properties, cancellationToken);
        }
        else if (properties.Metadata.TryGetValue("prompt", out var prompt))
        {
            (request, parseErrors) = (FromReferenceMetadata(blob, prompt, properties.Metadata), new Dictionary<string, string[]>());
        }
        else
        {
            LogBlobNotAJob(log, blob.BlobContainerName, blob.Name);
            return null;
        }

        var outcome = parseErrors.Count > 0 || request is null
            ? new StartJobOutcome(null, null, [], parseErrors, false)
            : await starter.StartAsync(request with { IdempotencyKey = request.IdempotencyKey ?? KeyFor(blob, properties.ETag) }, client, cancellationToken);

        await WriteReceiptAsync(blob, outcome, cancellationToken);
        if (outcome.Started)
        {
            LogUploadStarted(log, blob.BlobContainerName, blob.Name, outcome.JobId);
        }
        else
        {
            LogUploadInvalid(log, blob.BlobContainerName, blob.Name, string.Join(", ", outcome.Errors.Keys));
        }

        return outcome;
    }

    /// <summary>Where the outcome of an upload is written.</summary>
    public BlobClient ReceiptFor(string container, string name) =>
        blobService.GetBlobContainerClient(storage.Value.StateContainer).GetBlobClient($"uploads/{container}/{name}.json");

    private static async Task<(VideoJobRequest?, IReadOnlyDictionary<string, string[]>)> ReadManifestAsync(
        BlobClient blob, BlobProperties properties, CancellationToken cancellationToken)
    {
        if (properties.ContentLength > MaxManifestBytes)
        {
            return (null, new Dictionary<string, string[]>
            {
                ["body"] = [$"A job manifest may be at most {MaxManifestBytes / 1024} KiB; this one is {properties.ContentLength} bytes."],
            });
        }

        await using var content = await blob.OpenReadAsync(cancellationToken: cancellationToken);
        var parsed = await JobJson.ParseAsync(content, cancellationToken);
        return (parsed.Request, parsed.Errors);
    }

    private static VideoJobRequest FromReferenceMetadata(BlobClient blob, string prompt, IDictionary<string, string> metadata)
    {
        // Metadata is ASCII only: non-ASCII prompts arrive percent-encoded.
        string? Value(string key) => metadata.TryGetValue(key, out var value) ? Uri.UnescapeDataString(value) : null;
        return new VideoJobRequest
        {
            Prompt = Uri.UnescapeDataString(prompt),
            References = [new JobReference { Blob = $"{blob.BlobContainerName}/{blob.Name}" }],
            Model = Value("model"),
            Size = Value("size"),
            ShotType = Value("shottype"),
            Duration = int.TryParse(Value("duration"), out var duration) ? duration : null,
            Audio = bool.TryParse(Value("audio"), out var audio) ? audio : null,
            Watermark = bool.TryParse(Value("watermark"), out var watermark) ? watermark : null,
        };
    }

    private static string KeyFor(BlobClient blob, ETag etag) =>
        "blob-" + Hashing.Sha256Hex($"{blob.BlobContainerName}/{blob.Name}|{etag}")[..40];

    private async Task WriteReceiptAsync(BlobClient blob, StartJobOutcome outcome, CancellationToken cancellationToken)
    {
        var receipt = ReceiptFor(blob.BlobContainerName, blob.Name);
        await blobService.GetBlobContainerClient(storage.Value.StateContainer).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var json = JsonSerializer.SerializeToUtf8Bytes(new
        {
            source = $"{blob.BlobContainerName}/{blob.Name}",
            jobId = outcome.JobId,
            billedSecondsUpperBound = outcome.BilledSecondsUpperBound,
            warnings = outcome.Warnings,
            errors = outcome.Errors.Count > 0 ? outcome.Errors : null,
        }, ApiJson.Options);
        await receipt.UploadAsync(new BinaryData(json), new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
        }, cancellationToken);
    }
}

// Log lines: ids, states and codes only, never a URL or a key.
public sealed partial class BlobJobStarter
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Blob {Container}/{Blob} is empty (a writer's first event?); no job started, waiting for its content")]
    private static partial void LogBlobEmpty(ILogger logger, string container, string blob);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Blob {Container}/{Blob} is neither a manifest nor a reference with a prompt; no job started")]
    private static partial void LogBlobNotAJob(ILogger logger, string container, string blob);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upload {Container}/{Blob} started job {JobId}")]
    private static partial void LogUploadStarted(ILogger logger, string container, string blob, string? jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upload {Container}/{Blob} is not a valid job: {Fields}")]
    private static partial void LogUploadInvalid(ILogger logger, string container, string blob, string fields);
}
