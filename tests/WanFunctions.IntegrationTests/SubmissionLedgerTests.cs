using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using WanFunctions.Storage;

namespace WanFunctions.IntegrationTests;

/// <summary>The submit ledger on real blob storage (Azurite).</summary>
[Collection(IntegrationCollection.Name)]
public sealed class SubmissionLedgerTests(AzuriteFixture azurite)
{
    private readonly SubmissionLedger ledger = new(new BlobServiceClient(azurite.ConnectionString),
        Options.Create(new StorageOptions { StateContainer = "ledger" + Guid.NewGuid().ToString("N")[..12] }));

    private static readonly DateTimeOffset At = new(2026, 3, 1, 20, 30, 0, TimeSpan.Zero);

    [Fact]
    public async Task Nothing_is_known_before_the_first_write()
    {
        Assert.Null(await ledger.FindTaskIdAsync("job-1", CancellationToken.None));
        Assert.Null(await ledger.FindJobOfTaskAsync("task-1", CancellationToken.None));
        Assert.Null(await ledger.FindIntentAsync("job-1", "sha", CancellationToken.None));
        Assert.Empty(await ledger.FindOtherIntentsAsync("job-1", "sha", CancellationToken.None));
    }

    [Fact]
    public async Task A_record_is_read_in_both_directions()
    {
        await ledger.RecordAsync("job-1", "task/../1", "default", CancellationToken.None);

        Assert.Equal("task/../1", await ledger.FindTaskIdAsync("job-1", CancellationToken.None));
        Assert.Equal("job-1", await ledger.FindJobOfTaskAsync("task/../1", CancellationToken.None));
        Assert.Null(await ledger.FindJobOfTaskAsync("1", CancellationToken.None));
    }

    [Fact]
    public async Task Intents_are_found_per_job_and_other_jobs_with_the_same_prompt_are_rivals()
    {
        var mine = new SubmitIntent("job-1", "wan2.6-r2v-flash", "sha-a", At);
        var rival = new SubmitIntent("job-2", "wan2.6-r2v-flash", "sha-a", At.AddSeconds(3));
        var unrelated = new SubmitIntent("job-3", "wan2.6-r2v-flash", "sha-b", At);
        await ledger.WriteIntentAsync(mine, CancellationToken.None);
        await ledger.WriteIntentAsync(rival, CancellationToken.None);
        await ledger.WriteIntentAsync(unrelated, CancellationToken.None);

        Assert.Equal(mine, await ledger.FindIntentAsync("job-1", "sha-a", CancellationToken.None));
        Assert.Equal([rival], await ledger.FindOtherIntentsAsync("job-1", "sha-a", CancellationToken.None));

        await ledger.DeleteIntentAsync("job-2", "sha-a", CancellationToken.None);
        await ledger.DeleteIntentAsync("job-2", "sha-a", CancellationToken.None); // twice is fine

        Assert.Empty(await ledger.FindOtherIntentsAsync("job-1", "sha-a", CancellationToken.None));
        Assert.Equal(mine, await ledger.FindIntentAsync("job-1", "sha-a", CancellationToken.None));
    }

    [Fact]
    public async Task A_task_is_recorded_with_the_account_that_accepted_it_and_a_record_from_before_the_pool_reads_as_default()
    {
        var blobs = new BlobServiceClient(azurite.ConnectionString);
        var container = "ledger" + Guid.NewGuid().ToString("N")[..12];
        var pool = new SubmissionLedger(blobs, Options.Create(new StorageOptions { StateContainer = container }));

        await pool.RecordAsync("job-1", "task-1", "second", CancellationToken.None);
        await blobs.GetBlobContainerClient(container).GetBlobClient("tasks/task-old.txt").UploadAsync(BinaryData.FromString("job-old"), CancellationToken.None);

        Assert.Equal(new RecordedTask("job-1", "second"), await pool.FindTaskAsync("task-1", CancellationToken.None));
        Assert.Equal("job-1", await pool.FindJobOfTaskAsync("task-1", CancellationToken.None));
        Assert.Equal(new RecordedTask("job-old", "default"), await pool.FindTaskAsync("task-old", CancellationToken.None));
        Assert.Null(await pool.FindTaskAsync("task-2", CancellationToken.None));
    }
}
