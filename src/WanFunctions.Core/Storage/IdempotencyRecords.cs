using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;

namespace WanFunctions.Storage;

/// <summary>
/// What an idempotency key was first used for: the job id it names, the SHA-256 fingerprint of the validated job
/// (lowercase hex) and when that job was accepted.
/// </summary>
public sealed record IdempotencyRecord(
    [property: JsonPropertyName("jobId")] string JobId,
    [property: JsonPropertyName("fingerprint")] string Fingerprint,
    [property: JsonPropertyName("acceptedAt")] DateTimeOffset AcceptedAt);

/// <summary>A record as stored: its ETag (to replace it only if unchanged) and when storage last wrote it.</summary>
public sealed record StoredIdempotencyRecord(IdempotencyRecord Record, ETag ETag, DateTimeOffset LastModified);

/// <summary>
/// The claims on idempotency keys. Creating a record is atomic: of many concurrent requests with one key exactly
/// one creates it, and only that one starts the job (the durable backends' own create-if-absent is a read then a
/// write, so two racing starts could both pass it).
/// </summary>
public interface IIdempotencyRecords
{
    /// <summary>Creates the record of <paramref name="key"/>. Null when this call created it; else the record that exists.</summary>
    public Task<StoredIdempotencyRecord?> TryCreateAsync(string key, IdempotencyRecord record, CancellationToken cancellationToken);

    /// <summary>Replaces <paramref name="stale"/> only if nobody changed it since it was read; true when replaced.</summary>
    public Task<bool> TryReplaceAsync(string key, StoredIdempotencyRecord stale, IdempotencyRecord record, CancellationToken cancellationToken);

    /// <summary>Deletes the record this caller created (if unchanged), so the key can be used again.</summary>
    public Task ReleaseAsync(string key, IdempotencyRecord record, CancellationToken cancellationToken);
}

/// <summary>
/// <see cref="IIdempotencyRecords"/> as small JSON blobs, <c>{state container}/idempotency/{key}.json</c>, created
/// with <c>If-None-Match: *</c> and replaced with <c>If-Match</c>. The state container's lifecycle rule deletes them
/// with the other job records.
/// </summary>
public sealed class BlobIdempotencyRecords(BlobServiceClient blobService, IOptions<StorageOptions> options) : IIdempotencyRecords
{
    private const int MaxCreateAttempts = 3;

    public async Task<StoredIdempotencyRecord?> TryCreateAsync(string key, IdempotencyRecord record, CancellationToken cancellationToken)
    {
        var container = blobService.GetBlobContainerClient(options.Value.StateContainer);
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var blob = RecordFor(key);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await blob.UploadAsync(Serialize(record), new BlobUploadOptions
                {
                    Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                }, cancellationToken);
                return null;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412)
            {
                // Someone else holds the key: read what they claimed it for.
            }

            try
            {
                BlobDownloadResult existing = await blob.DownloadContentAsync(cancellationToken);
                var stored = existing.Content.ToObjectFromJson<IdempotencyRecord>()
                    ?? throw new InvalidOperationException($"The idempotency record of key '{key}' is empty.");
                return new StoredIdempotencyRecord(stored, existing.Details.ETag, existing.Details.LastModified);
            }
            catch (RequestFailedException ex) when (ex.Status == 404 && attempt < MaxCreateAttempts)
            {
                // Released between our create and our read (its owner failed to start the job): try again.
            }
        }
    }

    public async Task<bool> TryReplaceAsync(string key, StoredIdempotencyRecord stale, IdempotencyRecord record, CancellationToken cancellationToken)
    {
        try
        {
            await RecordFor(key).UploadAsync(Serialize(record), new BlobUploadOptions
            {
                Conditions = new BlobRequestConditions { IfMatch = stale.ETag },
            }, cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 409 or 412)
        {
            return false;
        }
    }

    public async Task ReleaseAsync(string key, IdempotencyRecord record, CancellationToken cancellationToken)
    {
        var blob = RecordFor(key);
        try
        {
            BlobDownloadResult existing = await blob.DownloadContentAsync(cancellationToken);
            if (existing.Content.ToObjectFromJson<IdempotencyRecord>() == record)
            {
                await blob.DeleteAsync(conditions: new BlobRequestConditions { IfMatch = existing.Details.ETag }, cancellationToken: cancellationToken);
            }
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            // Gone, or taken over by another request: not ours to delete.
        }
    }

    private BlobClient RecordFor(string key) =>
        blobService.GetBlobContainerClient(options.Value.StateContainer).GetBlobClient($"idempotency/{key}.json");

    private static BinaryData Serialize(IdempotencyRecord record) => new(JsonSerializer.SerializeToUtf8Bytes(record));
}
