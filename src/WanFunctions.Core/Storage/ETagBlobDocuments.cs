using System.Collections.Concurrent;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace WanFunctions.Storage;

/// <summary>
/// JSON documents of type <typeparamref name="TDoc"/>, one per blob, changed under optimistic concurrency: read with
/// the blob's ETag, change, write back with <c>If-Match</c> (a new one with <c>If-None-Match: *</c>). When another
/// writer came first (409/412) the document is read again and the change applied again, after a short jittered pause,
/// at most <paramref name="maxAttempts"/> times; then the storage error is thrown. Within one process the changes of
/// one blob take turns first, so they do not race each other for the ETag. Several workers share a blob through it.
/// </summary>
public sealed class ETagBlobDocuments<TDoc>(int maxAttempts)
    where TDoc : class
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    /// <summary>
    /// Applies <paramref name="change"/> to the stored document (<paramref name="empty"/> when there is none yet) and
    /// writes it when it says it changed something. <paramref name="change"/> may run several times, so it must only
    /// change the document it is given.
    /// </summary>
    public async Task<TResult> UpdateAsync<TResult>(BlobClient blob, Func<TDoc> empty, Func<TDoc, (TResult Result, bool Changed)> change,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        ArgumentNullException.ThrowIfNull(empty);
        ArgumentNullException.ThrowIfNull(change);
        var local = _locks.GetOrAdd(blob.Uri.AbsoluteUri, _ => new SemaphoreSlim(1, 1));
        await local.WaitAsync(cancellationToken);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                (var document, var etag) = await ReadWithETagAsync(blob, empty, cancellationToken);
                (var result, var changed) = change(document);
                if (!changed)
                {
                    return result;
                }

                try
                {
                    await blob.UploadAsync(new BinaryData(JsonSerializer.SerializeToUtf8Bytes(document)), new BlobUploadOptions
                    {
                        Conditions = etag is { } match ? new BlobRequestConditions { IfMatch = match } : new BlobRequestConditions { IfNoneMatch = ETag.All },
                        HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
                    }, cancellationToken);
                    return result;
                }
                catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < maxAttempts)
                {
                    // Another worker wrote first: read its document and apply the change again, after a short jittered pause.
                    var ceiling = Math.Min(500, 10 << Math.Min(attempt, 6));
                    await Task.Delay(Random.Shared.Next(ceiling / 2, ceiling + 1), cancellationToken);
                }
            }
        }
        finally
        {
            local.Release();
        }
    }

    /// <summary>The stored document, or the empty one (and the container made) when the blob does not exist yet.</summary>
    public async Task<TDoc> ReadAsync(BlobClient blob, Func<TDoc> empty, CancellationToken cancellationToken) =>
        (await ReadWithETagAsync(blob, empty, cancellationToken)).Document;

    private static async Task<(TDoc Document, ETag? ETag)> ReadWithETagAsync(BlobClient blob, Func<TDoc> empty, CancellationToken cancellationToken)
    {
        try
        {
            BlobDownloadResult stored = await blob.DownloadContentAsync(cancellationToken);
            var document = stored.Content.ToObjectFromJson<TDoc>()
                ?? throw new InvalidOperationException($"The document {blob.Name} in container {blob.BlobContainerName} is empty.");
            return (document, stored.Details.ETag);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            await blob.GetParentBlobContainerClient().CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            return (empty(), null);
        }
    }
}
