using System.Collections.Concurrent;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using WanFunctions.Storage;

namespace WanFunctions.Capacity;

/// <summary>The gate's state per account, changed by optimistic concurrency.</summary>
public interface IGateStore
{
    /// <summary>
    /// Reads the account's state, applies <paramref name="change"/> and writes it back only if nobody wrote in between
    /// (else reads and applies again; bounded). <paramref name="change"/> may run several times, so it must only
    /// change the state it is given. Nothing is written when the state is unchanged.
    /// </summary>
    public Task<T> UpdateAsync<T>(string account, Func<GateState, T> change, CancellationToken cancellationToken);

    /// <summary>The account's state as stored (a fresh one if none yet).</summary>
    public Task<GateState> ReadAsync(string account, CancellationToken cancellationToken);
}

/// <summary>
/// <see cref="IGateStore"/> as one JSON blob per account, <c>{state container}/gates/{account}.json</c>, replaced with
/// <c>If-Match</c> (created with <c>If-None-Match: *</c>). Several workers share it through the ETag; within one
/// process the updates of an account are serialized first, so they do not race each other for the ETag.
/// </summary>
public sealed class BlobGateStore(BlobServiceClient blobService, IOptions<StorageOptions> options) : IGateStore
{
    internal const int MaxAttempts = 40;

    private readonly ConcurrentDictionary<string, SemaphoreSlim> locks = new(StringComparer.Ordinal);

    public async Task<T> UpdateAsync<T>(string account, Func<GateState, T> change, CancellationToken cancellationToken)
    {
        var local = locks.GetOrAdd(account, _ => new SemaphoreSlim(1, 1));
        await local.WaitAsync(cancellationToken);
        try
        {
            var blob = BlobFor(account);
            for (var attempt = 1; ; attempt++)
            {
                (var state, var etag) = await ReadWithETagAsync(account, blob, cancellationToken);
                var before = JsonSerializer.SerializeToUtf8Bytes(state);
                var result = change(state);
                var after = JsonSerializer.SerializeToUtf8Bytes(state);
                if (before.AsSpan().SequenceEqual(after))
                {
                    return result;
                }

                try
                {
                    await blob.UploadAsync(new BinaryData(after), new BlobUploadOptions
                    {
                        Conditions = etag is { } match ? new BlobRequestConditions { IfMatch = match } : new BlobRequestConditions { IfNoneMatch = ETag.All },
                        HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
                    }, cancellationToken);
                    return result;
                }
                catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < MaxAttempts)
                {
                    // Another worker wrote first: read its state and apply the change again, after a short jittered pause.
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

    public async Task<GateState> ReadAsync(string account, CancellationToken cancellationToken) =>
        (await ReadWithETagAsync(account, BlobFor(account), cancellationToken)).State;

    private async Task<(GateState State, ETag? ETag)> ReadWithETagAsync(string account, BlobClient blob, CancellationToken cancellationToken)
    {
        try
        {
            BlobDownloadResult stored = await blob.DownloadContentAsync(cancellationToken);
            var state = stored.Content.ToObjectFromJson<GateState>()
                ?? throw new InvalidOperationException($"The gate state of account '{account}' is empty.");
            return (state, stored.Details.ETag);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            await blobService.GetBlobContainerClient(options.Value.StateContainer).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            return (new GateState { Account = account }, null);
        }
    }

    // Account names come from configuration: escaped, so no name can address another record.
    private BlobClient BlobFor(string account) =>
        blobService.GetBlobContainerClient(options.Value.StateContainer).GetBlobClient($"gates/{Uri.EscapeDataString(account)}.json");
}
