using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using DashScope.Simulator;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using WanFunctions.Workflow;

namespace WanFunctions.IntegrationTests;

/// <summary>End to end on the real engine: HTTP API → Durable Task SDK on Azure Storage (Azurite) → simulator → blob.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class VideoJobWorkflowTests(AzuriteFixture azurite)
{
    private const string SubmitPath = "/api/v1/services/aigc/video-generation/video-synthesis";

    [Fact]
    public async Task A_multi_character_job_goes_from_post_to_an_archived_blob_with_the_simulators_bytes()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);
        var referenceBlob = await UploadReferenceAsync(world, "character2.png");
        const string prompt = "character1 hands character2 a guitar while character3 watches";

        var (response, accepted) = await world.PostJobAsync(new
        {
            prompt,
            references = new object[]
            {
                new { url = "https://example.com/people/alice.mp4" },
                new { blob = referenceBlob },
                new { url = "https://example.com/things/dog.webp" },
            },
            size = "1280*720",
            duration = 5,
            shotType = "multi",
        });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (string)accepted["id"]!;
        Assert.Equal(new Uri(world.Api.BaseAddress!, $"api/videos/{id}"), response.Headers.Location);
        Assert.EndsWith($"/api/videos/{id}/cancel", (string)accepted["cancelUri"]!);
        Assert.Equal(5m + 1.65m, (decimal)accepted["billedSecondsUpperBound"]!);

        var done = await world.WaitForFinishAsync(id);
        Assert.Equal("Succeeded", (string)done["status"]!);
        var result = done["result"]!.AsObject();
        var taskId = (string)result["taskId"]!;
        var video = result["video"]!.AsObject();
        Assert.Equal(world.ArchiveContainer, (string)video["container"]!);
        Assert.EndsWith($"/{id}.mp4", (string)video["blobName"]!);
        Assert.NotNull(result["usage"]);
        Assert.True((int)result["timings"]!["polls"]! >= 1);

        var blob = world.Blobs.GetBlobContainerClient(world.ArchiveContainer).GetBlobClient((string)video["blobName"]!);
        var archived = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        var served = await world.DownloadFromSimulatorAsync(taskId);
        Assert.Equal(served, archived);
        Assert.Equal(archived.Length, (long)video["bytes"]!);
        Assert.Equal("ftyp", Encoding.ASCII.GetString(archived, 4, 4));
        // Azurite refuses the server-side copy (501 APINotImplemented), so the worker streamed the video, and says so.
        Assert.Equal("streamed", (string)video["method"]!);

        BlobProperties properties = await blob.GetPropertiesAsync();
        Assert.Equal("video/mp4", properties.ContentType);
        Assert.Equal(id, properties.Metadata["jobid"]);
        Assert.Equal(taskId, properties.Metadata["taskid"]);
        Assert.Equal("wan2.6-r2v-flash", properties.Metadata["model"]);
        Assert.Equal("1280*720", properties.Metadata["size"]);
        Assert.Equal("5", properties.Metadata["duration"]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(prompt))), properties.Metadata["promptsha256"]);
        Assert.Equal("streamed", properties.Metadata["archivemethod"]);

        // The provider saw the references in order, the private blob as a read-only SAS URL.
        var submit = Assert.Single(world.Simulator.Requests, r => r.Path == SubmitPath);
        Assert.Equal("enable", submit.Header("X-DashScope-Async"));
        var urls = JsonNode.Parse(submit.Body)!["input"]!["reference_urls"]!.AsArray();
        Assert.Equal("https://example.com/people/alice.mp4", (string)urls[0]!);
        Assert.Contains("/references/", (string)urls[1]!);
        Assert.Contains("sp=r", (string)urls[1]!);
        Assert.Contains("sig=", (string)urls[1]!);

        // Nothing secret in what the API shows.
        var shown = done.ToJsonString();
        Assert.DoesNotContain("sig=", shown);
        Assert.DoesNotContain("Signature=", shown);
        Assert.DoesNotContain(world.Simulator.ApiKey, shown);
    }

    [Fact]
    public async Task A_failed_provider_task_ends_the_job_with_the_providers_code_and_archives_nothing()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);
        var (_, accepted) = await world.PostJobAsync(Job("character1 waves [sim:fail=IPInfringementSuspect]"));

        var done = await world.WaitForFinishAsync((string)accepted["id"]!);

        Assert.Equal("Failed", (string)done["status"]!);
        Assert.Equal("IPInfringementSuspect", (string)done["error"]!["code"]!);
        Assert.Equal("provider", (string)done["error"]!["source"]!);
        Assert.False(string.IsNullOrWhiteSpace((string?)done["error"]!["message"]));
        Assert.False(await world.Blobs.GetBlobContainerClient(world.ArchiveContainer).ExistsAsync());
    }

    [Fact]
    public async Task An_unknown_provider_task_is_terminal_not_pending()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);
        var (_, accepted) = await world.PostJobAsync(Job("character1 waves [sim:unknown]"));

        var done = await world.WaitForFinishAsync((string)accepted["id"]!);

        Assert.Equal("Failed", (string)done["status"]!);
        Assert.Equal("Unknown", (string)done["progress"]!["providerState"]!);
        Assert.Equal("provider", (string)done["error"]!["source"]!);
    }

    [Fact]
    public async Task Passing_the_deadline_times_the_job_out_and_cancels_the_pending_provider_task()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite,
            overrides: new Dictionary<string, string?> { ["Workflow:PollDeadline"] = "00:00:03" });
        var (_, accepted) = await world.PostJobAsync(Job("character1 waits [sim:pending-forever]"));

        var done = await world.WaitForFinishAsync((string)accepted["id"]!);

        Assert.Equal("TimedOut", (string)done["status"]!);
        Assert.Equal("DeadlineExceeded", (string)done["error"]!["code"]!);
        Assert.Contains("canceled at the provider", (string)done["error"]!["message"]!);
        var taskId = (string)done["result"]!["taskId"]!;
        Assert.Equal(1, world.CountRequests("POST", p => p == $"/api/v1/tasks/{taskId}/cancel"));
    }

    [Fact]
    public async Task Cancel_while_pending_cancels_the_provider_task_and_a_second_cancel_is_a_conflict()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);
        var (_, accepted) = await world.PostJobAsync(Job("character1 waits [sim:pending-forever]"));
        var id = (string)accepted["id"]!;
        await world.WaitForProgressAsync(id, p => (int)p["polls"]! >= 1);

        using var cancel = await world.Api.PostAsync($"api/videos/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);

        var done = await world.WaitForFinishAsync(id);
        Assert.Equal("Canceled", (string)done["status"]!);
        var taskId = (string)done["result"]!["taskId"]!;
        Assert.Equal(1, world.CountRequests("POST", p => p == $"/api/v1/tasks/{taskId}/cancel"));

        using var again = await world.Api.PostAsync($"api/videos/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task An_invalid_job_is_a_400_problem_with_every_error_and_starts_nothing()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);

        var (response, problem) = await world.PostJobAsync(new
        {
            prompt = "character1 and character4 dance",
            references = new[] { new { url = "ftp://example.com/a.mp4" } },
            duration = 11,
            audio = false,
            model = "wan2.6-r2v",
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var errors = problem["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("prompt"));
        Assert.True(errors.ContainsKey("references[0].url"));
        Assert.True(errors.ContainsKey("duration"));
        Assert.True(errors.ContainsKey("audio"));

        using var malformed = await world.Api.PostAsync("api/videos",
            new StringContent("{\"prompt\": \"x\", \"duration\": \"five\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("duration", await malformed.Content.ReadAsStringAsync());

        Assert.Equal(0, world.CountRequests("POST", p => p == SubmitPath));
        using var unknown = await world.Api.GetAsync("api/videos/no-such-job");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task The_same_idempotency_key_starts_one_job_and_submits_once()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);
        object job = new
        {
            prompt = "character1 smiles",
            references = new[] { new { url = "https://example.com/a.png" } },
            idempotencyKey = "order-42",
        };

        var (first, firstBody) = await world.PostJobAsync(job);
        var (second, secondBody) = await world.PostJobAsync(job);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal((string)firstBody["id"]!, (string)secondBody["id"]!);
        Assert.Equal("true", second.Headers.GetValues("Idempotent-Replayed").Single());
        await world.WaitForFinishAsync((string)firstBody["id"]!);
        Assert.Equal(1, world.CountRequests("POST", p => p == SubmitPath));
    }

    [Fact]
    public async Task A_worker_restart_in_the_middle_of_polling_still_archives_exactly_once()
    {
        // Polls 3 s apart, so the stop lands while the orchestration waits on its durable timer.
        await using var world = await WorkflowHarness.StartAsync(azurite,
            new SimulatorOptions { PendingSeconds = 3, RunningSeconds = 3 },
            new Dictionary<string, string?> { ["Workflow:PollInterval"] = "00:00:03", ["Workflow:MaxPollInterval"] = "00:00:03" });
        var (_, accepted) = await world.PostJobAsync(Job("character1 runs"));
        var id = (string)accepted["id"]!;
        await world.WaitForProgressAsync(id, p => (int)p["polls"]! >= 1);

        await world.StopHostAsync();
        await world.StartHostAsync();

        var done = await world.WaitForFinishAsync(id);
        Assert.Equal("Succeeded", (string)done["status"]!);
        Assert.Equal(1, world.CountRequests("POST", p => p == SubmitPath));
        Assert.Equal(1, world.CountRequests("GET", p => p.StartsWith("/results/", StringComparison.Ordinal)));
        var blobs = new List<string>();
        await foreach (var item in world.Blobs.GetBlobContainerClient(world.ArchiveContainer).GetBlobsAsync())
        {
            blobs.Add(item.Name);
        }

        Assert.Equal($"{id}.mp4", Path.GetFileName(Assert.Single(blobs)));
    }

    [Fact]
    public async Task A_worker_process_killed_while_waiting_on_a_timer_resumes_after_restart_and_archives_once()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite,
            new SimulatorOptions { PendingSeconds = 3, RunningSeconds = 3 },
            new Dictionary<string, string?> { ["Workflow:PollInterval"] = "00:00:03", ["Workflow:MaxPollInterval"] = "00:00:03" },
            startHost: false);
        await world.StartHostProcessAsync();
        var (_, accepted) = await world.PostJobAsync(Job("character1 runs"));
        var id = (string)accepted["id"]!;
        await world.WaitForProgressAsync(id, p => (int)p["polls"]! >= 1);

        world.KillHostProcess();
        await world.StartHostProcessAsync();

        var done = await world.WaitForFinishAsync(id, TimeSpan.FromSeconds(90));
        Assert.Equal("Succeeded", (string)done["status"]!);
        Assert.Equal(1, world.CountRequests("POST", p => p == SubmitPath));
        Assert.Equal(1, world.CountRequests("GET", p => p.StartsWith("/results/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_long_job_continues_as_new_to_keep_its_history_short_and_still_finishes()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite,
            new SimulatorOptions { PendingSeconds = 3, RunningSeconds = 3 },
            new Dictionary<string, string?> { ["Workflow:PollsPerGeneration"] = "2" });
        var (_, accepted) = await world.PostJobAsync(Job("character1 walks"));
        var id = (string)accepted["id"]!;

        var seen = new HashSet<string>();
        JsonObject status;
        do
        {
            status = await world.GetStatusAsync(id);
            seen.Add((string)status["status"]!);
            await Task.Delay(100);
        }
        while ((string)status["status"]! is "Pending" or "Running");

        Assert.Equal("Succeeded", (string)status["status"]!);
        Assert.True((int)status["result"]!["timings"]!["polls"]! > 2, "more polls than one generation holds");
        Assert.DoesNotContain("Failed", seen);
        Assert.Equal(1, world.CountRequests("POST", p => p == SubmitPath));
    }

    [Fact]
    public async Task Jobs_can_be_listed_by_runtime_status_one_page_at_a_time()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);
        var (_, done) = await world.PostJobAsync(Job("character1 nods"));
        var (_, waiting) = await world.PostJobAsync(Job("character1 waits [sim:pending-forever]"));
        await world.WaitForFinishAsync((string)done["id"]!);
        await world.WaitForProgressAsync((string)waiting["id"]!, p => (string?)p["phase"] == "Polling");

        var all = JsonNode.Parse(await world.Api.GetStringAsync("api/videos"))!.AsObject();
        var running = JsonNode.Parse(await world.Api.GetStringAsync("api/videos?status=Running"))!.AsObject();
        var firstPage = JsonNode.Parse(await world.Api.GetStringAsync("api/videos?pageSize=1"))!.AsObject();
        var secondPage = JsonNode.Parse(await world.Api.GetStringAsync(
            $"api/videos?pageSize=1&continuationToken={Uri.EscapeDataString((string)firstPage["continuationToken"]!)}"))!.AsObject();
        using var bad = await world.Api.GetAsync("api/videos?status=Sleeping&pageSize=0&continuationToken=eyJwYXJ0aXRpb24iOiIwIn0");

        Assert.Equal(
            new[] { (string)done["id"]!, (string)waiting["id"]! }.Order(),
            all["items"]!.AsArray().Select(i => (string)i!["id"]!).Order());
        Assert.Equal("Succeeded", all["items"]!.AsArray().Single(i => (string)i!["id"]! == (string)done["id"]!)!["status"]!.GetValue<string>());
        Assert.Equal([(string)waiting["id"]!], running["items"]!.AsArray().Select(i => (string)i!["id"]!));
        Assert.Single(firstPage["items"]!.AsArray());
        Assert.False(string.IsNullOrEmpty((string?)firstPage["continuationToken"]));
        Assert.Equal( // the second page holds the other job
            all["items"]!.AsArray().Select(i => (string)i!["id"]!).Order(),
            firstPage["items"]!.AsArray().Concat(secondPage["items"]!.AsArray()).Select(i => (string)i!["id"]!).Order());
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await bad.Content.ReadAsStringAsync();
        Assert.Contains("status", problem);
        Assert.Contains("pageSize", problem);
        Assert.Contains("continuationToken", problem);
    }

    [Fact]
    public async Task Finished_jobs_history_is_purged_after_the_retention_and_running_jobs_are_kept()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);
        var (_, finished) = await world.PostJobAsync(Job("character1 bows"));
        var (_, running) = await world.PostJobAsync(Job("character1 waits [sim:pending-forever]"));
        await world.WaitForFinishAsync((string)finished["id"]!);
        var purger = new JobHistoryPurger(Options.Create(new WorkflowOptions { HistoryRetention = TimeSpan.Zero }),
            TimeProvider.System, NullLogger<JobHistoryPurger>.Instance);

        var purged = (await purger.PurgeAsync(world.Host.Client, CancellationToken.None)).Purged;

        Assert.Equal(1, purged);
        using var gone = await world.Api.GetAsync($"api/videos/{(string)finished["id"]!}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal("Running", (string)(await world.GetStatusAsync((string)running["id"]!))["status"]!);
    }

    [Fact]
    public async Task A_backlog_of_finished_jobs_is_purged_in_bounded_batches_over_several_runs()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var (_, accepted) = await world.PostJobAsync(Job($"character1 bows, take {i}"));
            ids.Add((string)accepted["id"]!);
        }

        foreach (var id in ids)
        {
            Assert.Equal("Succeeded", (string)(await world.WaitForFinishAsync(id))["status"]!);
        }

        var purger = new JobHistoryPurger(Options.Create(new WorkflowOptions { HistoryRetention = TimeSpan.Zero, PurgeBatchSize = 2 }),
            TimeProvider.System, NullLogger<JobHistoryPurger>.Instance);

        var first = await purger.PurgeAsync(world.Host.Client, CancellationToken.None);
        var second = await purger.PurgeAsync(world.Host.Client, CancellationToken.None);
        var leftAfterTwoRuns = await CountFoundAsync(world, ids);
        var third = await purger.PurgeAsync(world.Host.Client, CancellationToken.None);

        Assert.Equal(new JobHistoryPurgeResult(2, MoreRemain: true), first);
        Assert.Equal(new JobHistoryPurgeResult(2, MoreRemain: true), second);
        Assert.Equal(1, leftAfterTwoRuns);
        Assert.Equal(new JobHistoryPurgeResult(1, MoreRemain: false), third);
        Assert.Equal(0, await CountFoundAsync(world, ids));
    }

    private static async Task<int> CountFoundAsync(WorkflowHarness world, IEnumerable<string> ids)
    {
        var found = 0;
        foreach (var id in ids)
        {
            using var response = await world.Api.GetAsync($"api/videos/{id}");
            found += response.StatusCode == HttpStatusCode.OK ? 1 : 0;
        }

        return found;
    }

    private static object Job(string prompt) => new
    {
        prompt,
        references = new[] { new { url = "https://example.com/people/alice.mp4" } },
        duration = 5,
    };

    private static async Task<string> UploadReferenceAsync(WorkflowHarness world, string name)
    {
        var container = world.Blobs.GetBlobContainerClient("references");
        await container.CreateIfNotExistsAsync();
        var blobName = $"{Guid.NewGuid():N}/{name}";
        await container.GetBlobClient(blobName).UploadAsync(new BinaryData(new byte[] { 0x89, 0x50, 0x4E, 0x47 }));
        return $"references/{blobName}";
    }
}
