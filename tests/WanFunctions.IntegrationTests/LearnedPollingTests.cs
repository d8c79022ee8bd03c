using System.Net;
using DashScope.Simulator;
using Microsoft.Extensions.Options;
using WanFunctions.Bench;
using WanFunctions.Storage;
using WanFunctions.Workflow;

namespace WanFunctions.IntegrationTests;

/// <summary>The learned poll schedule on the real engine, its table on Azurite, and a smoke run of the polling bench.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class LearnedPollingTests(AzuriteFixture azurite)
{
    /// <summary>The class of <see cref="Job"/>: the default flash model, 720P, 5 s, audio, no video reference.</summary>
    private const string ClassKey = "wan2.6-r2v-flash.720p.5s.audio.v0";

    private static object Job(string prompt) => new
    {
        prompt,
        references = new[] { new { url = "https://example.com/people/alice.png" } },
        size = "1280*720",
        duration = 5,
    };

    private BlobPollStatsStore Store(string container) =>
        new(new Azure.Storage.Blobs.BlobServiceClient(azurite.ConnectionString), Options.Create(new StorageOptions { StateContainer = container }));

    [Fact]
    public async Task A_job_of_a_learned_class_polls_where_its_plan_says_and_teaches_the_table_its_run()
    {
        // The provider: no queue, 2 s RUNNING. The default schedule would look at +1, +2, +3 s.
        await using var world = await WorkflowHarness.StartAsync(azurite, new SimulatorOptions { PendingSeconds = 0, RunningSeconds = 2 },
            new Dictionary<string, string?>
            {
                ["Workflow:FirstPollDelay"] = "00:00:01",
                ["Workflow:PollInterval"] = "00:00:01",
                ["Workflow:LearnedPollMinSamples"] = "3",
                ["Workflow:LearnedPollMinGap"] = "00:00:01",
                ["Workflow:LearnedPollMaxGap"] = "00:00:10",
            });

        // Seeded: this class runs 4 s, always; every quantile is 4 s, so the first look is 4 s after the submit.
        var store = Store(world.StateContainer);
        for (var i = 0; i < 3; i++)
        {
            await store.AddAsync(ClassKey, new PollSample($"seed-{i}", 4), 200, CancellationToken.None);
        }

        var (response, accepted) = await world.PostJobAsync(Job("character1 waves at the camera"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (string)accepted["id"]!;

        var polling = await world.WaitForProgressAsync(id, p => (string?)p["phase"] == "Polling" && p["nextPollAt"] is not null);
        var progress = polling["progress"]!;
        Assert.Equal(TimeSpan.FromSeconds(4), (DateTime)progress["nextPollAt"]! - (DateTime)progress["submittedAt"]!);

        var done = await world.WaitForFinishAsync(id);
        Assert.Equal("Succeeded", (string)done["status"]!);
        Assert.Equal(1, (int)done["result"]!["timings"]!["polls"]!); // one look, at +4 s, found it SUCCEEDED

        // The run was recorded: the provider's end_time − scheduled_time, about the simulator's 2 s, and the whole wait
        // end_time − submit_time, the same here (no PENDING).
        var taskId = (string)done["result"]!["taskId"]!;
        var learned = await store.ReadAsync(ClassKey, CancellationToken.None);
        Assert.Equal(4, learned.Samples.Count);
        var sample = Assert.Single(learned.Samples, s => s.TaskId == taskId);
        Assert.InRange(sample.Seconds, 1.9, 2.1);
        Assert.InRange(sample.TotalSeconds!.Value, sample.Seconds, 2.1);
    }

    [Fact]
    public async Task A_class_with_few_samples_polls_on_the_default_schedule()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite, new SimulatorOptions { PendingSeconds = 0, RunningSeconds = 1 },
            new Dictionary<string, string?> { ["Workflow:FirstPollDelay"] = "00:00:02", ["Workflow:LearnedPollMinSamples"] = "3" });
        var store = Store(world.StateContainer);
        await store.AddAsync(ClassKey, new PollSample("seed-0", 30), 200, CancellationToken.None);

        var (_, accepted) = await world.PostJobAsync(Job("character1 waves again"));
        var id = (string)accepted["id"]!;

        var polling = await world.WaitForProgressAsync(id, p => (string?)p["phase"] == "Polling" && p["nextPollAt"] is not null);
        var progress = polling["progress"]!;
        // The default schedule counts from after the plan's read (FirstPollDelay 2 s); a learned plan would say 1 s (the ceiling).
        Assert.True((DateTime)progress["nextPollAt"]! - (DateTime)progress["submittedAt"]! >= TimeSpan.FromSeconds(2));
        Assert.Equal("Succeeded", (string)(await world.WaitForFinishAsync(id))["status"]!);
    }

    [Fact]
    public async Task Concurrent_writers_lose_no_sample_to_the_etag_race()
    {
        // Two stores stand for two workers: each serializes its own writes, so only the ETag keeps them apart.
        var container = "poll" + Guid.NewGuid().ToString("N")[..12];
        var (a, b) = (Store(container), Store(container));
        await Task.WhenAll(Enumerable.Range(0, 24).Select(i =>
            (i % 2 == 0 ? a : b).AddAsync("race", new PollSample($"task-{i}", 10 + i), 200, CancellationToken.None)));

        var stats = await a.ReadAsync("race", CancellationToken.None);
        Assert.Equal(Enumerable.Range(0, 24).Select(i => $"task-{i}").Order(), stats.Samples.Select(s => s.TaskId).Order());

        // Bounded: the oldest go first; a task counted already is not counted again.
        Assert.False(await b.AddAsync("race", new PollSample("task-3", 99), 200, CancellationToken.None));
        Assert.True(await b.AddAsync("race", new PollSample("task-late", 1), 10, CancellationToken.None));
        Assert.Equal(10, (await b.ReadAsync("race", CancellationToken.None)).Samples.Count);
    }

    [Fact]
    public void The_polling_bench_runs_all_four_schedules_and_writes_its_keys()
    {
        var result = PollingBench.Simulate(warmJobs: 3000, jobs: 200);

        Assert.True(result.LearnedJobs > 0);
        var json = PollingBench.ToJson(result);
        foreach (var key in new[] { "fixed_10s", "sdk_1_to_5s", "default", "learned" })
        {
            var figures = json[key]!.AsObject();
            Assert.Equal(["queries_median", "queries_p95", "latency_median_s", "latency_p95_s"], figures.Select(f => f.Key));
            Assert.True((double)figures["queries_median"]! >= 1);
            Assert.True((double)figures["latency_median_s"]! >= 0);
        }
    }
}
