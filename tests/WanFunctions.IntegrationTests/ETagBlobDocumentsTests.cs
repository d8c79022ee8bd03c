using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using WanFunctions.Storage;

namespace WanFunctions.IntegrationTests;

/// <summary>The ETag-guarded JSON documents (gate state, poll statistics) on Azurite: group commit, races, failures.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class ETagBlobDocumentsTests(AzuriteFixture azurite)
{
    public sealed class Counter
    {
        public int Value { get; set; }
    }

    /// <summary>Counts the blob uploads (PUT) a client sends.</summary>
    private sealed class PutCounter : HttpPipelineSynchronousPolicy
    {
        private int _puts;

        public int Puts => _puts;

        public override void OnSendingRequest(HttpMessage message)
        {
            if (message.Request.Method == RequestMethod.Put)
            {
                Interlocked.Increment(ref _puts);
            }
        }
    }

    private BlobClient Blob(string container, PutCounter? counter = null)
    {
        var options = new BlobClientOptions();
        if (counter is not null)
        {
            options.AddPolicy(counter, HttpPipelinePosition.PerCall);
        }

        return new BlobServiceClient(azurite.ConnectionString, options).GetBlobContainerClient(container).GetBlobClient("counter.json");
    }

    private static Task<int> Increment(ETagBlobDocuments<Counter> documents, BlobClient blob) =>
        documents.UpdateAsync(blob, () => new Counter(), c => (++c.Value, true), CancellationToken.None);

    [Fact]
    public async Task A_burst_of_changes_in_one_process_is_group_committed_and_each_caller_gets_its_own_result()
    {
        var container = "etag" + Guid.NewGuid().ToString("N")[..12];
        var puts = new PutCounter();
        var blob = Blob(container, puts);
        var documents = new ETagBlobDocuments<Counter>(maxAttempts: 40);
        await Increment(documents, blob); // creates the container and the blob
        var before = puts.Puts;

        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => Task.Run(() => Increment(documents, blob))));

        Assert.Equal(Enumerable.Range(2, 100), results.Order()); // every change applied once, each saw its own value
        Assert.Equal(101, (await documents.ReadAsync(blob, () => new Counter(), CancellationToken.None)).Value);
        Assert.InRange(puts.Puts - before, 1, 50); // rounds, not one write per change (it was 100)
    }

    [Fact]
    public async Task Two_processes_race_for_the_etag_and_lose_no_change()
    {
        var container = "etag" + Guid.NewGuid().ToString("N")[..12];
        var (a, b) = (new ETagBlobDocuments<Counter>(40), new ETagBlobDocuments<Counter>(40));
        var (blobA, blobB) = (Blob(container), Blob(container));

        await Task.WhenAll(Enumerable.Range(0, 60).Select(i => Task.Run(() => i % 2 == 0 ? Increment(a, blobA) : Increment(b, blobB))));

        Assert.Equal(60, (await a.ReadAsync(blobA, () => new Counter(), CancellationToken.None)).Value);
    }

    [Fact]
    public async Task A_change_that_throws_fails_only_its_caller()
    {
        var container = "etag" + Guid.NewGuid().ToString("N")[..12];
        var blob = Blob(container);
        var documents = new ETagBlobDocuments<Counter>(40);
        await Increment(documents, blob);

        var changes = Enumerable.Range(0, 30).Select(i => Task.Run(() => i == 7
            ? documents.UpdateAsync<int>(blob, () => new Counter(), c =>
            {
                c.Value += 1000; // changed, then refused: must not be written
                throw new InvalidOperationException("refused");
            }, CancellationToken.None)
            : Increment(documents, blob))).ToList();

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => changes[7]);
        Assert.Equal("refused", refused.Message);
        Assert.Equal(29, (await Task.WhenAll(changes.Where((_, i) => i != 7))).Length);
        Assert.Equal(30, (await documents.ReadAsync(blob, () => new Counter(), CancellationToken.None)).Value);
    }
}
