using System.Text.Json;
using Azure.Storage.Blobs;
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

    private readonly ETagBlobDocuments<GateState> _documents = new(MaxAttempts);

    public Task<T> UpdateAsync<T>(string account, Func<GateState, T> change, CancellationToken cancellationToken) =>
        _documents.UpdateAsync(BlobFor(account), () => new GateState { Account = account }, state =>
        {
            // Written only when the change changed something.
            var before = JsonSerializer.SerializeToUtf8Bytes(state);
            var result = change(state);
            return (result, !before.AsSpan().SequenceEqual(JsonSerializer.SerializeToUtf8Bytes(state)));
        }, cancellationToken);

    public Task<GateState> ReadAsync(string account, CancellationToken cancellationToken) =>
        _documents.ReadAsync(BlobFor(account), () => new GateState { Account = account }, cancellationToken);

    // Account names come from configuration: escaped, so no name can address another record.
    private BlobClient BlobFor(string account) =>
        blobService.GetBlobContainerClient(options.Value.StateContainer).GetBlobClient($"gates/{Uri.EscapeDataString(account)}.json");
}
