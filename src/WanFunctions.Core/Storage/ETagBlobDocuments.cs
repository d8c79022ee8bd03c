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
/// at most <paramref name="maxAttempts"/> times; then the storage error is thrown. Several workers share a blob through it.
/// <para>
/// Within one process the changes of one blob are group-committed: while one read-change-write is under way, the
/// changes that arrive queue up, and the next round applies all of them, in arrival order, to one read and writes once
/// (a burst of 100 jobs asking the gate for a slot is a few blob round trips, not 100). Each caller gets its own
/// change's result, or its own change's exception (that change is left out and the others applied again); the storage
/// error of a round fails every change in it.
/// </para>
/// </summary>
public sealed class ETagBlobDocuments<TDoc>(int maxAttempts)
    where TDoc : class
{
    /// <summary>Changes applied in one round at most, so one write stays small and the round short.</summary>
    internal const int MaxBatch = 256;

    private readonly ConcurrentDictionary<string, BlobQueue> _queues = new(StringComparer.Ordinal);

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
        TResult result = default!;
        var pending = new PendingChange(document =>
        {
            (result, var changed) = change(document);
            return changed;
        }, cancellationToken);
        var queue = _queues.GetOrAdd(blob.Uri.AbsoluteUri, _ => new BlobQueue());
        queue.Changes.Enqueue(pending);

        // One round at a time per blob: whoever holds the turn applies every change queued so far, its own included
        // unless an earlier round already did.
        await queue.Turn.WaitAsync(cancellationToken);
        try
        {
            while (!pending.Done.Task.IsCompleted)
            {
                await RunRoundAsync(blob, empty, queue);
            }
        }
        finally
        {
            queue.Turn.Release();
        }

        await pending.Done.Task;
        return result;
    }

    /// <summary>
    /// One read-change-write of the changes queued so far. Not canceled by the caller who runs it: the round carries other
    /// callers' changes too (the storage client's own timeouts bound it).
    /// </summary>
    private async Task RunRoundAsync(BlobClient blob, Func<TDoc> empty, BlobQueue queue)
    {
        var cancellationToken = CancellationToken.None;
        var round = new List<PendingChange>();
        while (round.Count < MaxBatch && queue.Changes.TryDequeue(out var next))
        {
            if (next.CancellationToken.IsCancellationRequested)
            {
                next.Done.TrySetCanceled(next.CancellationToken); // its caller has gone: not applied
            }
            else
            {
                round.Add(next);
            }
        }

        try
        {
            for (var attempt = 1; round.Count > 0; attempt++)
            {
                (var document, var etag) = await ReadWithETagAsync(blob, empty, cancellationToken);
                if (!TryApply(round, document, out var changed))
                {
                    attempt--; // a change threw and was left out: the others again, on a fresh read (no write was tried)
                    continue;
                }

                if (!changed)
                {
                    break;
                }

                try
                {
                    await blob.UploadAsync(new BinaryData(JsonSerializer.SerializeToUtf8Bytes(document)), new BlobUploadOptions
                    {
                        Conditions = etag is { } match ? new BlobRequestConditions { IfMatch = match } : new BlobRequestConditions { IfNoneMatch = ETag.All },
                        HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
                    }, cancellationToken);
                    break;
                }
                catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < maxAttempts)
                {
                    // Another worker wrote first: read its document and apply the changes again, after a short jittered pause.
                    var ceiling = Math.Min(500, 10 << Math.Min(attempt, 6));
                    await Task.Delay(Random.Shared.Next(ceiling / 2, ceiling + 1), cancellationToken);
                }
            }
        }
        catch (Exception ex)
        {
            foreach (var failed in round)
            {
                failed.Done.TrySetException(ex);
            }

            return;
        }

        foreach (var applied in round)
        {
            applied.Done.TrySetResult();
        }
    }

    /// <summary>Applies the round's changes in order; false (and the thrower failed and removed) when one threw.</summary>
    private static bool TryApply(List<PendingChange> round, TDoc document, out bool changed)
    {
        changed = false;
        for (var i = 0; i < round.Count; i++)
        {
            try
            {
                changed |= round[i].Apply(document);
            }
            catch (Exception ex)
            {
                round[i].Done.TrySetException(ex);
                round.RemoveAt(i);
                return false;
            }
        }

        return true;
    }

    private sealed record PendingChange(Func<TDoc, bool> Apply, CancellationToken CancellationToken)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class BlobQueue
    {
        public ConcurrentQueue<PendingChange> Changes { get; } = new();

        public SemaphoreSlim Turn { get; } = new(1, 1);
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
